package clarifaiotel_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
)

// slowLimiter makes every call wait pause for its token, or refuses it.
type slowLimiter struct {
	pause  time.Duration
	refuse error
}

func (l *slowLimiter) Wait(ctx context.Context, _ string, _ bool) error {
	if l.refuse != nil {
		return l.refuse
	}
	select {
	case <-time.After(l.pause):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *slowLimiter) Done(string, bool) {}

// TestThrottleVisible: a call's wait for its token is an event on its span
// and a recorded wait; a throttled reply, in-band or as a gRPC error, is
// counted; a refusal, never sent, is counted by Limiter.
func TestThrottleVisible(t *testing.T) {
	f := &fixture{spans: tracetest.NewInMemoryExporter(), meter: &countingMeters{}}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	f.key = testutil.Marker(t)
	l := &slowLimiter{pause: 20 * time.Millisecond}
	src := staticSource(f.key)
	opts := []interceptor.Option{interceptor.AllowInsecureTransport(), interceptor.WithThrottle(clarifaiotel.Limiter(l, clarifaiotel.WithMeterProvider(f.meter)))}
	h := clarifaiotel.Wrap(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(f.tp), otelgrpc.WithMeterProvider(noop.NewMeterProvider())),
		clarifaiotel.WithMeterProvider(f.meter))
	var conn *grpc.ClientConn
	f.srv, conn = clarifaifake.NewForTest(t, grpc.WithStatsHandler(h),
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)))
	f.client = pb.NewV2Client(conn)
	f.srv.AddPAT(f.key, predictScopes, nil)

	if _, err := f.client.PostModelOutputs(callCtx(t, ""), predictRequest()); err != nil {
		t.Fatal(err)
	}
	s := f.span(t)
	var found bool
	for _, e := range s.Events {
		if e.Name != "clarifai.throttle.wait" {
			continue
		}
		found = true
		a := attrs(e.Attributes)
		if got := a["clarifai.throttle.wait_seconds"].AsFloat64(); got < l.pause.Seconds() {
			t.Errorf("wait_seconds = %v, want at least the limiter's %v", got, l.pause)
		}
	}
	if !found {
		t.Errorf("span events %v: want clarifai.throttle.wait", s.Events)
	}
	wantCount(t, f.meter, "clarifai.rpc.client.throttle.wait", 1)

	f.srv.SetStatus(mPostModelOutputs, throttled, "throttled", "")
	_, _ = f.client.PostModelOutputs(callCtx(t, ""), predictRequest())
	f.span(t)
	f.srv.ClearStatus(mPostModelOutputs)
	f.srv.SetError(mPostModelOutputs, throttledErr())
	_, _ = f.client.PostModelOutputs(callCtx(t, ""), predictRequest())
	f.span(t)
	wantCount(t, f.meter, "clarifai.rpc.client.throttle.throttled", 2)

	errNo := errors.New("no token")
	l.refuse = errNo
	if _, err := f.client.PostModelOutputs(callCtx(t, ""), predictRequest()); err != errNo {
		t.Fatalf("err = %v, want the refusal", err)
	}
	wantCount(t, f.meter, "clarifai.rpc.client.throttle.refusals", 1)
	wantCount(t, f.meter, "clarifai.rpc.client.throttle.wait", 3)
}

// wantCount checks the total of the instrument name over its attributes.
func wantCount(t *testing.T, m *countingMeters, name string, want int) {
	t.Helper()
	got := 0
	for _, n := range m.named(name + " ") {
		got += n
	}
	if got != want {
		t.Errorf("%s: %d, want %d (%v)", name, got, want, m.named(name))
	}
}

// throttledErr is a gRPC error with a CONN_THROTTLED status in its details.
func throttledErr() error {
	st, err := status.New(grpccodes.ResourceExhausted, "throttled").WithDetails(&pb.Status{Code: throttled})
	if err != nil {
		panic(err)
	}
	return st.Err()
}
