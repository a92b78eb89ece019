package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/redact"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// UnaryClient returns a client interceptor that puts exactly one Clarifai
// credential on every unary call and turns a reply whose in-band Clarifai
// status reports a failure into a *scopes.Error.
//
// The credential is resolved on every call, so a rotated key is used from
// the next call on; see CallKey for the precedence of overrides. Other
// metadata is kept. Options given to a call (CallKey, WithoutStatusCheck, …)
// override those given here for that call and are not passed on.
//
// Without a usable credential the call is not sent: the error has gRPC code
// Unauthenticated (Canceled or DeadlineExceeded when the call's own context
// ended while the Source was asked) and wraps the keysource error, so
// errors.Is(err, keysource.ErrNoKey) works. No error holds a secret.
//
// When the reply's status is a failure, the reply message is left as the
// server sent it and the error is a *scopes.Error. The call's secret is
// replaced by its redacted form in every error returned, should the server
// echo it. When the server rejects a key that src gave (CONN_KEY_INVALID,
// CONN_KEY_NOT_FOUND, CONN_CREDENTIALS_INVALID, CONN_TOKEN_INVALID, or a
// gRPC Unauthenticated error) and src implements keysource.Invalidator, it
// is told so with Invalidate, so it can fetch a fresh key early; overrides
// (CallKey, keysource.WithKey, a hand-written header) are not reported.
//
// The interceptor is safe for concurrent use. Per call, with a key from a
// Source, it adds one context value (the key's metadata is built once per
// key) and one cached field read of the reply's status: about what the
// AppendToOutgoingContext a caller would write by hand costs, with fewer
// allocations. Scrubbing and Invalidate cost nothing unless the call fails.
func UnaryClient(src keysource.Source, opts ...Option) grpc.UnaryClientInterceptor {
	o := newOptions(opts)
	o.inv = invalidator(src)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		var cfg callConfig
		callOpts = o.forCall(&cfg, callOpts)
		ctx, k, fromSource, err := o.attach(ctx, src, &cfg)
		if err != nil {
			return err
		}
		req = o.userApp.fill(req)
		if o.preflight != nil {
			if err := o.check(ctx, ccOf(cc), method, req, k); err != nil {
				return redact.Error(err, k)
			}
		}
		if o.userApp == nil {
			if err := needsUserApp(k, req); err != nil {
				return err
			}
		}
		var bucket string
		if o.limiter != nil {
			bucket = o.fps.Of(k).Bucket
			if err := wait(ctx, o.limiter, bucket); err != nil {
				return err
			}
		}
		err = invoker(ctx, method, req, reply, cc, callOpts...)
		if err == nil {
			err = o.checkReply(cfg.failed, method, reply)
		}
		if o.limiter != nil {
			o.limiter.Done(bucket, throttled(method, reply, err))
		}
		return o.fail(err, k, fromSource)
	}
}

// ccOf returns cc as the interface the preflight calls MyScopes on, or nil
// for a nil cc (an interceptor called outside gRPC).
func ccOf(cc *grpc.ClientConn) grpc.ClientConnInterface {
	if cc == nil {
		return nil
	}
	return cc
}
