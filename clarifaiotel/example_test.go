package clarifaiotel_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakev2"
)

// A key without the Predict scope calls PostModelOutputs. The call returns
// no gRPC error (Clarifai reports the failure in the reply), and the span
// otelgrpc made for it says Error, with the Clarifai code and req_id.
func Example() {
	srv := fakev2.New()
	srv.Start()
	defer srv.Stop()
	srv.AddKey("example-key", []string{"Apps:Get"}, nil)

	// Spans go to memory here; a program would use its own tracer provider.
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	conn, err := srv.Dial(grpc.WithStatsHandler(
		clarifaiotel.Wrap(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp)))))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key example-key")
	resp, err := pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "my-app"},
		ModelId:   "general-image-recognition",
	})
	fmt.Println("error:", err, "reply:", resp.GetStatus().GetCode())

	for _, s := range spans.GetSpans() {
		fmt.Println(s.Name, s.Status.Code, s.Status.Description)
		for _, kv := range s.Attributes {
			if strings.HasPrefix(string(kv.Key), "clarifai.") {
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	// Output:
	// error: <nil> reply: CONN_INSUFFICIENT_SCOPES
	// clarifai.api.V2/PostModelOutputs Error clarifai: CONN_INSUFFICIENT_SCOPES (11007)
	//   clarifai.status.code=11007
	//   clarifai.status.name=CONN_INSUFFICIENT_SCOPES
	//   clarifai.status.req_id=fake-1
}
