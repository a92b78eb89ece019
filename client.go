package clarifaiauth

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// NewClient returns a connection to the Clarifai API set up the way
// Clarifai's own SDKs set theirs up, with every call authenticated:
//
//   - The server is the API base of WithAPIBase, else CLARIFAI_API_BASE, else
//     the Clarifai CLI's current context, else https://api.clarifai.com.
//     "https://host[:port]" dials host:443 (or port) over TLS, trusting the
//     system's roots or the PEM bundle at CLARIFAI_ROOT_CERTIFICATES_PATH;
//     "http://host:port" dials in plaintext, only with AllowInsecure.
//   - Keys come from keysource.Default() (CLARIFAI_PAT, CLARIFAI_API_KEY,
//     CLARIFAI_SESSION_TOKEN, then the CLI's login) unless WithSource says
//     otherwise, and each call's reply status is checked (package
//     interceptor).
//   - Requests that name no app get the user and app of WithUserApp, else
//     CLARIFAI_USER_ID and CLARIFAI_APP_ID, else the CLI context's, when any
//     is set (see interceptor.WithUserApp).
//   - Throttled calls are retried with RetryOptions, unless WithoutRetry:
//     unary calls and server streams (before their first reply);
//     client-streaming and bidirectional streams are not retried.
//
// The CLI's settings come from its current context when NewClient is
// called, and so does the key: a later switch of the CLI's current context
// does not change either under the connection. The CLI's config is read
// only for what neither an option nor the environment gives. To use another
// context, give its key with WithSource(keysource.Default(
// keysource.ConfigContext(name))) and its server and app with WithAPIBase
// and WithUserApp.
//
// Like grpc.NewClient it does not connect: the first call does. It reads the
// CLI's config file (small, regular, bounded in size), and fails with a
// clear error for an API base it cannot use, a plaintext base without
// AllowInsecure (ErrInsecureBase), or an unusable certificate bundle. The
// caller closes the connection.
func NewClient(opts ...Option) (*grpc.ClientConn, error) {
	var o clientOptions
	for _, opt := range opts {
		opt(&o)
	}
	// The CLI's config is read only when it is needed: for a setting that
	// neither an option nor the environment gives, or to keep the key to
	// the context the other settings came from. A config that cannot be
	// read is an error only in the first case.
	envBase, envUser, envApp := os.Getenv(cliconfig.EnvAPIBase), os.Getenv(cliconfig.EnvUserID), os.Getenv(cliconfig.EnvAppID)
	needSettings := o.apiBase == "" && envBase == "" || !o.userAppSet && (envUser == "" || envApp == "")
	var (
		cliContext string
		cli        cliconfig.Settings
	)
	if needSettings || o.src == nil {
		var err error
		cliContext, cli, err = cliSettings()
		if err != nil && needSettings {
			return nil, err
		}
	}
	base := firstSet(o.apiBase, envBase, cli.APIBase, cliconfig.DefaultAPIBase)
	ep, err := parseAPIBase(base)
	if err != nil {
		return nil, err
	}
	creds, err := transportCredentials(ep, o.allowInsecure, os.Getenv(envRootCertificates))
	if err != nil {
		return nil, err
	}

	src := o.src
	if src == nil {
		// The key comes from the context the server and app came from,
		// even if the CLI's current context changes later: a switch to
		// another context must not send its key to this one's server.
		var pin []keysource.ConfigOption
		if cliContext != "" {
			pin = append(pin, keysource.ConfigContext(cliContext))
		}
		src = keysource.Default(pin...)
	}
	// NewClient's own interceptor options go first, so that the caller's
	// (WithInterceptorOptions) win: an interceptor.WithUserApp of the
	// caller's beats the environment's default app.
	var icOpts []interceptor.Option
	if ep.plaintext {
		icOpts = append(icOpts, interceptor.AllowInsecureTransport())
	}
	userID, appID := o.userID, o.appID
	if !o.userAppSet {
		userID = firstSet(envUser, cli.UserID)
		appID = firstSet(envApp, cli.AppID)
	}
	if userID != "" || appID != "" {
		icOpts = append(icOpts, interceptor.WithUserApp(userID, appID))
	}
	icOpts = append(icOpts, o.icOpts...)

	dialOpts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if !o.noRetry {
		dialOpts = append(dialOpts,
			grpc.WithChainUnaryInterceptor(retry.UnaryClientInterceptor(RetryOptions()...)),
			grpc.WithChainStreamInterceptor(retryServerStreams(RetryOptions()...)))
	}
	dialOpts = append(dialOpts, o.dialOpts...)
	dialOpts = append(dialOpts, DialOptions(src, icOpts...)...)
	conn, err := grpc.NewClient(ep.target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("clarifaiauth: %w", err)
	}
	return conn, nil
}

// retryServerStreams is go-grpc-middleware's stream retry for the streams
// it can retry: those the client does not send on (it refuses the others
// with Unimplemented). Client-streaming and bidirectional streams, uploads
// among them, are not retried.
func retryServerStreams(opts ...retry.CallOption) grpc.StreamClientInterceptor {
	r := retry.StreamClientInterceptor(opts...)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		if desc.ClientStreams {
			return streamer(ctx, desc, cc, method, callOpts...)
		}
		return r(ctx, desc, cc, method, streamer, callOpts...)
	}
}

// cliConfigTimeout is the context of reading the CLI's config file, which
// NewClient has none of its own for; the read itself is of a small regular
// file (internal/safefile), which does not block.
const cliConfigTimeout = 5 * time.Second

// cliSettings returns the name and settings of the Clarifai CLI's current
// context, "" and zero when there is no login. A config that exists but
// cannot be read is an error: silently ignoring it could send calls to the
// wrong server.
func cliSettings() (string, cliconfig.Settings, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliConfigTimeout)
	defer cancel()
	name, s, err := cliconfig.Current(ctx)
	if err != nil {
		return "", cliconfig.Settings{}, fmt.Errorf("clarifaiauth: the Clarifai CLI's config: %w", err)
	}
	return name, s, nil
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

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

// WithAPIBase makes NewClient connect to base ("https://host[:port]" or a
// bare "host[:port]", or "http://host:port" with AllowInsecure) instead of the one the environment
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
// context's. Two empty strings turn the default off.
func WithUserApp(userID, appID string) Option {
	return func(o *clientOptions) { o.userID, o.appID, o.userAppSet = userID, appID, true }
}

// WithoutRetry leaves Clarifai's retry policy (RetryOptions) out of the
// connection.
func WithoutRetry() Option {
	return func(o *clientOptions) { o.noRetry = true }
}

// WithDialOptions adds dial options after NewClient's own: interceptors
// given with grpc.WithChainUnaryInterceptor or WithChainStreamInterceptor
// run inside the retry and outside the authentication interceptors (gRPC
// runs one given with grpc.WithUnaryInterceptor before every chained one).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *clientOptions) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithInterceptorOptions passes options to the authentication interceptors
// (interceptor.WithPreflight, interceptor.WithRequestTag, …).
func WithInterceptorOptions(opts ...interceptor.Option) Option {
	return func(o *clientOptions) { o.icOpts = append(o.icOpts, opts...) }
}

// WithThrottle paces every attempt of every call with l (see package
// throttle), retries included. A connection built with DialOptions takes
// the same limiter as DialOptions(src, interceptor.WithThrottle(l)).
func WithThrottle(l interceptor.Limiter) Option {
	return func(o *clientOptions) { o.icOpts = append(o.icOpts, interceptor.WithThrottle(l)) }
}
