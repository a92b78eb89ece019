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
// Clarifai: up to five attempts, with exponential backoff and jitter from
// one second (about 1, 2, 4 and 8 s), retrying only what scopes.Retriable
// says can succeed on another try. Put the retry interceptor before this
// library's, so that each attempt re-reads the key and checks its reply.
// Plain gRPC Unavailable is retried too, and can follow a call the server
// received: give retry.Disable() to a call whose repetition would do harm.
func RetryOptions() []retry.CallOption {
	return []retry.CallOption{
		retry.WithMax(retryAttempts),
		retry.WithBackoff(retryBackoff),
		retry.WithRetriable(scopes.Retriable),
	}
}
