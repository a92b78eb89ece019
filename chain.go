package clarifaiauth

import (
	"context"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
)

// outer is NewClient's first interceptor, outside its retry, as one link
// of the chain (each link costs gRPC an allocation per call): it gives
// the call a record whose attempts the limiter counts, and a callLog for
// WithLogger, and runs the retry.
type outer struct {
	wl      *waitLog // WithLogger's; nil: none
	record  bool     // a limiter reads the call's callinfo.Call
	unaryR  grpc.UnaryClientInterceptor
	streamR grpc.StreamClientInterceptor // nil, with unaryR: no retry
}

func newOuter(wl *waitLog, record bool, ro []retry.CallOption) *outer {
	o := &outer{wl: wl, record: record}
	if ro != nil {
		o.unaryR, o.streamR = retry.UnaryClientInterceptor(ro...), retryServerStreams(ro...)
	}
	return o
}

// forCall returns ctx with what the call's attempts share.
func (o *outer) forCall(ctx context.Context, method string) context.Context {
	if o.record {
		// A retry the limiter refuses returns the server's answer to
		// the attempt before, and the limiter knows a retry.
		ctx = callinfo.ForCall(ctx)
	}
	if o.wl != nil {
		ctx = context.WithValue(ctx, callLogKey{}, &callLog{method: method})
	}
	return ctx
}

func (o *outer) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	ctx = o.forCall(ctx, method)
	if o.unaryR != nil {
		return o.unaryR(ctx, method, req, reply, cc, invoker, opts...)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (o *outer) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx = o.forCall(ctx, method)
	if o.streamR != nil {
		return o.streamR(ctx, desc, cc, method, streamer, opts...)
	}
	return streamer(ctx, desc, cc, method, opts...)
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
