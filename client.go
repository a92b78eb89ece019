package clarifaiauth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/icopts"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// maxMessageSize is the default limit of a request and of a reply, as in
// Clarifai's Python, Node and Java clients: replies with embeddings or
// images pass gRPC's default of 4 MiB.
const maxMessageSize = 128 << 20

// NewClient returns a connection to the Clarifai API on which every call
// carries a key, has its reply status checked (package interceptor) and is
// retried when throttled (RetryOptions) unless WithoutRetry. It reads the
// key, API base and default app where Clarifai's SDKs do (see Resolve), and
// fails for a missing key or an API base it cannot use (docs/client.md).
// The caller closes the connection.
func NewClient(opts ...Option) (*grpc.ClientConn, error) {
	o := newClientOptions(opts)
	if o.ic.Err != nil {
		return nil, o.ic.Err
	}
	ctx, cancel, err := o.readContext()
	if err != nil {
		return nil, err
	}
	defer cancel()
	r, src, err := o.resolve(ctx, false)
	if err != nil {
		return nil, err
	}
	creds, err := transportCredentials(ctx, r, o.ic)
	if err != nil {
		return nil, err
	}
	w := newWatch(r)
	w.log = o.logger

	// NewClient's own interceptor options go first, so that the caller's
	// (WithInterceptorOptions) win: an interceptor.WithUserApp of the
	// caller's beats the environment's default app.
	var icOpts []interceptor.Option
	if r.UserID.Value != "" || r.AppID.Value != "" {
		icOpts = append(icOpts, interceptor.WithUserApp(r.UserID.Value, r.AppID.Value))
	}
	if r.Endpoint.Plaintext && !r.Endpoint.ClearOffHost() {
		// The key stays on this machine: the watch refuses a connection
		// whose peer is not a loopback address.
		icOpts = append(icOpts, interceptor.AllowInsecureTransport())
	}
	icOpts = append(icOpts, o.icOpts...)
	// The interceptors explain the error of a server that never worked
	// (see watch): in their link of the chain, which costs nothing more.
	icOpts = append(icOpts, icopts.Explain(w.explain).(interceptor.Option))
	if o.logger != nil {
		icOpts = append(icOpts, icopts.WrapLimiter(func(l interceptor.Limiter) interceptor.Limiter {
			return &timedLimiter{Limiter: l, log: o.logger}
		}).(interceptor.Option))
	}

	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(w.credentials(creds)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
		// A server that accepts a connection and says nothing fails the
		// first call in firstContactTimeout, not gRPC's 20 s.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: firstContactTimeout}),
	}
	var wl *waitLog
	if o.logger != nil {
		wl = &waitLog{l: o.logger}
	}
	var ro []retry.CallOption
	if !o.noRetry {
		ro = append(RetryOptions(), retry.WithRetriable(w.retriable))
		if wl != nil {
			ro = append(ro, retry.WithBackoff(wl.backoff(retryBackoff)))
		}
	}
	if ro != nil || wl != nil {
		out := newOuter(wl, !o.noRetry && o.ic.Limiter, ro)
		dialOpts = append(dialOpts, grpc.WithChainUnaryInterceptor(out.unary), grpc.WithChainStreamInterceptor(out.stream))
	}
	if wl != nil {
		dialOpts = append(dialOpts,
			grpc.WithChainUnaryInterceptor(wl.innerUnary),
			grpc.WithChainStreamInterceptor(wl.innerStream))
	}
	dialOpts = append(dialOpts, o.dialOpts...)
	dialOpts = append(dialOpts, DialOptions(src, icOpts...)...)
	conn, err := grpc.NewClient(r.Endpoint.Target(), dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("clarifaiauth: %w", err)
	}
	return conn, nil
}

// readContext bounds the reads of NewClient and Resolve: WithReadTimeout,
// else settings.ReadTimeout for each read.
func (o *clientOptions) readContext() (context.Context, context.CancelFunc, error) {
	switch {
	case o.readTimeout == nil:
		return context.Background(), func() {}, nil
	case *o.readTimeout <= 0:
		return nil, nil, fmt.Errorf("clarifaiauth: WithReadTimeout(%v): want a positive duration", *o.readTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *o.readTimeout)
	return ctx, cancel, nil
}

// resolve resolves the settings and the key's source. When the caller gave
// no source, the key is read now, so that a missing key fails NewClient
// rather than the first call; readKey reads a given source's key too.
func (o *clientOptions) resolve(ctx context.Context, readKey bool) (settings.Resolved, keysource.Source, error) {
	in := settings.Input{
		APIBase:  settings.Value{Value: o.apiBase, From: "WithAPIBase"},
		KeyGiven: o.src != nil,
	}
	if o.ic.UserAppGiven {
		in.UserAppGiven = true
		in.UserID = settings.Value{Value: o.ic.UserID, From: "WithUserApp"}
		in.AppID = settings.Value{Value: o.ic.AppID, From: "WithUserApp"}
	}
	r, err := settings.Resolve(ctx, in)
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

// Option configures NewClient and Resolve.
type Option func(*clientOptions)

type clientOptions struct {
	src         keysource.Source
	apiBase     string
	noRetry     bool
	readTimeout *time.Duration
	logger      *slog.Logger
	dialOpts    []grpc.DialOption
	icOpts      []interceptor.Option
	ic          icopts.Info // what icOpts say
}

func newClientOptions(opts []Option) *clientOptions {
	o := &clientOptions{}
	for _, opt := range opts {
		opt(o)
	}
	o.ic = icopts.Read(o.icOpts)
	return o
}

// WithSource makes NewClient take keys from src instead of
// keysource.Default().
func WithSource(src keysource.Source) Option {
	return func(o *clientOptions) { o.src = src }
}

// WithAPIBase makes NewClient connect to base instead of the server the
// environment or the Clarifai CLI names: "https://host[:port]" or a bare
// "host[:port]" (TLS, port 443 by default), or "http://host:port" in
// plaintext: on this machine (localhost, a loopback address) always, to
// another only with interceptor.AllowInsecureTransport.
func WithAPIBase(base string) Option {
	return func(o *clientOptions) { o.apiBase = base }
}

// WithReadTimeout bounds all the reading NewClient and Resolve do (the
// CLI's config, the CA bundle, a key read at construction) to d in all;
// without it each read is bounded to 5 seconds. A read that hangs (a stuck
// network mount) fails with an error naming the setting that named it.
// A d that is not positive fails NewClient and Resolve.
func WithReadTimeout(d time.Duration) Option {
	return func(o *clientOptions) { o.readTimeout = &d }
}

// WithLogger makes the connection say on l what its calls wait for: a
// first contact (TLS handshake, first reply) and the limiter of
// interceptor.WithThrottle when they last over a second, and each retry's wait
// (method, attempt, wait, the gRPC and Clarifai codes that caused it). It
// logs no key and no server text. A throttle.Redis logs its own fallback
// to local pacing: give it throttle.Logger(l) too.
func WithLogger(l *slog.Logger) Option {
	return func(o *clientOptions) { o.logger = l }
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

// WithInterceptorOptions passes options to the authentication
// interceptors: interceptor.WithUserApp (it wins over the environment's
// default app), WithThrottle, WithPreflight, AllowInsecureTransport (needed
// for an "http://" base off this machine), and so on.
func WithInterceptorOptions(opts ...interceptor.Option) Option {
	return func(o *clientOptions) { o.icOpts = append(o.icOpts, opts...) }
}
