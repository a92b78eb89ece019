package clarifaiauth

import (
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// DialOptions returns the dial options that authenticate every call made on
// a connection: the unary and stream interceptors of package interceptor,
// built with src and opts, added to the connection's interceptor chains.
//
//	conn, err := grpc.NewClient("api.clarifai.com:443",
//		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(nil, "")),
//		clarifaiauth.DialOptions(keysource.Default())...)
//
// The interceptors are appended with grpc.WithChainUnaryInterceptor and
// grpc.WithChainStreamInterceptor, so they run after interceptors given in
// earlier dial options and before those given in later ones; put retry
// before them (see package interceptor).
func DialOptions(src keysource.Source, opts ...interceptor.Option) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)),
	}
}
