package clarifaiotel_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// TestWithInterceptors: with the library's interceptors in the chain, the
// caller gets a *scopes.Error and the span says the same, for a unary call
// and for a stream the interceptor ends on its first reply.
func TestWithInterceptors(t *testing.T) {
	f := &fixture{spans: tracetest.NewInMemoryExporter(), meter: &countingMeters{}}
	f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	f.key = testutil.Marker(t)
	src := staticSource(f.key)
	h := clarifaiotel.Wrap(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(f.tp), otelgrpc.WithMeterProvider(noop.NewMeterProvider())))
	var conn *grpc.ClientConn
	f.srv, conn = clarifaifake.NewForTest(t,
		grpc.WithStatsHandler(h),
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, interceptor.AllowInsecureTransport())),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, interceptor.AllowInsecureTransport())))
	f.client = pb.NewV2Client(conn)
	f.srv.AddPAT(f.key, nil, nil) // no scopes at all

	check := func(t *testing.T, err error) {
		t.Helper()
		var se *scopes.Error
		if !errors.As(err, &se) || se.Code != insufficientScopes {
			t.Fatalf("error = %v, want a *scopes.Error with code %d", err, insufficientScopes)
		}
		s := f.span(t)
		want := fmt.Sprintf("clarifai: CONN_INSUFFICIENT_SCOPES (%d)", insufficientScopes)
		if s.Status.Code != codes.Error || s.Status.Description != want {
			t.Errorf("status = %v %q, want Error %q", s.Status.Code, s.Status.Description, want)
		}
		wantFailure(t, "span", s.Attributes, insufficientScopes, "CONN_INSUFFICIENT_SCOPES")
	}

	t.Run("unary", func(t *testing.T) {
		_, err := f.client.PostModelOutputs(callCtx(t, ""), predictRequest())
		check(t, err)
	})
	t.Run("bidirectional stream", func(t *testing.T) {
		stream, err := f.client.StreamModelOutputs(callCtx(t, ""))
		if err == nil {
			if err = stream.Send(predictRequest()); err == nil {
				_, err = stream.Recv()
			}
		}
		check(t, err)
	})
}

// staticSource is a Source that always yields secret as a KindKey, or, if
// it is not a valid key, the error keysource.NewKey gives.
func staticSource(secret string) keysource.Source {
	k, err := keysource.NewKey(keysource.KindKey, secret)
	if err != nil {
		return keysource.SourceFunc(func(context.Context) (keysource.Key, error) { return keysource.Key{}, err })
	}
	return k
}
