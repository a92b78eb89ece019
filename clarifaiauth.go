package clarifaiauth

import (
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
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
	dialOpts := []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)),
	}
	if !interceptor.AllowsInsecureTransport(opts...) {
		// The interceptors apply the rule per call; on the connection it
		// also makes grpc.NewClient refuse insecure transport credentials.
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(transportsec.Guard{}))
	}
	return dialOpts
}
