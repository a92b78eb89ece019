package clarifaiauth_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// TestNewClientWithoutAKey: no key anywhere and no WithSource fails at
// NewClient, with the error that says where it looked.
func TestNewClientWithoutAKey(t *testing.T) {
	cleanEnv(t)
	_, err := clarifaiauth.NewClient()
	if !errors.Is(err, keysource.ErrNoKey) || !strings.Contains(err.Error(), "CLARIFAI_PAT") {
		t.Errorf("err = %v, want keysource.ErrNoKey naming where it looked", err)
	}
	if _, err := clarifaiauth.Resolve(); !errors.Is(err, keysource.ErrNoKey) {
		t.Errorf("Resolve: err = %v, want keysource.ErrNoKey", err)
	}
}

// attempts counts the attempts the retry makes: it runs inside the retry.
func attempts(n *atomic.Int32) clarifaiauth.Option {
	return clarifaiauth.WithDialOptions(grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			n.Add(1)
			return invoker(ctx, method, req, reply, cc, opts...)
		}))
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// TestServerThatCannotWork: a first call to a server that cannot work is
// tried once, not retried for seconds, and its error names the server, the
// setting it came from and what to check.
func TestServerThatCannotWork(t *testing.T) {
	_, plain := serveFake(t, nil)
	caPEM, cert := newCA(t)
	_, tlsAddr := serveFake(t, tlsListener(cert))
	_ = caPEM // not trusted: the bad certificate case
	closed := closedPort(t)
	for _, tc := range []struct {
		name, env, base string
		opts            []clarifaiauth.Option
		from, hint      string
	}{
		{name: "TLS to plaintext", env: "https://" + plain, from: "$CLARIFAI_API_BASE", hint: "does not speak TLS"},
		{name: "refused", base: "http://" + closed, opts: []clarifaiauth.Option{insecureOK}, from: "WithAPIBase", hint: "nothing accepts connections"},
		{name: "unresolvable", env: "https://nonexistent.invalid:443", from: "$CLARIFAI_API_BASE", hint: "does not resolve"},
		{name: "bad certificate", base: "https://" + tlsAddr, from: "WithAPIBase", hint: "certificate is not trusted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			t.Setenv("CLARIFAI_PAT", clientPAT)
			t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
			t.Setenv("CLARIFAI_APP_ID", "env-app")
			t.Setenv("CLARIFAI_API_BASE", tc.env)
			var n atomic.Int32
			opts := append([]clarifaiauth.Option{attempts(&n)}, tc.opts...)
			if tc.base != "" {
				opts = append(opts, clarifaiauth.WithAPIBase(tc.base))
			}
			conn, err := clarifaiauth.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{})
			if status.Code(err) != codes.Unavailable || n.Load() != 1 {
				t.Fatalf("err = %v after %d attempts, want Unavailable after 1", err, n.Load())
			}
			msg := status.Convert(err).Message()
			for _, want := range []string{"(from " + tc.from + ")", tc.hint} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
		})
	}
}

// TestDroppedCallStillRetried: once a connection has worked, Unavailable
// is retried as before.
func TestDroppedCallStillRetried(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	var n atomic.Int32
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK, attempts(&n))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)
	if _, err := client.PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
		t.Fatal(err)
	}
	fake.SetError("", status.Error(codes.Unavailable, "dropped"))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, _ = client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{})
	if n.Load() < 3 {
		t.Errorf("%d attempts in all, want the dropped call retried", n.Load())
	}
}

// TestHostNamedLikeAScheme: WithAPIBase("http://unix:8080") dials the
// host "unix", never the unix socket ./8080.
func TestHostNamedLikeAScheme(t *testing.T) {
	cleanEnv(t)
	t.Chdir(t.TempDir())
	lis, err := net.Listen("unix", "8080")
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	fake.AddPAT(clientPAT, []string{"All"}, nil)
	go fake.Serve(lis)
	defer fake.Stop()
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	for _, base := range []string{"http://unix:8080", "http://unix-abstract:8080", "http://passthrough:8080"} {
		conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase(base), insecureOK, clarifaiauth.WithoutRetry())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{})
		cancel()
		conn.Close()
		if err == nil {
			t.Errorf("%s: the call succeeded", base)
		}
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("the unix socket ./8080 got %d calls, want none", n)
	}
}

// TestLargeReplies: replies over gRPC's default limit of 4 MiB pass.
func TestLargeReplies(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	big := strings.Repeat("x", 6<<20)
	fake.SetReply("/clarifai.api.V2/PostModelOutputs", clarifaifake.Typed(
		func(context.Context, *pb.PostModelOutputsRequest) ([]*pb.MultiOutputResponse, error) {
			return []*pb.MultiOutputResponse{{Outputs: []*pb.Output{{Id: big}}}}, nil
		}))
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{})
	if err != nil {
		t.Fatalf("a 6 MiB reply: %v", err)
	}
	if got := resp.GetOutputs()[0].GetId(); len(got) != len(big) {
		t.Errorf("reply of %d bytes, want %d", len(got), len(big))
	}
}

// TestResolve: Resolve says what NewClient uses and where each came from,
// the key only redacted.
func TestResolve(t *testing.T) {
	cleanEnv(t)
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user")
	s, err := clarifaiauth.Resolve(clarifaiauth.WithAPIBase("api.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	got := s.String()
	for _, want := range []string{"https://api.example.com:443 (WithAPIBase)", `user "env-user" ($CLARIFAI_USER_ID)`, "app not set", "($CLARIFAI_PAT)"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q", got, want)
		}
	}
	if strings.Contains(got, clientPAT) {
		t.Error("Resolve's String shows the key")
	}
	if _, err := clarifaiauth.Resolve(clarifaiauth.WithAPIBase("http://10.1.2.3:1")); !errors.Is(err, transportsec.ErrInsecureBase) ||
		!strings.Contains(err.Error(), "http://10.1.2.3:1 (from WithAPIBase)") {
		t.Errorf("plaintext off this machine without opt-in: %v", err)
	}
	if _, err := clarifaiauth.Resolve(clarifaiauth.WithAPIBase("http://127.0.0.1:1")); err != nil {
		t.Errorf("plaintext on loopback: %v", err)
	}
	// WithUserApp wins over the environment, even with nothing.
	s, err = clarifaiauth.Resolve(clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("", "opt-app")))
	if got := s.String(); err != nil || !strings.Contains(got, "user not set") || !strings.Contains(got, `app "opt-app" (WithUserApp)`) {
		t.Errorf("WithUserApp: %s, %v", got, err)
	}
}

// TestReadmeProgramWithoutKey: the README's program stops before any call
// when there is no key.
func TestReadmeProgramWithoutKey(t *testing.T) {
	cleanEnv(t)
	if _, err := predict(t.Context(), &pb.PostModelOutputsRequest{}); !errors.Is(err, keysource.ErrNoKey) {
		t.Errorf("err = %v, want keysource.ErrNoKey", err)
	}
}
