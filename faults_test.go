package clarifaiauth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakev2"
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

// dialFake starts a fake Clarifai server that knows faultKey and returns a
// client whose connection carries the library's DialOptions(src). Both end
// with the test.
func dialFake(t *testing.T, src keysource.Source) (*fakev2.Server, pb.V2Client) {
	t.Helper()
	fake := fakev2.New()
	fake.AddKey(faultKey, []string{"All"}, nil)
	fake.Start()
	conn, err := fake.Dial(clarifaiauth.DialOptions(src)...)
	if err != nil {
		fake.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		fake.Stop()
	})
	return fake, pb.NewV2Client(conn)
}

// documented is the gRPC code and sentinel every Clarifai failure code must
// come back with, as the scopes package doc promises. It is written out here
// rather than read from the scopes package, so the test checks the promise,
// not the implementation against itself.
func documented(code int32) (codes.Code, error) {
	switch {
	case code == 0:
		return codes.Unknown, scopes.ErrMissingStatus
	case code == 10020:
		return codes.Unknown, scopes.ErrFailure
	case code == 10030:
		return codes.Unavailable, scopes.ErrTryAgain
	case code == 11000:
		return codes.PermissionDenied, scopes.ErrAccountIssues
	case code == 11001, code == 11002, code == 11008:
		return codes.Unauthenticated, scopes.ErrKeyInvalid
	case code >= 11003 && code <= 11006:
		return codes.ResourceExhausted, scopes.ErrThrottled
	case code == 11007:
		return codes.PermissionDenied, scopes.ErrInsufficientScopes
	case code == 11009:
		return codes.Unauthenticated, scopes.ErrKeyNotFound
	case code == 11100, code == 90400:
		return codes.InvalidArgument, scopes.ErrBadRequest
	case code == 11105:
		return codes.OutOfRange, scopes.ErrBadRequest
	case code == 11101:
		return codes.NotFound, scopes.ErrNotFound
	case code == 11102:
		return codes.InvalidArgument, scopes.ErrInvalidRequest
	case code == 11103:
		return codes.Unimplemented, scopes.ErrMethodNotAllowed
	case code == 11104:
		return codes.FailedPrecondition, scopes.ErrNoGDPRConsent
	case code == 11200:
		return codes.PermissionDenied, scopes.ErrAuthMethodDisabled
	case code >= 99001 && code <= 99005: // *_UNCATEGORIZED: whose fault is unknown
		return codes.Unknown, scopes.ErrInternal
	case code == 90500, code >= 98000 && code <= 99999:
		return codes.Internal, scopes.ErrInternal
	}
	return codes.Unknown, nil
}

// failureCodes lists every status code of the fixture's enum that is not a
// success, in order.
func failureCodes() []int32 {
	var out []int32
	for n := range pb.StatusCode_name {
		switch n {
		case 10000, 10001, 10002, 10010:
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func TestFaultEveryFailureCode(t *testing.T) {
	fake, client := dialFake(t, keysource.Static(faultKey))

	codesSeen := failureCodes()
	if len(codesSeen) < 25 {
		t.Fatalf("only %d failure codes in the fixture", len(codesSeen))
	}
	for _, code := range codesSeen {
		wantCode, wantErr := documented(code)
		name := pb.StatusCode(code).String()
		check := func(t *testing.T, err error) {
			t.Helper()
			if got := status.Code(err); got != wantCode {
				t.Errorf("status.Code = %v, want %v (err: %v)", got, wantCode, err)
			}
			if wantErr != nil && !errors.Is(err, wantErr) {
				t.Errorf("errors.Is(err, %v) = false (err: %v)", wantErr, err)
			}
			var se *scopes.Error
			if !errors.As(err, &se) || int32(se.Code) != code {
				t.Fatalf("err = %#v, want a *scopes.Error with code %d", err, code)
			}
		}
		t.Run("unary/"+name, func(t *testing.T) {
			fake.SetStatus(predictPath, code, "injected", "")
			defer fake.ClearStatus(predictPath)
			_, err := client.PostModelOutputs(context.Background(), predictRequest())
			check(t, err)
		})
		t.Run("stream/"+name, func(t *testing.T) {
			fake.SetStreamCodes(generatePath, 10000, code, 10000)
			defer fake.SetStreamCodes(generatePath)
			stream, err := client.GenerateModelOutputs(context.Background(), predictRequest())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); err != nil {
				t.Fatalf("first message: %v", err)
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
	fake := fakev2.New()
	fake.AddKey(faultKey, []string{"All"}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- fake.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(),
		append(clarifaiauth.DialOptions(keysource.Static(faultKey)), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
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
		{"cached source", keysource.Cached(hang, time.Minute, keysource.CacheRefreshTimeout(200*time.Millisecond))},
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
	_, client := dialFake(t, keysource.Static(faultKey))

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
	fake, client := dialFake(t, keysource.Cached(hang, time.Minute, keysource.CacheRefreshTimeout(50*time.Millisecond)))
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
