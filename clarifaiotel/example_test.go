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
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
)

// A key without the Predict scope calls PostModelOutputs. The call returns
// no gRPC error (Clarifai reports the failure in the reply), and the span
// otelgrpc made for it says Error, with the Clarifai code and req_id.
func Example() {
	// A fake Clarifai (package clarifaifake) stands in for the API.
	srv, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()
	srv.AddPAT("example-key", []string{"Apps:Get"}, nil)

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

	// A program would call pb.NewV2Client(conn).PostModelOutputs with
	// Clarifai's generated client; the fake's messages keep this example
	// free of it.
	const method = "/clarifai.api.V2/PostModelOutputs"
	req, resp := srv.NewRequest(method), srv.NewReply(method)
	req.ProtoReflect().Set(req.ProtoReflect().Descriptor().Fields().ByName("model_id"),
		protoreflect.ValueOfString("general-image-recognition"))
	// Clarifai's public models live in the app clarifai/main.
	ua := req.ProtoReflect().Mutable(req.ProtoReflect().Descriptor().Fields().ByName("user_app_id")).Message()
	ua.Set(ua.Descriptor().Fields().ByName("user_id"), protoreflect.ValueOfString("clarifai"))
	ua.Set(ua.Descriptor().Fields().ByName("app_id"), protoreflect.ValueOfString("main"))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key example-key")
	err = conn.Invoke(ctx, method, req, resp)
	st := resp.ProtoReflect().Get(resp.ProtoReflect().Descriptor().Fields().ByName("status")).Message()
	fmt.Println("error:", err, "reply:", st.Get(st.Descriptor().Fields().ByName("code")).Enum())

	for _, s := range spans.GetSpans() {
		fmt.Println(s.Name, s.Status.Code, s.Status.Description)
		for _, kv := range s.Attributes {
			if strings.HasPrefix(string(kv.Key), "clarifai.") {
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
			}
		}
	}
	// Output:
	// error: <nil> reply: 11007
	// clarifai.api.V2/PostModelOutputs Error clarifai: CONN_INSUFFICIENT_SCOPES (11007)
	//   clarifai.status.code=11007
	//   clarifai.status.name=CONN_INSUFFICIENT_SCOPES
	//   clarifai.status.req_id=fake-1
}
