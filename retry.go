package clarifaiauth

import (
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"

	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Clarifai's retry policy: how many attempts, and how long to wait between
// them. Clarifai throttles per second and its own SDKs wait seconds, not
// milliseconds, before trying again: go-grpc-middleware's default of 50 ms
// would spend every attempt inside one throttling window.
const (
	retryAttempts   = 5           // the first try and four retries
	retryFirstWait  = time.Second // then 2 s, 4 s, 8 s
	retryMaxWait    = 15 * time.Second
	retryJitterFrac = 0.2
)

// retryBackoff is the wait before each retry.
var retryBackoff = retry.BackoffExponentialWithJitterBounded(retryFirstWait, retryJitterFrac, retryMaxWait)

// RetryOptions returns go-grpc-middleware retry options sized for
// Clarifai: five attempts, backoff with jitter from one second, retrying
// only what scopes.Retriable says may succeed. Put the retry interceptor
// before this library's. Unavailable is retried too and may repeat a call
// the server received: give retry.Disable() to a call that must not repeat.
func RetryOptions() []retry.CallOption {
	return []retry.CallOption{
		retry.WithMax(retryAttempts),
		retry.WithBackoff(retryBackoff),
		retry.WithRetriable(scopes.Retriable),
	}
}
