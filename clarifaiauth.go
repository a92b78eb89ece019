package clarifaiauth

import (
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/icopts"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// DialOptions returns the dial options that authenticate every call on a
// connection you dial yourself with grpc.NewClient: this library's
// interceptors, after those of earlier dial options, such as retry. Unless
// opts allow insecure transport, grpc.NewClient refuses insecure
// credentials and a call over a connection without privacy and integrity
// fails unsent with Unauthenticated. It panics on an invalid option.
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
