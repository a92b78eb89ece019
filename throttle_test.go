package clarifaiauth_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// countingLimiter records the retry flag of every Wait of the Limiter it
// wraps.
type countingLimiter struct {
	*throttle.Limiter
	mu    sync.Mutex
	waits []bool
}

func (c *countingLimiter) Wait(ctx context.Context, bucket string, retry bool) error {
	c.mu.Lock()
	c.waits = append(c.waits, retry)
	c.mu.Unlock()
	return c.Limiter.Wait(ctx, bucket, retry)
}

// TestWithThrottle: NewClient's limiter runs inside its retry, so every
// attempt waits for it; once throttled replies have spent the retry budget,
// a retry is refused, unsent, with ResourceExhausted, and NewClient's retry
// does not try it again.
func TestWithThrottle(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	fake.SetRateLimit(0.001, 1) // the first call passes, every later one is throttled
	key, err := keysource.NewKey(keysource.KindPAT, clientPAT)
	if err != nil {
		t.Fatal(err)
	}
	l := &countingLimiter{Limiter: throttle.Local(1000, 1000)}
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), clarifaiauth.WithInterceptorOptions(interceptor.AllowInsecureTransport(), interceptor.WithUserApp("u", "a")),
		clarifaiauth.WithSource(key), clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call := func() error {
		_, err := client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"},
			retry.WithBackoff(retry.BackoffLinear(time.Millisecond)))
		return err
	}
	if err := call(); err != nil {
		t.Fatalf("first call: %v", err)
	}
	// Five attempts, all sent and throttled: the four retries spend four
	// tokens of ten (gRFC A6: a retry costs one).
	if err := call(); err == nil || errors.Is(err, throttle.ErrLimited) {
		t.Fatalf("a call throttled five times: %v, want the server's CONN_THROTTLED", err)
	}
	if n := len(fake.Calls()); n != 6 {
		t.Fatalf("the server saw %d calls, want 6: every attempt is sent", n)
	}
	// The next call's first attempt is sent, its first retry too (spending
	// the fifth token); its second retry is refused, once.
	err = call()
	if !errors.Is(err, throttle.ErrLimited) || status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a call past the retry budget: %v, want ErrLimited, ResourceExhausted", err)
	}
	if n := len(fake.Calls()); n != 8 {
		t.Errorf("the server saw %d calls, want 8: a refused retry is not sent", n)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	want := []bool{false, false, true, true, true, true, false, true, true}
	if len(l.waits) != len(want) {
		t.Fatalf("the limiter was asked %d times (retry flags %v), want %d (%v): a refused retry is not retried",
			len(l.waits), l.waits, len(want), want)
	}
	for i := range want {
		if l.waits[i] != want[i] {
			t.Errorf("Wait %d: retry=%v, want %v", i, l.waits[i], want[i])
		}
	}
}

// TestThrottledCallersKeepServerAnswer: 200 callers against a server that
// always answers CONN_THROTTLED, through NewClient with Local(15, 15).
// Every caller whose call reached the server ends with the server's
// CONN_THROTTLED, also when its retry was refused (then with ErrLimited
// too); a caller refused before sending anything ends with ErrLimited.
// A caller whose deadline ends first (a loaded machine) ends with it.
func TestThrottledCallersKeepServerAnswer(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	fake.SetStatus("/clarifai.api.V2/PostModelOutputs", 11005, "throttled", "")
	key, err := keysource.NewKey(keysource.KindPAT, clientPAT)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), clarifaiauth.WithInterceptorOptions(interceptor.AllowInsecureTransport(), interceptor.WithUserApp("u", "a")),
		clarifaiauth.WithSource(key), clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(throttle.Local(15, 15))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)
	const callers = 200
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, "x-caller", strconv.Itoa(i))
			_, errs[i] = client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"},
				retry.WithBackoff(retry.BackoffLinear(time.Millisecond)))
		}()
	}
	wg.Wait()
	sent := make(map[string]bool)
	for _, c := range fake.Calls() {
		if v := c.Header("x-caller"); len(v) == 1 {
			sent[v[0]] = true
		}
	}
	var both int
	for i, err := range errs {
		var se *scopes.Error
		throttled := errors.As(err, &se) && se.Code == 11005 && !se.Local
		limited := errors.Is(err, throttle.ErrLimited)
		switch {
		case sent[strconv.Itoa(i)] && !throttled && status.Code(err) != codes.DeadlineExceeded:
			// (A retry still waiting for its token at the caller's
			// deadline ends with the deadline, as any call does.)
			t.Errorf("caller %d, sent: %v; want the server's CONN_THROTTLED", i, err)
		case !sent[strconv.Itoa(i)] && (!limited || throttled) && status.Code(err) != codes.DeadlineExceeded:
			t.Errorf("caller %d, never sent: %v; want ErrLimited alone", i, err)
		case throttled && limited:
			both++
			if status.Code(err) != status.Code(se) {
				t.Errorf("caller %d: gRPC code %v, want the server's %v", i, status.Code(err), status.Code(se))
			}
		}
	}
	if len(sent) == 0 || both == 0 {
		t.Errorf("%d callers sent, %d refused on a retry: the test did not reach the retry budget", len(sent), both)
	}
	t.Logf("%d callers sent, %d of them refused on a retry; %d calls reached the server", len(sent), both, len(fake.Calls()))
}

// TestRetryFlagWithAnotherRetry: a retry interceptor of another library,
// given through WithDialOptions (inside NewClient's retry), sets no
// "x-retry-attempt" header; the limiter still hears its second attempt as
// a retry, because NewClient records each call before its retry.
func TestRetryFlagWithAnotherRetry(t *testing.T) {
	cleanEnv(t)
	_, addr := serveFake(t, nil)
	key, err := keysource.NewKey(keysource.KindPAT, clientPAT)
	if err != nil {
		t.Fatal(err)
	}
	l := &countingLimiter{Limiter: throttle.Local(1000, 1000)}
	twice := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), clarifaiauth.WithSource(key),
		clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("u", "a"), interceptor.WithThrottle(l)),
		clarifaiauth.WithDialOptions(grpc.WithChainUnaryInterceptor(twice)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"}); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if want := []bool{false, true}; !slices.Equal(l.waits, want) {
		t.Errorf("the limiter's retry flags = %v, want %v", l.waits, want)
	}
}
