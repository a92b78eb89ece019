package clarifaiauth_test

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

// syncBuffer is a log destination safe for the connection's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAttackLoggerSaysWhatRetriesWaitFor: with WithLogger, each wait before
// a retry is logged with the method, the attempt, the wait and the status
// that caused it, and never the key, though the server echoes it.
func TestAttackLoggerSaysWhatRetriesWaitFor(t *testing.T) {
	t.Parallel() // all set by options; the retries' waits overlap other tests
	fake, addr := serveFake(t, nil)
	const method = "/clarifai.api.V2/PostModelOutputs"
	for _, tc := range []struct {
		name  string
		fail  func()
		codes []string
	}{
		{"in-band throttled", func() {
			fake.SetReply(method, func(context.Context, proto.Message) ([]proto.Message, error) {
				return []proto.Message{clarifaifake.WithStatus(&pb.MultiOutputResponse{}, 11005, "throttled "+clientPAT, "key "+clientPAT)}, nil
			})
		}, []string{"code=ResourceExhausted", "clarifai_status=CONN_THROTTLED"}},
		{"gRPC Unavailable", func() {
			fake.SetError(method, status.Error(codes.Unavailable, "overloaded for "+clientPAT))
		}, []string{"code=Unavailable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), clarifaiauth.WithSource(staticSource(clientPAT)),
				clarifaiauth.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			client := pb.NewV2Client(conn)
			// The connection has worked once, so Unavailable is retried.
			if _, err := client.PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
				t.Fatal(err)
			}
			tc.fail()
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
			defer cancel()
			// The failure stops once the first retry's wait has begun.
			healed := make(chan struct{})
			go func() {
				defer close(healed)
				for !strings.Contains(logs.String(), "waiting to retry") && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
				}
				fake.SetReply(method, nil)
				fake.SetError(method, nil)
			}()
			defer func() { <-healed }()
			if _, err := client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{}); err != nil {
				t.Fatalf("err = %v; logs:\n%s", err, logs.String())
			}
			got := logs.String()
			for _, want := range append([]string{"waiting to retry", "method=" + method, "attempt=2", "of=5", "wait="}, tc.codes...) {
				if !strings.Contains(got, want) {
					t.Errorf("logs lack %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, clientPAT) || strings.Contains(got, clientPAT[len(clientPAT)-8:]) {
				t.Errorf("the logs show the key:\n%s", got)
			}
		})
	}
}

// slowLimiter keeps the first call waiting for d.
type slowLimiter struct {
	d     time.Duration
	calls atomic.Int32
}

func (l *slowLimiter) Wait(ctx context.Context, _ string, _ bool) error {
	if l.calls.Add(1) > 1 {
		return nil
	}
	select {
	case <-time.After(l.d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *slowLimiter) Done(string, bool) {}

// TestLoggerSaysWhatTheLimiterWaitsFor: a limiter wait over a second is
// logged while it lasts and when it ends; a short one is not.
func TestLoggerSaysWhatTheLimiterWaitsFor(t *testing.T) {
	t.Parallel()
	_, addr := serveFake(t, nil)
	var logs syncBuffer
	l := &slowLimiter{d: 1500 * time.Millisecond}
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), clarifaiauth.WithSource(staticSource(clientPAT)),
		clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)), clarifaiauth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)
	for range 2 {
		if _, err := client.PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	got := logs.String()
	if strings.Count(got, "waiting for the throttle") != 1 || strings.Count(got, "throttle wait over") != 1 ||
		!strings.Contains(got, "method=/clarifai.api.V2/PostModelOutputs") || !strings.Contains(got, "sent=true") {
		t.Errorf("logs:\n%s\nwant one long wait, said while it lasts and when it ends", got)
	}
	if strings.Contains(got, clientPAT) {
		t.Error("the logs show the key")
	}
}

// A connection that logs what its calls wait for: retries' backoff, and
// waits over a second for the limiter given with WithThrottle.
func ExampleWithLogger() {
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithLogger(slog.Default()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
}

// countLimiter counts its waits.
type countLimiter struct{ waits atomic.Int32 }

func (l *countLimiter) Wait(context.Context, string, bool) error { l.waits.Add(1); return nil }
func (l *countLimiter) Done(string, bool)                        {}

// TestThrottleKeepsItsPlace: of WithThrottle and an interceptor.WithThrottle
// given through WithInterceptorOptions, the later wins, with a logger or
// without.
func TestThrottleKeepsItsPlace(t *testing.T) {
	_, addr := serveFake(t, nil)
	for _, logged := range []bool{false, true} {
		for _, rootLast := range []bool{false, true} {
			root, ic := &countLimiter{}, &countLimiter{}
			opts := []clarifaiauth.Option{clarifaiauth.WithAPIBase("http://" + addr), clarifaiauth.WithSource(staticSource(clientPAT))}
			if logged {
				opts = append(opts, clarifaiauth.WithLogger(slog.New(slog.DiscardHandler)))
			}
			if rootLast {
				opts = append(opts, clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(ic)), clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(root)))
			} else {
				opts = append(opts, clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(root)), clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(ic)))
			}
			conn, err := clarifaiauth.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			if want := map[bool]int32{true: 1, false: 0}; root.waits.Load() != want[rootLast] || ic.waits.Load() != want[!rootLast] {
				t.Errorf("logged %t, WithThrottle last %t: WithThrottle's limiter waited %d times, the interceptor option's %d",
					logged, rootLast, root.waits.Load(), ic.waits.Load())
			}
		}
	}
}
