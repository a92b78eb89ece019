package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// UnaryClient returns a client interceptor that puts exactly one Clarifai
// credential on every unary call (see CallKey) and turns a reply whose
// in-band status is a failure into a *scopes.Error. A call without a usable
// credential fails unsent with Unauthenticated; no error holds the secret; a
// Source with an Invalidate method hears of a key the server rejects.
// It is safe for concurrent use.
func UnaryClient(src keysource.Source, opts ...Option) grpc.UnaryClientInterceptor {
	o := newOptions(opts)
	o.inv = invalidator(src)
	ic := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		var cfg callConfig
		callOpts = o.forCall(&cfg, callOpts)
		if cfg.checkSet {
			ctx = callinfo.WithStatusCheck(ctx, cfg.failed) // for clarifaiotel's handler
		}
		c := call{method: method, cc: ccOf(cc)}
		ctx, err := o.attach(ctx, src, &cfg, &c) // 1. key
		if err != nil {
			return err
		}
		o.activeChecks(&c)
		if req, err = o.runChecks(ctx, &c, req, everyStage); err != nil { // 2. checks
			return err
		}
		var bucket string
		if o.limiter != nil { // 3. throttle
			bucket = o.fps.Of(c.k).Bucket
			if ctx, err = wait(ctx, o.limiter, bucket); err != nil {
				return err
			}
		}
		err = invoker(ctx, method, req, reply, cc, o.guard(callOpts)...) // 4. send
		if err == nil {
			err = o.checkReply(cfg.failed, method, reply) // 5. reply
		}
		if o.limiter == nil { // 6. redact
			return o.fail(err, &c)
		}
		o.limiter.Done(bucket, throttled(method, reply, err))
		err = o.fail(err, &c)
		callinfo.Of(ctx).Attempt(err, false) // for a retry the limiter refuses
		return err
	}
	if o.explain == nil {
		return ic
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		if err := ic(ctx, method, req, reply, cc, invoker, callOpts...); err != nil {
			return o.explain(err)
		}
		return nil
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
