package clarifaiauth

import (
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/icopts"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// DialOptions returns the dial options that authenticate every call on a
// connection you dial yourself with grpc.NewClient: the unary and stream
// interceptors of package interceptor, built with src and opts, appended to
// the connection's interceptor chains, so that they run after interceptors
// given in earlier dial options, such as retry. NewClient uses it too.
//
// The connection requires transport security unless opts include
// interceptor.AllowInsecureTransport(): grpc.NewClient fails with insecure
// transport credentials, and a call over a connection that does not report
// exactly privacy and integrity fails with Unauthenticated before anything
// is sent. It panics on an invalid option (see interceptor.Validate).
func DialOptions(src keysource.Source, opts ...interceptor.Option) []grpc.DialOption {
	var guard []grpc.DialOption
	if !icopts.Read(opts).AllowInsecure {
		// The connection applies the rule to every call, and makes
		// grpc.NewClient refuse insecure transport credentials: the
		// interceptors need no guard of their own.
		guard = []grpc.DialOption{grpc.WithPerRPCCredentials(transportsec.Guard{})}
		opts = append(opts[:len(opts):len(opts)], icopts.ConnGuarded.(interceptor.Option))
	}
	return append([]grpc.DialOption{
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)),
	}, guard...)
}
