package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/internal/redact"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// UnaryClient returns a client interceptor that puts exactly one Clarifai
// credential on every unary call (see CallKey for where it comes from) and
// turns a reply whose in-band status is a failure into a *scopes.Error.
//
// A call without a usable credential is not sent: its error has code
// Unauthenticated and wraps the keysource error (errors.Is(err,
// keysource.ErrNoKey)). No error holds the call's secret, even one the
// server echoed. When the server rejects a key from src and src is a
// has an Invalidate method, src is told so. It is safe for concurrent use.
func UnaryClient(src keysource.Source, opts ...Option) grpc.UnaryClientInterceptor {
	o := newOptions(opts)
	o.inv = invalidator(src)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		var cfg callConfig
		callOpts = o.forCall(&cfg, callOpts)
		if cfg.checkSet {
			ctx = callinfo.WithStatusCheck(ctx, cfg.failed)
		}
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
			if ctx, err = wait(ctx, o.limiter, bucket); err != nil {
				return err
			}
		}
		err = invoker(ctx, method, req, reply, cc, o.guard(callOpts)...)
		if err == nil {
			err = o.checkReply(cfg.failed, method, reply)
		}
		if o.limiter == nil {
			return o.fail(err, k, fromSource)
		}
		o.limiter.Done(bucket, throttled(method, reply, err))
		err = o.fail(err, k, fromSource)
		callinfo.Of(ctx).Attempt(err, false) // for a retry the limiter refuses
		return err
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
