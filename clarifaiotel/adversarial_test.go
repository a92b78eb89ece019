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
	"google.golang.org/protobuf/proto"

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

// TestSpanStatusOfHostileGRPCError: a gRPC error whose message is about a
// hundred kilobytes of terminal escapes, bidirectional overrides and line
// separators reaches the span's status description on one line of at most
// 4 KiB, without them.
func TestSpanStatusOfHostileGRPCError(t *testing.T) {
	f := newFixture(t, nil)
	hostile := strings.Repeat("\x1b[31m\u202e\u2028x", 1<<13)
	f.srv.SetError(mPostModelOutputs, status.Error(grpccodes.Internal, hostile))
	if _, err := f.client.PostModelOutputs(callCtx(t, f.key), predictRequest()); status.Code(err) != grpccodes.Internal {
		t.Fatalf("err = %v, want Internal", err)
	}
	desc := f.span(t).Status.Description
	if len(desc) > 4096+64 || strings.ContainsAny(desc, "\x1b\u202e\u2028\n") {
		t.Errorf("span status description is %d bytes and holds escapes: %q", len(desc), testutil.Clip(desc, 100))
	}
}

// TestAttackPerRPCCredentialsEcho: with interceptor.PerRPCCredentials, whose
// metadata never shows in the call's stats, a server that echoes the key,
// plainly or split by U+200B and NUL, in the req_id or in a gRPC error
// gets it into no span.
func TestAttackPerRPCCredentialsEcho(t *testing.T) {
	f := &fixture{spans: tracetest.NewInMemoryExporter(), meter: &countingMeters{}}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	f.key = testutil.Marker(t)
	h := clarifaiotel.Wrap(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(f.tp), otelgrpc.WithMeterProvider(noop.NewMeterProvider())),
		clarifaiotel.WithMeterProvider(f.meter))
	var conn *grpc.ClientConn
	f.srv, conn = clarifaifake.NewForTest(t, grpc.WithStatsHandler(h),
		grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(staticSource(f.key), interceptor.AllowInsecureTransport())))
	f.client = pb.NewV2Client(conn)
	f.srv.AddPAT(f.key, predictScopes, nil)
	var split strings.Builder
	for i, r := range f.key {
		if i > 0 && i%3 == 0 {
			split.WriteString([]string{"\u200b", "\x00", "\u2028"}[i%2])
		}
		split.WriteRune(r)
	}
	for _, echo := range []string{f.key, split.String()} {
		f.srv.SetReply(mPostModelOutputs, func(context.Context, proto.Message) ([]proto.Message, error) {
			return []proto.Message{&pb.MultiOutputResponse{Status: &pb.Status{Code: 11009, ReqId: "req-" + echo}}}, nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := f.client.PostModelOutputs(ctx, predictRequest()); err != nil {
			t.Fatal(err)
		}
		spanNoKey(t, f)
		f.srv.SetReply(mPostModelOutputs, nil)
		f.srv.SetError(mPostModelOutputs, status.Error(grpccodes.Unauthenticated, "API key not found: Key "+echo))
		if _, err := f.client.PostModelOutputs(ctx, predictRequest()); err == nil {
			t.Fatal("no error")
		}
		spanNoKey(t, f)
		f.srv.SetError(mPostModelOutputs, nil)
		cancel()
	}
}

// spanNoKey checks the fixture's one span for the key, also with the white
// space cleaning leaves where invisible characters were taken out.
func spanNoKey(t *testing.T, f *fixture) {
	t.Helper()
	s := f.span(t)
	text := fmt.Sprintf("%s %v %v", s.Status.Description, s.Attributes, s.Events)
	testutil.NoSecret(t, "span", strings.Join(strings.Fields(text), ""), f.key)
}
