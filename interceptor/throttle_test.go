package interceptor_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
)

// recLimiter records what the interceptors ask and tell it; Wait fails with
// err when set.
type recLimiter struct {
	mu    sync.Mutex
	waits []waitRec
	dones []doneRec
	err   error
}

type waitRec struct {
	bucket string
	retry  bool
}

type doneRec struct {
	bucket    string
	throttled bool
}

func (l *recLimiter) Wait(ctx context.Context, bucket string, retry bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, waitRec{bucket, retry})
	return l.err
}

func (l *recLimiter) Done(bucket string, throttled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dones = append(l.dones, doneRec{bucket, throttled})
}

func (l *recLimiter) got() ([]waitRec, []doneRec) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]waitRec(nil), l.waits...), append([]doneRec(nil), l.dones...)
}

// throttledStatusErr is a gRPC error carrying a Clarifai CONN_THROTTLED
// status in its details, as Clarifai's gateways may send it.
func throttledStatusErr() error {
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 11005)
	p := status.New(codes.ResourceExhausted, "throttled").Proto()
	p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/clarifai.api.status.Status", Value: b})
	return status.ErrorProto(p)
}

func TestThrottleUnary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &recLimiter{}
	e := newEnv(t, staticSource(sourceKey), []interceptor.Option{interceptor.WithThrottle(l)})

	// Two calls with one key, one with another, all answered.
	for _, k := range []string{sourceKey, sourceKey, sourceKey2} {
		if _, err := e.client.PostModelOutputs(ctx, predictReq(), interceptor.CallKey(keyOf(k))); err != nil {
			t.Fatal(err)
		}
	}
	waits, dones := l.got()
	if len(waits) != 3 || len(dones) != 3 {
		t.Fatalf("waits %v, dones %v; want 3 of each", waits, dones)
	}
	for i, w := range waits {
		if w.bucket == "" || w.retry || dones[i] != (doneRec{w.bucket, false}) {
			t.Errorf("call %d: wait %+v, done %+v", i, w, dones[i])
		}
		for _, s := range allSecrets {
			if strings.Contains(w.bucket, s) || strings.Contains(s, w.bucket) {
				t.Errorf("bucket %q reveals a secret", w.bucket)
			}
		}
	}
	if waits[0].bucket != waits[1].bucket || waits[0].bucket == waits[2].bucket {
		t.Errorf("buckets %q %q %q: want one per key", waits[0].bucket, waits[1].bucket, waits[2].bucket)
	}

	// The server throttles, in-band, with and without the status check,
	// then as a gRPC error.
	e.srv.SetStatus(predictPath, 11005, "throttled", "")
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); err == nil {
		t.Fatal("throttled call: no error")
	}
	if _, err := e.client.PostModelOutputs(ctx, predictReq(), interceptor.WithStatusCheck(nil)); err != nil {
		t.Fatal(err)
	}
	e.srv.ClearStatus(predictPath)
	e.srv.SetError(predictPath, throttledStatusErr())
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("throttled gRPC error: %v", err)
	}
	e.srv.SetError(predictPath, status.Error(codes.Internal, "other"))
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); status.Code(err) != codes.Internal {
		t.Fatalf("other gRPC error: %v", err)
	}
	_, dones = l.got()
	want := []bool{true, true, true, false}
	for i, d := range dones[3:] {
		if d.throttled != want[i] {
			t.Errorf("done %d: throttled %v, want %v", i+3, d.throttled, want[i])
		}
	}
}

func TestThrottleWaitErrorFailsUnsent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errNo := errors.New("no tokens left")
	l := &recLimiter{err: errNo}
	e := newEnv(t, staticSource(sourceKey), []interceptor.Option{interceptor.WithThrottle(l)})
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); err != errNo {
		t.Errorf("unary: err = %v, want the limiter's error as is", err)
	}
	stream, err := e.client.GenerateModelOutputs(ctx, predictReq())
	if err == nil {
		_, err = stream.Recv()
	}
	if err != errNo {
		t.Errorf("stream: err = %v, want the limiter's error as is", err)
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("server saw %d calls, want none", n)
	}
	if _, dones := l.got(); len(dones) != 0 {
		t.Errorf("Done called for unsent calls: %v", dones)
	}
}

func TestThrottleRetryAttempts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &recLimiter{}
	src := staticSource(sourceKey)
	srv, conn := clarifaifake.NewForTest(t, secure, grpc.WithChainUnaryInterceptor(
		retry.UnaryClientInterceptor(retry.WithMax(3), retry.WithBackoff(retry.BackoffLinear(time.Millisecond))),
		interceptor.UnaryClient(src, interceptor.WithThrottle(l)),
	))
	srv.SetError(predictPath, status.Error(codes.Unavailable, "down"))
	if _, err := pb.NewV2Client(conn).PostModelOutputs(ctx, predictReq()); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	waits, dones := l.got()
	if len(waits) != 3 || len(dones) != 3 {
		t.Fatalf("waits %v, dones %v; want 3 of each", waits, dones)
	}
	for i, w := range waits {
		if w.retry != (i > 0) {
			t.Errorf("attempt %d: retry = %v", i+1, w.retry)
		}
	}
}

func TestThrottleStream(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []interceptor.Option
	}{
		{"checked", nil},
		{"unchecked", []interceptor.Option{interceptor.WithStatusCheck(nil)}},
		{"preflight", []interceptor.Option{interceptor.WithPreflight(preflight.New())}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			l := &recLimiter{}
			e := newEnv(t, staticSource(sourceKey), append(tt.opts, interceptor.WithThrottle(l)))
			recvAll := func() {
				t.Helper()
				stream, err := e.client.GenerateModelOutputs(ctx, predictReq())
				if err != nil {
					t.Fatal(err)
				}
				for {
					if _, err := stream.Recv(); err != nil {
						if err != io.EOF && tt.name != "unchecked" && status.Code(err) == codes.OK {
							t.Fatal(err)
						}
						return
					}
				}
			}
			recvAll()
			e.srv.SetStreamCodes(generatePath, 11005, 10000, 10000)
			recvAll()
			// The MyScopes call of the preflight goes through the limiter too.
			waits, dones := l.got()
			if len(waits) != len(dones) {
				t.Fatalf("waits %v, dones %v", waits, dones)
			}
			n := len(dones)
			if n < 2 || dones[n-2].throttled || !dones[n-1].throttled {
				t.Errorf("dones %v: want one per stream, the last throttled", dones)
			}
		})
	}
}
