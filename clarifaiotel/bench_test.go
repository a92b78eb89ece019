package clarifaiotel_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

// handlers returns plain otelgrpc and otelgrpc wrapped by this package,
// both recording spans (sampled, no exporter) and no metrics.
func handlers() []struct {
	name string
	h    stats.Handler
} {
	tp := sdktrace.NewTracerProvider()
	plain := func() stats.Handler {
		return otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithMeterProvider(noop.NewMeterProvider()))
	}
	return []struct {
		name string
		h    stats.Handler
	}{
		{"otelgrpc", plain()},
		{"wrapped", clarifaiotel.Wrap(plain(), clarifaiotel.WithMeterProvider(noop.NewMeterProvider()))},
	}
}

// BenchmarkStats drives a handler the way grpc-go does for one unary call
// whose reply is SUCCESS ("call"), and for one more SUCCESS reply on an open
// stream ("reply"): the cost this package adds to every call and every
// stream message, without the transport's noise.
func BenchmarkStats(b *testing.B) {
	reply := &pb.MultiOutputResponse{Status: &pb.Status{Code: pb.StatusCode_SUCCESS, Description: "Ok", ReqId: "req-1"}}
	info := &stats.RPCTagInfo{FullMethodName: mPostModelOutputs}
	begin := &stats.Begin{Client: true, BeginTime: time.Now()}
	in := &stats.InPayload{Client: true, Payload: reply, Length: 20, WireLength: 25}
	end := &stats.End{Client: true, BeginTime: begin.BeginTime, EndTime: time.Now()}
	for _, hc := range handlers() {
		h := hc.h
		b.Run("call/"+hc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx := h.TagRPC(context.Background(), info)
				h.HandleRPC(ctx, begin)
				h.HandleRPC(ctx, in)
				h.HandleRPC(ctx, end)
			}
		})
		b.Run("reply/"+hc.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := h.TagRPC(context.Background(), info)
			h.HandleRPC(ctx, begin)
			for b.Loop() {
				h.HandleRPC(ctx, in)
			}
			h.HandleRPC(ctx, end)
		})
	}
}

// BenchmarkUnaryCall makes whole SUCCESS calls to the fake server over an
// in-memory connection, with each handler.
func BenchmarkUnaryCall(b *testing.B) {
	for _, hc := range handlers() {
		b.Run(hc.name, func(b *testing.B) {
			srv, conn := clarifaifake.NewForTest(b, grpc.WithStatsHandler(hc.h))
			srv.AddPAT("bench-key", predictScopes, nil)
			client := pb.NewV2Client(conn)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key bench-key")
			req := predictRequest()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.PostModelOutputs(ctx, req)
				if err != nil || resp.GetStatus().GetCode() != pb.StatusCode_SUCCESS {
					b.Fatal(resp.GetStatus(), err)
				}
			}
		})
	}
}
