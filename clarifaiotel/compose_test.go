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

// TestFollowsTheCallsStatusCheck: the handler marks the failures the
// call's status check reports, whether given to the interceptor when it is
// built or to one call, and those scopes.Code.Failed names when the check is
// off; a progress status the check passes marks nothing.
func TestFollowsTheCallsStatusCheck(t *testing.T) {
	ignoreScopes := func(c scopes.Code) bool { return c != insufficientScopes && c.Failed() }
	notProgress := func(c scopes.Code) bool { return c != uploadInProgress && c.Failed() }
	newF := func(t *testing.T, opts ...interceptor.Option) *fixture {
		f := &fixture{spans: tracetest.NewInMemoryExporter(), meter: &countingMeters{}}
		f.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
		t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
		f.key = testutil.Marker(t)
		src := staticSource(f.key)
		opts = append(opts, interceptor.AllowInsecureTransport())
		h := clarifaiotel.Wrap(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(f.tp), otelgrpc.WithMeterProvider(noop.NewMeterProvider())))
		var conn *grpc.ClientConn
		f.srv, conn = clarifaifake.NewForTest(t, grpc.WithStatsHandler(h),
			grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
			grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)))
		f.client = pb.NewV2Client(conn)
		f.srv.AddPAT(f.key, nil, nil) // no scopes: PostModelOutputs gets 11007
		return f
	}
	unary := func(t *testing.T, f *fixture, wantMarked bool, opts ...grpc.CallOption) {
		t.Helper()
		if _, err := f.client.PostModelOutputs(callCtx(t, ""), predictRequest(), opts...); err != nil && !wantMarked {
			t.Fatalf("error = %v, want none: the check passes 11007", err)
		}
		if s := f.span(t); (s.Status.Code == codes.Error) != wantMarked {
			t.Errorf("span status = %v %q, want marked: %v", s.Status.Code, s.Status.Description, wantMarked)
		}
	}
	t.Run("default", func(t *testing.T) { unary(t, newF(t), true) })
	t.Run("given when built", func(t *testing.T) {
		unary(t, newF(t, interceptor.WithStatusCheck(ignoreScopes)), false)
	})
	t.Run("given to the call", func(t *testing.T) {
		unary(t, newF(t), false, interceptor.WithStatusCheck(ignoreScopes))
	})
	t.Run("check off", func(t *testing.T) {
		unary(t, newF(t), true, interceptor.WithStatusCheck(nil))
	})
	t.Run("stream, given to the call", func(t *testing.T) {
		f := newF(t)
		stream, err := f.client.StreamModelOutputs(callCtx(t, ""), interceptor.WithStatusCheck(ignoreScopes))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(predictRequest()); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil || resp.GetStatus().GetCode() != insufficientScopes {
			t.Fatalf("reply %v, %v: want 11007 delivered", resp.GetStatus(), err)
		}
		stream.CloseSend()
		for err == nil {
			_, err = stream.Recv()
		}
		if s := f.span(t); s.Status.Code == codes.Error {
			t.Errorf("span status = Error %q, want unmarked", s.Status.Description)
		}
	})
	t.Run("progress passed by the check", func(t *testing.T) {
		f := newF(t)
		f.srv.AddPAT(f.key, []string{"All"}, nil)
		progress := []int32{uploadInProgress, uploadInProgress, success}
		f.srv.SetStreamCodes(mGenerateModelOutputs, progress...)
		stream, err := f.client.GenerateModelOutputs(callCtx(t, ""), predictRequest(), interceptor.WithStatusCheck(notProgress))
		if err != nil {
			t.Fatal(err)
		}
		if got := recvAll(t, stream); fmt.Sprint(got) != fmt.Sprint(progress) {
			t.Fatalf("reply codes = %v, want %v", got, progress)
		}
		s := f.span(t)
		if s.Status.Code == codes.Error {
			t.Errorf("status = Error %q, want no error for progress statuses", s.Status.Description)
		}
		noClarifaiAttrs(t, s)
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
