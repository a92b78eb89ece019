package clarifaiauth_test

// Part of the adversarial suite (issue 13; see adversarial_test.go).
//
// Attacks covered here:
//   - 13 a key over a plaintext connection: TestAttackPlaintextTransport

import (
	"context"
	"net"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// leveled is transport credentials that do nothing to the connection and
// report what info says: no security level at all (nil info), or a level.
type leveled struct {
	credentials.TransportCredentials
	info credentials.AuthInfo
}

func (c leveled) ClientHandshake(_ context.Context, _ string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return conn, c.info, nil
}

func (c leveled) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "test"}
}

func (c leveled) Clone() credentials.TransportCredentials { return c }

type bareInfo struct{} // an AuthInfo without a security level

func (bareInfo) AuthType() string { return "test" }

type levelInfo struct{ credentials.CommonAuthInfo }

func (levelInfo) AuthType() string { return "test" }

func withLevel(l credentials.SecurityLevel) credentials.AuthInfo {
	return levelInfo{credentials.CommonAuthInfo{SecurityLevel: l}}
}

// secure dials the fake over a connection that reports privacy and
// integrity, as TLS does.
var secure = grpc.WithTransportCredentials(leveled{TransportCredentials: insecure.NewCredentials(), info: withLevel(credentials.PrivacyAndIntegrity)})

// TestAttackPlaintextTransport (attack 13): DialOptions refuses to start a
// connection without transport security, and the key never leaves over a
// transport that reports no or an unknown security level, through
// DialOptions or PerRPCCredentials, unless AllowInsecureTransport is given;
// no error shows the key.
func TestAttackPlaintextTransport(t *testing.T) {
	marker := testutil.Marker(t)
	src := staticSource(marker)
	_, err := grpc.NewClient("passthrough:///unused",
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, clarifaiauth.DialOptions(src)...)...)
	if err == nil {
		t.Fatal("grpc.NewClient accepted DialOptions over plaintext")
	}
	testutil.NoSecret(t, "NewClient error", err.Error(), marker)

	for _, tt := range []struct {
		name string
		info credentials.AuthInfo
		opts []interceptor.CredentialsOption
		want codes.Code // OK: the call goes through
	}{
		// gRPC lets these through; the library refuses them.
		{"no security level", bareInfo{}, nil, codes.Unauthenticated},
		{"unknown security level", withLevel(credentials.InvalidSecurityLevel), nil, codes.Unauthenticated},
		// gRPC itself refuses the connection for these.
		{"no security", withLevel(credentials.NoSecurity), nil, codes.Unavailable},
		{"integrity only", withLevel(credentials.IntegrityOnly), nil, codes.Unavailable},
		// Levels above PrivacyAndIntegrity mean nothing gRPC knows of.
		{"security level 4", withLevel(4), nil, codes.Unauthenticated},
		{"security level 255", withLevel(255), nil, codes.Unauthenticated},
		{"privacy and integrity", withLevel(credentials.PrivacyAndIntegrity), nil, codes.OK},
		{"no security level, allowed", bareInfo{}, []interceptor.CredentialsOption{interceptor.AllowInsecureTransport()}, codes.OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			creds := grpc.WithTransportCredentials(leveled{TransportCredentials: insecure.NewCredentials(), info: tt.info})
			var icOpts []interceptor.Option
			for _, o := range tt.opts {
				icOpts = append(icOpts, o)
			}
			for name, dialOpts := range map[string][]grpc.DialOption{
				"DialOptions":       clarifaiauth.DialOptions(src, icOpts...),
				"PerRPCCredentials": {grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(src, tt.opts...))},
				// Interceptors wired by hand, without DialOptions' guard.
				"hand-wired interceptors": {
					grpc.WithUnaryInterceptor(interceptor.UnaryClient(src, icOpts...)),
					grpc.WithStreamInterceptor(interceptor.StreamClient(src, icOpts...)),
				},
			} {
				srv, conn := clarifaifake.NewForTest(t, append(dialOpts, creds)...)
				srv.AddPAT(marker, []string{"All"}, nil)
				_, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{})
				// Without DialOptions' guard on the connection, gRPC dials and
				// the interceptors' per-call guard refuses the call.
				if got := status.Code(err); got != tt.want && !(name == "hand-wired interceptors" && tt.want == codes.Unavailable && got == codes.Unauthenticated) {
					t.Errorf("%s: err = %v, want %v", name, err, tt.want)
				}
				// A stream too.
				ctx, cancel := context.WithCancel(context.Background())
				stream, serr := pb.NewV2Client(conn).GenerateModelOutputs(ctx, &pb.PostModelOutputsRequest{})
				if serr == nil {
					_, serr = stream.Recv()
				}
				cancel()
				if tt.want == codes.OK {
					if serr != nil {
						t.Errorf("%s stream: %v", name, serr)
					}
					continue
				}
				if got := status.Code(serr); got != codes.Unauthenticated && got != codes.Unavailable {
					t.Errorf("%s stream: %v, want refused", name, serr)
				}
				if n := len(srv.Calls()); n != 0 {
					t.Errorf("%s: the server saw %d calls", name, n)
				}
				if err != nil {
					testutil.NoSecret(t, name+" error", err.Error(), marker)
				}
			}
		})
	}
}

// BenchmarkDialOptionsTransportGuard measures what requiring transport
// security costs per call: a connection built by DialOptions over a
// transport that reports privacy and integrity (the guard runs on every
// call) against the same connection with AllowInsecureTransport (no guard).
// Run: go test -run '^$' -bench DialOptionsTransportGuard -benchmem .
func BenchmarkDialOptionsTransportGuard(b *testing.B) {
	const key = "bench000000000000000000000000key1"
	creds := grpc.WithTransportCredentials(leveled{TransportCredentials: insecure.NewCredentials(), info: withLevel(credentials.PrivacyAndIntegrity)})
	for _, tt := range []struct {
		name string
		opts []interceptor.Option
	}{
		{"allow-insecure-no-guard", []interceptor.Option{interceptor.AllowInsecureTransport()}},
		{"guarded", nil},
	} {
		b.Run(tt.name, func(b *testing.B) {
			srv, conn := clarifaifake.NewForTest(b, append(clarifaiauth.DialOptions(staticSource(key), tt.opts...), creds)...)
			srv.AddPAT(key, []string{"All"}, nil)
			client := pb.NewV2Client(conn)
			req := &pb.PostModelOutputsRequest{}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := client.PostModelOutputs(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				if n++; n%1024 == 0 {
					srv.ResetCalls()
				}
			}
		})
	}
}

// TestTransportRuleOncePerPath: DialOptions' interceptors leave the
// transport rule to the connection's guard, which gRPC applies to every
// call, and add no per-call guard (it would cost gRPC four allocations a
// call); interceptors wired by hand, on a connection without that guard,
// add it to every call.
func TestTransportRuleOncePerPath(t *testing.T) {
	const key = "guard0000000000000000000000000key1"
	guards := func(dialOpts ...grpc.DialOption) int {
		var n int
		count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			for _, o := range opts {
				if _, ok := o.(grpc.PerRPCCredsCallOption); ok {
					n++
				}
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		// After the library's interceptors: it sees the call options they pass on.
		srv, conn := clarifaifake.NewForTest(t, append(dialOpts, secure, grpc.WithChainUnaryInterceptor(count))...)
		srv.AddPAT(key, []string{"All"}, nil)
		if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := guards(clarifaiauth.DialOptions(staticSource(key))...); n != 0 {
		t.Errorf("DialOptions: %d per-call guards, want 0 (the connection applies the rule)", n)
	}
	if n := guards(grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(staticSource(key)))); n != 1 {
		t.Errorf("UnaryClient wired by hand: %d per-call guards, want 1", n)
	}
}
