package clarifaiauth

import (
	"os"

	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// Option configures NewClient.
type Option func(*clientOptions)

type clientOptions struct {
	src           keysource.Source
	apiBase       string
	allowInsecure bool
	userID, appID string
	userAppSet    bool
	noRetry       bool
	dialOpts      []grpc.DialOption
	icOpts        []interceptor.Option
}

// WithSource makes NewClient take keys from src instead of
// keysource.Default().
func WithSource(src keysource.Source) Option {
	return func(o *clientOptions) { o.src = src }
}

// WithAPIBase makes NewClient connect to base ("https://host[:port]", or
// "http://host:port" with AllowInsecure) instead of the one the environment
// or the Clarifai CLI names.
func WithAPIBase(base string) Option {
	return func(o *clientOptions) { o.apiBase = base }
}

// AllowInsecure lets NewClient connect to a plaintext ("http://") API base,
// such as a local test server: keys then travel in clear. Without it such a
// base is refused with ErrInsecureBase.
func AllowInsecure() Option {
	return func(o *clientOptions) { o.allowInsecure = true }
}

// WithUserApp sets the user and app filled into requests that leave
// user_app_id unset, instead of CLARIFAI_USER_ID, CLARIFAI_APP_ID or the CLI
// context's. Empty strings turn the default off.
func WithUserApp(userID, appID string) Option {
	return func(o *clientOptions) { o.userID, o.appID, o.userAppSet = userID, appID, true }
}

// WithoutRetry leaves Clarifai's retry policy (RetryOptions) out of the
// connection.
func WithoutRetry() Option {
	return func(o *clientOptions) { o.noRetry = true }
}

// WithDialOptions adds dial options, applied after NewClient's own. Client
// interceptors given here run inside the retry and outside the
// authentication interceptors.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *clientOptions) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithInterceptorOptions passes options to the authentication interceptors
// (interceptor.WithPreflight, interceptor.WithRequestTag, …).
func WithInterceptorOptions(opts ...interceptor.Option) Option {
	return func(o *clientOptions) { o.icOpts = append(o.icOpts, opts...) }
}

// lookupEnv returns the variable's value, "" when unset.
func lookupEnv(name string) string { return os.Getenv(name) }
