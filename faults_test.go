package clarifaiauth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const faultKey = "fault0injection00000000000000key1"

// predictRequest is the PostModelOutputs request the root package's tests
// send.
func predictRequest() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "my-app"},
		ModelId:   "general-image-recognition",
	}
}

// dialFake starts a fake Clarifai server that knows faultKey and returns a
// client whose connection carries the library's DialOptions(src). Both end
// with the test.
func dialFake(t *testing.T, src keysource.Source) (*clarifaifake.Server, pb.V2Client) {
	t.Helper()
	fake, conn := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
	fake.AddPAT(faultKey, []string{"All"}, nil)
	return fake, pb.NewV2Client(conn)
}

// tsvCode is one row of Clarifai's status code list, as the reference copy
// in scopes/testdata gives it.
type tsvCode struct {
	number int32
	name   string
	class  string // ok, progress, state, failure
	grpc   string // the gRPC code a failure carries
}

// statusCodes reads the reference list itself rather than asking the scopes
// package, so the test checks the promise, not the implementation against
// itself.
func statusCodes(t *testing.T) []tsvCode {
	t.Helper()
	b, err := os.ReadFile("scopes/testdata/clarifai-status-codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []tsvCode
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 5 {
			t.Fatalf("bad row %q", line)
		}
		out = append(out, tsvCode{number: int32(n), name: f[1], class: f[3], grpc: f[4]})
	}
	if len(out) != 429 {
		t.Fatalf("%d codes in the list, want 429", len(out))
	}
	return out
}

// sentinels are the errors.Is targets the scopes package doc promises for
// the connection-level codes.
var sentinels = map[int32]error{
	10030: scopes.ErrTryAgain,
	11001: scopes.ErrKeyInvalid, 11002: scopes.ErrKeyInvalid, 11008: scopes.ErrKeyInvalid,
	11003: scopes.ErrThrottled, 11004: scopes.ErrThrottled, 11005: scopes.ErrThrottled, 11006: scopes.ErrThrottled,
	11007: scopes.ErrInsufficientScopes, 11009: scopes.ErrKeyNotFound, 11200: scopes.ErrAuthMethodDisabled,
}

// failureCodes lists the numbers of every failure-class status code.
func failureCodes(t *testing.T) []int32 {
	var out []int32
	for _, c := range statusCodes(t) {
		if c.class == "failure" && c.number != 0 {
			out = append(out, c.number)
		}
	}
	return out
}

// TestFaultEveryStatusCode drives every one of Clarifai's 429 status codes
// through a unary call and the first reply of a stream: a failure comes back
// as a *scopes.Error with the list's gRPC code; ok, progress and state codes
// pass, with the reply intact.
func TestFaultEveryStatusCode(t *testing.T) {
	fake, client := dialFake(t, staticSource(faultKey))
	for _, c := range statusCodes(t) {
		if c.number == 0 {
			continue // ZERO is "no status": see scopes' own tests
		}
		check := func(t *testing.T, err error) {
			t.Helper()
			if c.class != "failure" {
				if err != nil {
					t.Fatalf("%s (%s) is not a failure, but the call failed: %v", c.name, c.class, err)
				}
				return
			}
			if got := status.Code(err); got.String() != c.grpc {
				t.Errorf("status.Code = %v, want %v (err: %v)", got, c.grpc, err)
			}
			if want := sentinels[c.number]; want != nil && !errors.Is(err, want) {
				t.Errorf("errors.Is(err, %v) = false (err: %v)", want, err)
			}
			var se *scopes.Error
			if !errors.As(err, &se) || int32(se.Code) != c.number {
				t.Fatalf("err = %#v, want a *scopes.Error with code %d", err, c.number)
			}
		}
		t.Run("unary/"+c.name, func(t *testing.T) {
			fake.SetStatus(predictPath, c.number, "injected", "")
			defer fake.ClearStatus(predictPath)
			resp, err := client.PostModelOutputs(context.Background(), predictRequest())
			check(t, err)
			if err == nil && len(resp.GetOutputs()) == 0 {
				t.Error("the reply lost its outputs")
			}
		})
		t.Run("stream/"+c.name, func(t *testing.T) {
			fake.SetStreamCodes(generatePath, c.number, 10000)
			defer fake.SetStreamCodes(generatePath)
			stream, err := client.GenerateModelOutputs(context.Background(), predictRequest())
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.Recv()
			check(t, err)
		})
	}
}

const (
	predictPath  = "/clarifai.api.V2/PostModelOutputs"
	generatePath = "/clarifai.api.V2/GenerateModelOutputs"
)

// TestFaultServerDropsMidStream stops the server while a bidirectional
// stream is open: the next Recv fails with Unavailable, and nothing is left
// running (goleak, in TestMain).
func TestFaultServerDropsMidStream(t *testing.T) {
	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	fake.AddPAT(faultKey, []string{"All"}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- fake.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(),
		append(clarifaiauth.DialOptions(staticSource(faultKey), interceptor.AllowInsecureTransport()), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := pb.NewV2Client(conn).StreamModelOutputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictRequest()); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	fake.Stop()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	_, err = stream.Recv()
	if got := status.Code(err); got != codes.Unavailable {
		t.Fatalf("Recv after the server dropped = %v (%v), want Unavailable", got, err)
	}
}

// TestFaultSourceBlocksPastDeadline: a Source that hangs (a secret manager
// that does not answer) makes the call fail at its deadline with
// DeadlineExceeded, whether the Source honours the context itself or sits
// behind Cached; nothing is sent and no goroutine is left behind.
func TestFaultSourceBlocksPastDeadline(t *testing.T) {
	hang := keysource.SourceFunc(func(ctx context.Context) (keysource.Key, error) {
		<-ctx.Done()
		return keysource.Key{}, ctx.Err()
	})
	for _, tt := range []struct {
		name string
		src  keysource.Source
	}{
		{"source honours the deadline", hang},
		{"cached source", keysource.Cached(hang, time.Minute, keysource.RefreshTimeout(200*time.Millisecond))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := dialFake(t, tt.src)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := client.PostModelOutputs(ctx, predictRequest())
			if status.Code(err) != codes.DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want DeadlineExceeded", err)
			}
			if n := len(fake.Calls()); n != 0 {
				t.Errorf("server saw %d calls", n)
			}
		})
	}
}

// TestFaultCancelledContext: a call and a stream on a cancelled context end
// with Canceled, before and during the call.
func TestFaultCancelledContext(t *testing.T) {
	_, client := dialFake(t, staticSource(faultKey))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.PostModelOutputs(ctx, predictRequest()); status.Code(err) != codes.Canceled {
		t.Errorf("unary on a cancelled context: %v, want Canceled", err)
	}
	if _, err := client.StreamModelOutputs(ctx); status.Code(err) != codes.Canceled {
		t.Errorf("stream on a cancelled context: %v, want Canceled", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	stream, err := client.GenerateModelOutputs(ctx, predictRequest())
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, err = stream.Recv()
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		t.Log("the stream finished before the cancellation reached it")
	} else if status.Code(err) != codes.Canceled {
		t.Errorf("stream cancelled mid-way: %v, want Canceled", err)
	}
}

// TestFaultSourceTimesOutOnItsOwn: a secret manager that does not answer
// within Cached's own refresh timeout leaves the call without a credential
// (Unauthenticated), not with the caller's DeadlineExceeded: the caller's
// deadline was not reached.
func TestFaultSourceTimesOutOnItsOwn(t *testing.T) {
	hang := keysource.SourceFunc(func(ctx context.Context) (keysource.Key, error) {
		<-ctx.Done()
		return keysource.Key{}, ctx.Err()
	})
	fake, client := dialFake(t, keysource.Cached(hang, time.Minute, keysource.RefreshTimeout(50*time.Millisecond)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.PostModelOutputs(ctx, predictRequest())
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("err = %v (code %v), want Unauthenticated", err, status.Code(err))
	}
	if ctx.Err() != nil {
		t.Fatal("the caller's deadline passed; the test proves nothing")
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("server saw %d calls", n)
	}
}
