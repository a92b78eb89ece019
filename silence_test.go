package clarifaiauth_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

// silentServer accepts connections on loopback and never sends a byte.
func silentServer(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return lis.Addr().String()
}

// TestAttackSilentServer: a server that accepts the connection and never
// answers fails the first call (which has no deadline) within 5 s, not
// gRPC's 20, with an error that says the TLS handshake never came and
// names the setting the address came from.
func TestAttackSilentServer(t *testing.T) {
	t.Parallel() // all set by options: 5 s of waiting overlaps other tests
	var logs syncBuffer
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("https://"+silentServer(t)),
		clarifaiauth.WithSource(staticSource(clientPAT)), clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("u", "a")),
		clarifaiauth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	checkSilence(t, conn, "TLS handshake never came", "WithAPIBase")
	// With a logger, the wait was said while it lasted.
	if got := logs.String(); !strings.Contains(got, "waiting for the TLS handshake") || !strings.Contains(got, "from=WithAPIBase") {
		t.Errorf("logs:\n%s\nwant the wait for the TLS handshake said", got)
	}
}

// TestAttackSilentPlaintextServer: the same over plaintext, where the
// server's first reply never comes.
func TestAttackSilentPlaintextServer(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+silentServer(t)),
		clarifaiauth.WithSource(staticSource(clientPAT)), clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("u", "a")),
		clarifaiauth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	checkSilence(t, conn, "first reply never came", "WithAPIBase")
	if got := logs.String(); !strings.Contains(got, "waiting for the server's first reply") {
		t.Errorf("logs:\n%s\nwant the wait for the first reply said", got)
	}
}

func checkSilence(t *testing.T, conn *grpc.ClientConn, what, from string) {
	t.Helper()
	defer conn.Close()
	// A backstop only: the bound under test is 5 s.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	_, err := pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{})
	elapsed := time.Since(start)
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), from) {
		t.Errorf("after %v: err = %v; want Unavailable saying %q and naming %s", elapsed, err, what, from)
	}
	if elapsed > 8*time.Second {
		t.Errorf("took %v, want about 5 s", elapsed)
	}
	if strings.Contains(err.Error(), clientPAT) {
		t.Error("the error shows the key")
	}
	t.Logf("after %v: %v", elapsed, err)
}

// TestSilentServerBeforeTheCallsDeadline: a call whose own deadline passes
// first says what it was waiting for, naming the variable the address came
// from.
func TestSilentServerBeforeTheCallsDeadline(t *testing.T) {
	cleanEnv(t)
	t.Setenv("CLARIFAI_API_BASE", "https://"+silentServer(t))
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithSource(staticSource(clientPAT)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{})
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "TLS handshake never came") || !strings.Contains(err.Error(), "$CLARIFAI_API_BASE") {
		t.Errorf("err = %v; want DeadlineExceeded saying the TLS handshake never came, naming $CLARIFAI_API_BASE", err)
	}
}

// TestDeadlineAfterAFailedHandshake: a call that waits for a server whose
// handshakes fail (an untrusted certificate) and reaches its deadline says
// why the handshakes failed, not that the server was silent.
func TestDeadlineAfterAFailedHandshake(t *testing.T) {
	cleanEnv(t)
	_, cert := newCA(t)
	_, addr := serveFake(t, tlsListener(cert))
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("https://"+addr), clarifaiauth.WithSource(staticSource(clientPAT)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err = pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{}, grpc.WaitForReady(true))
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "certificate is not trusted") || strings.Contains(err.Error(), "never came") {
		t.Errorf("err = %v; want DeadlineExceeded naming the untrusted certificate", err)
	}
}
