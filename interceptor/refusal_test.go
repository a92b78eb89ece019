package interceptor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// errBudget stands for a limiter's refusal (throttle.ErrLimited).
var errBudget = status.Error(codes.ResourceExhausted, "no retry budget left")

// budgetLimiter refuses every retry; it refuses the first n waits of all.
type budgetLimiter struct {
	mu       sync.Mutex
	refuseN  int
	waits    []bool // retry flag of each Wait
	throttle []bool // throttled flag of each Done
}

func (l *budgetLimiter) Wait(_ context.Context, _ string, retry bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, retry)
	if retry || len(l.waits) <= l.refuseN {
		return errBudget
	}
	return nil
}

func (l *budgetLimiter) Done(_ string, throttled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttle = append(l.throttle, throttled)
}

func (l *budgetLimiter) got() (waits, dones []bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]bool(nil), l.waits...), append([]bool(nil), l.throttle...)
}

// retryOpts retry as Clarifai's policy does, without its pauses.
var retryOpts = []retry.CallOption{retry.WithMax(5), retry.WithRetriable(scopes.Retriable),
	retry.WithBackoff(retry.BackoffLinear(time.Millisecond))}

// checkRefusedRetry checks that err is a refused retry that keeps the
// server's CONN_THROTTLED answer to the attempt before.
func checkRefusedRetry(t *testing.T, err error) {
	t.Helper()
	var se *scopes.Error
	if !errors.As(err, &se) || se.Code != 11005 || se.Local {
		t.Fatalf("err = %v: want the server's CONN_THROTTLED *scopes.Error in its chain", err)
	}
	if !errors.Is(err, errBudget) {
		t.Errorf("err = %v: want the limiter's refusal in its chain", err)
	}
	if !errors.Is(err, scopes.ErrThrottled) {
		t.Errorf("err = %v: want errors.Is(err, scopes.ErrThrottled)", err)
	}
	if got, want := status.Code(err), status.Code(se); got != want {
		t.Errorf("gRPC code %v, want the last attempt's %v", got, want)
	}
	if scopes.Retriable(err) {
		t.Error("a refused retry is Retriable")
	}
}

// TestRefusedRetryKeepsServerAnswer: a retry the limiter refuses returns
// the server's answer to the attempt before, with the refusal in its
// chain, and is not retried again: a unary call and a server stream.
func TestRefusedRetryKeepsServerAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &budgetLimiter{}
	src := staticSource(sourceKey)
	opts := []interceptor.Option{interceptor.AllowInsecureTransport(), interceptor.WithThrottle(l)}
	srv, conn := clarifaifake.NewForTest(t,
		grpc.WithChainUnaryInterceptor(callinfo.Unary, retry.UnaryClientInterceptor(retryOpts...), interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(callinfo.Stream, retry.StreamClientInterceptor(retryOpts...), interceptor.StreamClient(src, opts...)))
	srv.AddPAT(sourceKey, []string{"All"}, nil)
	client := pb.NewV2Client(conn)

	srv.SetStatus(predictPath, 11005, "throttled", "")
	_, err := client.PostModelOutputs(ctx, predictReq())
	checkRefusedRetry(t, err)
	if waits, _ := l.got(); len(waits) != 2 {
		t.Errorf("waits %v: want the first attempt and one refused retry, no more", waits)
	}

	srv.SetStreamCodes(generatePath, 11005)
	stream, err := client.GenerateModelOutputs(ctx, predictReq())
	if err == nil {
		_, err = stream.Recv()
	}
	checkRefusedRetry(t, err)
	if waits, _ := l.got(); len(waits) != 4 {
		t.Errorf("waits %v: want two per call", waits)
	}
	if n := len(srv.Calls()); n != 2 {
		t.Errorf("server saw %d calls, want 2", n)
	}
}

// TestRefusedFirstAttempt: a first attempt the limiter refuses has no
// earlier answer to keep, and a call without a callinfo.Call (its retry
// chained without one) gets the refusal as it is.
func TestRefusedFirstAttempt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &budgetLimiter{refuseN: 1}
	src := staticSource(sourceKey)
	srv, conn := clarifaifake.NewForTest(t, grpc.WithChainUnaryInterceptor(
		retry.UnaryClientInterceptor(retryOpts...), interceptor.UnaryClient(src, interceptor.AllowInsecureTransport(), interceptor.WithThrottle(l))))
	srv.AddPAT(sourceKey, []string{"All"}, nil)
	client := pb.NewV2Client(conn)
	if _, err := client.PostModelOutputs(ctx, predictReq()); err != errBudget {
		t.Errorf("err = %v, want the refusal as it is", err)
	}
	srv.SetStatus(predictPath, 11005, "throttled", "")
	if _, err := client.PostModelOutputs(ctx, predictReq()); err != errBudget {
		t.Errorf("err = %v, want the refusal as it is", err)
	}
}

// TestPreflightOwnCall: the preflight's MyScopes call carries the key and
// the request tag but none of the caller's outgoing metadata, is not a
// retry when the call it checks is, and its throttled reply tells the
// limiter so.
func TestPreflightOwnCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &recLimiter{}
	e := newEnv(t, staticSource(sourceKey), []interceptor.Option{
		interceptor.WithThrottle(l), interceptor.WithPreflight(preflight.New())})
	e.srv.SetStatus(myScopesPath, 11005, "throttled", "")
	ctx = metadata.AppendToOutgoingContext(ctx, "x-retry-attempt", "1", "x-caller", "mine")
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); err != nil {
		t.Fatal(err)
	}
	calls := e.srv.Calls()
	if len(calls) != 2 || calls[0].Method != myScopesPath {
		t.Fatalf("server saw %d calls, want MyScopes then the call", len(calls))
	}
	my := calls[0]
	for _, h := range []string{"x-retry-attempt", "x-caller"} {
		if v := my.Header(h); len(v) != 0 {
			t.Errorf("MyScopes carried the caller's %s: %q", h, v)
		}
	}
	if v := my.Header("x-clarifai-request-id-prefix"); len(v) != 1 || v[0] == "" {
		t.Errorf("MyScopes request tag %q, want one", v)
	}
	if name, _ := credentialOf(t, my); name != "authorization" {
		t.Errorf("MyScopes credential in %q", name)
	}
	if v := calls[1].Header("x-caller"); len(v) != 1 {
		t.Errorf("the call itself lost the caller's header: %q", v)
	}
	waits, dones := l.got()
	if len(waits) != 2 || waits[0].retry || !waits[1].retry {
		t.Errorf("waits %+v: want MyScopes not a retry, then the retried call", waits)
	}
	if len(dones) != 2 || !dones[0].throttled || dones[1].throttled {
		t.Errorf("dones %+v: want the throttled MyScopes reported throttled", dones)
	}
}

// TestPreflightRefusedNotCached: a MyScopes call the limiter refuses is
// not remembered as the grant's failure: the next call asks again, and the
// preflight refuses what the key may not do.
func TestPreflightRefusedNotCached(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &budgetLimiter{refuseN: 1} // the first MyScopes only
	// The chain NewClient builds: the MyScopes call goes through it too.
	src := staticSource(limitedKey)
	opts := []interceptor.Option{interceptor.AllowInsecureTransport(), interceptor.WithThrottle(l), interceptor.WithPreflight(preflight.New())}
	srv, conn := clarifaifake.NewForTest(t, grpc.WithChainUnaryInterceptor(
		callinfo.Unary, retry.UnaryClientInterceptor(retryOpts...), interceptor.UnaryClient(src, opts...)))
	srv.AddPAT(limitedKey, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	e := &env{srv: srv, conn: conn, client: pb.NewV2Client(conn)}
	// Unchecked, the first call goes out and the server refuses it.
	_, err := e.client.PostInputs(ctx, inputsReq("me", "app"))
	var se *scopes.Error
	if !errors.As(err, &se) || se.Local {
		t.Fatalf("first call: %v, want the server's refusal", err)
	}
	_, err = e.client.PostInputs(ctx, inputsReq("me", "app"))
	if !errors.As(err, &se) || !se.Local {
		t.Fatalf("second call: %v, want the preflight's refusal", err)
	}
	var mine int
	for _, c := range e.srv.Calls() {
		if c.Method == myScopesPath {
			mine++
		}
	}
	if mine != 1 {
		t.Errorf("server saw %d MyScopes calls, want 1 (the second check's)", mine)
	}
}
