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

// DialOptions returns the dial options that authenticate every call made on
// a connection: the unary and stream interceptors of package interceptor,
// built with src and opts, added to the connection's interceptor chains. Use
// it when dialling with grpc.NewClient yourself; NewClient uses it too.
//
//	conn, err := grpc.NewClient("api.clarifai.com:443", append([]grpc.DialOption{
//		grpc.WithTransportCredentials(credentials.NewTLS(nil)),
//		grpc.WithStatsHandler(clarifaiotel.Wrap(otelgrpc.NewClientHandler())), // traces see in-band failures
//		grpc.WithChainUnaryInterceptor(
//			logging.UnaryClientInterceptor(logger), // one line per call, with its final error
//			retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...),
//		),
//	}, clarifaiauth.DialOptions(src)...)...) // runs on every attempt
//
// The interceptors are appended with grpc.WithChainUnaryInterceptor and
// grpc.WithChainStreamInterceptor, so they run after interceptors given in
// earlier dial options, such as retry, and before those given in later ones.
//
// The connection requires transport security, as gRPC's own per-RPC
// credentials do: grpc.NewClient fails with insecure transport credentials,
// and a call over a connection that does not report privacy and integrity
// (TLS, ALTS) fails with Unauthenticated before anything is sent. For a local
// server or a test over plaintext, opt in with
// interceptor.AllowInsecureTransport():
//
//	conn, err := grpc.NewClient("localhost:50051", append([]grpc.DialOption{
//		grpc.WithTransportCredentials(insecure.NewCredentials()),
//	}, clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)...)
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
