package clarifaiotel_test

// The OpenTelemetry part of the adversarial suite (issue 13).
//
// Attacks covered here:
//   - 1  the server echoes the key: TestAttackServerEchoesKey (with the
//     interceptor's test of the same name): no span carries it.

import (
	"context"
	"fmt"
	"strings"
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

// TestAttackServerEchoesKey (attack 1): a server that echoes the caller's key
// in its in-band status text, or in a gRPC error, gets it into no span
// (status description, attributes, events) and no error, with the library's
// interceptors in the chain as DialOptions puts them.
func TestAttackServerEchoesKey(t *testing.T) {
	f := &fixture{spans: tracetest.NewInMemoryExporter(), meter: &countingMeters{}}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	f.key = testutil.Marker(t)
	src := staticSource(f.key)
	h := clarifaiotel.Wrap(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(f.tp), otelgrpc.WithMeterProvider(noop.NewMeterProvider())),
		clarifaiotel.WithMeterProvider(f.meter))
	var conn *grpc.ClientConn
	f.srv, conn = clarifaifake.NewForTest(t,
		grpc.WithStatsHandler(h),
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, interceptor.AllowInsecureTransport())),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, interceptor.AllowInsecureTransport())))
	f.client = pb.NewV2Client(conn)
	f.srv.AddPAT(f.key, predictScopes, nil)
	echo := "API key not found: Key " + f.key

	call := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := f.client.PostModelOutputs(ctx, predictRequest())
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("%s: the call took %v with a 5 s deadline", what, d)
		}
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		testutil.NoSecretIn(t, what+" error", err, f.key)
		f.span(t) // fails the test if the span shows the key anywhere
	}
	f.srv.SetStatus(mPostModelOutputs, 11009, echo, "details: "+echo)
	call("in-band status")
	f.srv.ClearStatus(mPostModelOutputs)
	f.srv.SetError(mPostModelOutputs, status.Error(grpccodes.Unauthenticated, echo))
	call("gRPC error")
	testutil.NoSecret(t, "failure counts", fmt.Sprint(f.meter.counts()), f.key)
}

// TestSpanStatusOfHostileGRPCError: a gRPC error whose message is a
// megabyte of terminal escapes, bidirectional overrides and line
// separators reaches the span's status description on one line of at most
// 4 KiB, without them.
func TestSpanStatusOfHostileGRPCError(t *testing.T) {
	f := newFixture(t, nil)
	hostile := strings.Repeat("\x1b[31m\u202e\u2028x", 1<<16)
	f.srv.SetError(mPostModelOutputs, status.Error(grpccodes.Internal, hostile))
	if _, err := f.client.PostModelOutputs(callCtx(t, f.key), predictRequest()); status.Code(err) != grpccodes.Internal {
		t.Fatalf("err = %v, want Internal", err)
	}
	desc := f.span(t).Status.Description
	if len(desc) > 4096+64 || strings.ContainsAny(desc, "\x1b\u202e\u2028\n") {
		t.Errorf("span status description is %d bytes and holds escapes: %q", len(desc), testutil.Clip(desc, 100))
	}
}
