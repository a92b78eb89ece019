package scopes

import (
	"context"
	"errors"
	"net"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/localerr"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
)

// answer starts a gRPC server on bufconn that answers every call with err
// and returns a connection to it with opts.
func answer(t *testing.T, err error, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error { return err }))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	opts = append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, opts...)
	cc, dialErr := grpc.NewClient("passthrough:///bufnet", opts...)
	if dialErr != nil {
		t.Fatal(dialErr)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func call(cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	return cc.Invoke(context.Background(), postInputs, &emptypb.Empty{}, &emptypb.Empty{}, opts...)
}

// refusing is a per-RPC credential that refuses every call with err.
type refusing struct{ err error }

func (r refusing) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return nil, r.err
}
func (refusing) RequireTransportSecurity() bool { return false }

// TestServerTextIsNotALocalMark: a server's Unauthenticated is its verdict on
// the key whatever its message says, even when it reads like this module's
// or gRPC's own text; only the type says an error is the client's.
func TestServerTextIsNotALocalMark(t *testing.T) {
	for _, msg := range []string{
		"clarifaiauth: refusing to send a Clarifai credential over a connection without transport security",
		"transport: key revoked",
	} {
		err := call(answer(t, status.Error(codes.Unauthenticated, msg)))
		if e, ok := FromError(err); !ok || e.Code != 11008 || e.Local {
			t.Errorf("FromError(server's %q) = %v, %v; want the server's CONN_KEY_INVALID", msg, e, ok)
		}
	}
}

// TestLocalMarkCrossesGRPC: a credential's typed refusal reaches the caller
// through a real call as itself, and FromError leaves it alone; gRPC's own
// refusal of a credential that needs transport security is left alone too.
func TestLocalMarkCrossesGRPC(t *testing.T) {
	cc := answer(t, status.Error(codes.Unauthenticated, "API key not found"))
	mine := localerr.New(codes.Unauthenticated, "refused here")
	for name, err := range map[string]error{
		"typed":     call(cc, grpc.PerRPCCredentials(refusing{mine})),
		"insecure":  call(cc, grpc.PerRPCCredentials(refusing{transportsec.ErrInsecure})),
		"grpc-text": call(cc, transportsec.CallOption),
	} {
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("%s: err = %v, want Unauthenticated", name, err)
		}
		if e, ok := FromError(err); ok {
			t.Errorf("%s: FromError(%v) = %v, want the client's error left alone", name, err, e)
		}
	}
	if err := call(cc, grpc.PerRPCCredentials(refusing{mine})); !errors.Is(err, mine) {
		t.Errorf("the credential's error arrived as %T %v, not as itself", err, err)
	}
	if e, ok := FromError(call(cc)); !ok || e.Code != 11009 {
		t.Errorf("FromError(server's rejection) = %v, %v", e, ok)
	}
}

// TestOneStatusInDetails: FromError, Retriable and the redaction read the
// same Clarifai status out of a gRPC error's details: the first with a code.
func TestOneStatusInDetails(t *testing.T) {
	p := status.New(codes.PermissionDenied, "denied").Proto()
	noCode, _ := anypb.New(&errdetails.ErrorInfo{Reason: "x"})
	for _, st := range []*ct.Status{{Description: "no code"}, {Code: ct.StatusCode_CONN_THROTTLED}, {Code: ct.StatusCode_CONN_KEY_NOT_FOUND}} {
		a, err := anypb.New(st)
		if err != nil {
			t.Fatal(err)
		}
		p.Details = append(p.Details, a)
	}
	p.Details = append([]*anypb.Any{noCode}, p.Details...)
	err := call(answer(t, status.ErrorProto(p)))
	e, ok := FromError(err)
	if !ok || e.Code != 11005 {
		t.Errorf("FromError = %v, %v; want the first status with a code, CONN_THROTTLED", e, ok)
	}
	if !Retriable(err) {
		t.Error("Retriable = false; the first status with a code is CONN_THROTTLED")
	}
}
