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

// RetryOptions returns go-grpc-middleware retry options sized for Clarifai:
// up to five attempts, exponential backoff with jitter from one second
// (about 1, 2, 4 and 8 s, never more than 15 s), retrying only what
// scopes.Retriable says can succeed on another try (throttling, hourly
// limits, busy models, plain gRPC Unavailable), never a monthly limit, a
// missing scope or a bad key. Put the retry interceptor before this
// library's, so that each attempt re-reads the key and checks its reply:
//
//	grpc.WithChainUnaryInterceptor(
//		logging.UnaryClientInterceptor(logger), // sees each call once, with its final error
//		retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...),
//		interceptor.UnaryClient(src), // runs on every attempt
//	)
//
// Plain gRPC Unavailable is retried too. It can come after the server
// received a call (a connection dropped mid-call), and Clarifai's Post*
// methods are not idempotent: give retry.Disable() to a call whose
// repetition would do harm. NewClient uses these options unless WithoutRetry
// is given. A call can still turn
// retry off for itself with retry.Disable(), or change any option with the
// matching retry.CallOption. The caller's deadline bounds the waits.
func RetryOptions() []retry.CallOption {
	return []retry.CallOption{
		retry.WithMax(retryAttempts),
		retry.WithBackoff(retry.BackoffExponentialWithJitterBounded(retryFirstWait, retryJitterFrac, retryMaxWait)),
		retry.WithRetriable(scopes.Retriable),
	}
}
