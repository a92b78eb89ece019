package clarifaiauth

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// DialOptions returns the dial options that authenticate every call on a
// connection you dial yourself with grpc.NewClient: the unary and stream
// interceptors of package interceptor, built with src and opts, appended to
// the connection's interceptor chains, so that they run after interceptors
// given in earlier dial options, such as retry. NewClient uses it too.
//
// The connection requires transport security unless opts include
// interceptor.AllowInsecureTransport(): grpc.NewClient fails with insecure
// transport credentials, and a call over a connection without privacy and
// integrity fails with Unauthenticated before anything is sent.
func DialOptions(src keysource.Source, opts ...interceptor.Option) []grpc.DialOption {
	dialOpts := []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)),
	}
	// PerRPCCredentials requires transport security exactly when opts do
	// not allow going without.
	if interceptor.PerRPCCredentials(nil, opts...).RequireTransportSecurity() {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(transportGuard{}))
	}
	return dialOpts
}

// transportGuard is a per-RPC credential that adds nothing: it makes the
// connection require transport security (grpc.NewClient refuses insecure
// transport credentials with it) and refuses, per call, a connection that
// does not report privacy and integrity, including one that reports no
// security level at all.
type transportGuard struct{}

var errInsecure = status.Error(codes.Unauthenticated, "clarifaiauth: refusing to send a Clarifai credential over a connection without transport security (see interceptor.AllowInsecureTransport)")

func (transportGuard) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	ri, _ := credentials.RequestInfoFromContext(ctx)
	ci, ok := ri.AuthInfo.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	})
	if !ok || ci.GetCommonAuthInfo().SecurityLevel < credentials.PrivacyAndIntegrity {
		return nil, errInsecure
	}
	return nil, nil
}

func (transportGuard) RequireTransportSecurity() bool { return true }
