package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// UnaryClient returns a client interceptor that puts exactly one Clarifai
// credential on every unary call and turns a reply whose in-band Clarifai
// status reports a failure into a *scopes.Error.
//
// The credential is resolved on every call, so a rotated key is used from
// the next call on. Precedence, highest first: CallKey, keysource.WithKey
// on the context, an authorization header the caller
// already put in the outgoing metadata, then src. Other metadata is kept.
//
// Without a usable credential the call is not sent: the error has gRPC code
// Unauthenticated (Canceled or DeadlineExceeded when the call's own context
// ended while the Source was asked) and wraps the keysource error, so
// errors.Is(err, keysource.ErrNoKey) works. No error holds a secret.
//
// When the reply's status is a failure, the reply message is left as the
// server sent it and the error is a *scopes.Error. The interceptor is safe
// for concurrent use; per call it costs what AppendToOutgoingContext costs
// plus one cached field read of the reply's status.
func UnaryClient(src keysource.Source, opts ...Option) grpc.UnaryClientInterceptor {
	o := newOptions(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		ctx, k, err := o.attach(ctx, src, callOpts)
		if err != nil {
			return err
		}
		if o.preflight != nil {
			if err := o.preflight.Check(ctx, cc, method, req, o.fingerprint(k), CallKey(k)); err != nil {
				return err
			}
		}
		if err := invoker(ctx, method, req, reply, cc, callOpts...); err != nil {
			return err
		}
		return o.checkReply(method, reply)
	}
}
