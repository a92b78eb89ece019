package clarifaiauth

import (
	"context"
	"fmt"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// maxMessageSize is the default limit of a request and of a reply, as in
// Clarifai's Python, Node and Java clients: replies with embeddings or
// images pass gRPC's default of 4 MiB.
const maxMessageSize = 128 << 20

// NewClient returns a connection to the Clarifai API on which every call
// carries a key and has its reply status checked (package interceptor), and
// throttled calls are retried (RetryOptions) unless WithoutRetry.
//
// It reads the API base, the default user and app, and the key where
// Clarifai's SDKs do (see Resolve, which shows what it found). It fails when
// no key is found and WithSource was not given, for an API base it cannot
// use, and for an "http://" base that the interceptor options do not allow
// (ErrInsecureBase). A first call to a server that cannot work fails at
// once, naming the server, the setting it came from and what to check.
// Requests and replies may be up to 128 MiB. It gives up reading a file
// (the CLI's config, the CA bundle) after 5 seconds. The caller closes the
// connection.
func NewClient(opts ...Option) (*grpc.ClientConn, error) {
	o := newClientOptions(opts)
	ctx := context.Background()
	r, src, err := o.resolve(ctx, false)
	if err != nil {
		return nil, err
	}
	creds, err := transportCredentials(ctx, r.Endpoint, o.icOpts)
	if err != nil {
		return nil, err
	}
	w := newWatch(r)

	// NewClient's own interceptor options go first, so that the caller's
	// (WithInterceptorOptions) win: an interceptor.WithUserApp of the
	// caller's beats the environment's default app.
	var icOpts []interceptor.Option
	if r.UserID.Value != "" || r.AppID.Value != "" {
		icOpts = append(icOpts, interceptor.WithUserApp(r.UserID.Value, r.AppID.Value))
	}
	icOpts = append(icOpts, o.icOpts...)

	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(w.credentials(creds)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
		grpc.WithChainUnaryInterceptor(w.unary),
		grpc.WithChainStreamInterceptor(w.stream),
	}
	if !o.noRetry {
		ro := append(RetryOptions(), retry.WithRetriable(w.retriable))
		// The attempts of a call share a callinfo.Call, so that a retry the
		// limiter refuses returns the server's answer to the attempt before.
		dialOpts = append(dialOpts,
			grpc.WithChainUnaryInterceptor(callinfo.Unary, retry.UnaryClientInterceptor(ro...)),
			grpc.WithChainStreamInterceptor(callinfo.Stream, retryServerStreams(ro...)))
	}
	dialOpts = append(dialOpts, o.dialOpts...)
	dialOpts = append(dialOpts, DialOptions(src, icOpts...)...)
	conn, err := grpc.NewClient(r.Endpoint.Target(), dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("clarifaiauth: %w", err)
	}
	return conn, nil
}

// resolve resolves the settings and the key's source. When the caller gave
// no source, the key is read now, so that a missing key fails NewClient
// rather than the first call; readKey reads a given source's key too.
func (o *clientOptions) resolve(ctx context.Context, readKey bool) (settings.Resolved, keysource.Source, error) {
	r, err := settings.Resolve(ctx, settings.Input{
		APIBase:  settings.Value{Value: o.apiBase, From: "WithAPIBase"},
		KeyGiven: o.src != nil,
	})
	if err != nil {
		return settings.Resolved{}, nil, err
	}
	src, from := o.src, "WithSource"
	if src == nil {
		// The key comes from the context the server and app came from,
		// even if the CLI's current context changes later: a switch to
		// another context must not send its key to this one's server.
		src, from, readKey = keysource.Default(), "", true
		if r.Context != "" {
			src = keysource.Default(keysource.ConfigContext(r.Context))
		}
	}
	if readKey {
		key, err := settings.Bounded(ctx, src.Key)
		if err != nil {
			return settings.Resolved{}, nil, fmt.Errorf("clarifaiauth: %w", err)
		}
		if from == "" {
			from = settings.KeyOrigin(ctx, key)
		}
		r.Key = settings.Value{Value: key.String(), From: from}
	}
	return r, src, nil
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

// Option configures NewClient and Resolve.
type Option func(*clientOptions)

type clientOptions struct {
	src      keysource.Source
	apiBase  string
	noRetry  bool
	dialOpts []grpc.DialOption
	icOpts   []interceptor.Option
}

func newClientOptions(opts []Option) *clientOptions {
	o := &clientOptions{}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithSource makes NewClient take keys from src instead of
// keysource.Default().
func WithSource(src keysource.Source) Option {
	return func(o *clientOptions) { o.src = src }
}

// WithAPIBase makes NewClient connect to base instead of the server the
// environment or the Clarifai CLI names: "https://host[:port]" or a bare
// "host[:port]" (TLS, port 443 by default), or "http://host:port" when
// plaintext is allowed (see ErrInsecureBase).
func WithAPIBase(base string) Option {
	return func(o *clientOptions) { o.apiBase = base }
}

// WithoutRetry leaves Clarifai's retry policy (RetryOptions) out of the
// connection.
func WithoutRetry() Option {
	return func(o *clientOptions) { o.noRetry = true }
}

// WithDialOptions adds dial options after NewClient's own, so they win
// over its defaults (grpc.WithDefaultCallOptions with
// grpc.MaxCallRecvMsgSize, for example). Interceptors given with
// grpc.WithChainUnaryInterceptor or WithChainStreamInterceptor run inside
// the retry and outside the authentication.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *clientOptions) { o.dialOpts = append(o.dialOpts, opts...) }
}

// WithInterceptorOptions passes options to the authentication interceptors:
// interceptor.WithUserApp (it wins over the environment's default app),
// interceptor.AllowInsecureTransport (needed for an "http://" base),
// interceptor.WithPreflight, and so on.
func WithInterceptorOptions(opts ...interceptor.Option) Option {
	return func(o *clientOptions) { o.icOpts = append(o.icOpts, opts...) }
}

// WithThrottle paces every attempt of every call with l (see package
// throttle), retries included. A connection built with DialOptions takes
// the same limiter as DialOptions(src, interceptor.WithThrottle(l)).
func WithThrottle(l interceptor.Limiter) Option {
	return func(o *clientOptions) { o.icOpts = append(o.icOpts, interceptor.WithThrottle(l)) }
}
