package clarifaifake_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

// countConcepts stands for the code under test: it predicts with a model and
// returns how many concepts came back, or the reply's status when it is not
// SUCCESS. Real code would use Clarifai's generated client; this one builds
// its messages from descriptors so that the example runs without it.
func countConcepts(ctx context.Context, conn grpc.ClientConnInterface, pat string, v2 protoreflect.ServiceDescriptor) (int, error) {
	md := v2.Methods().ByName("PostModelOutputs")
	req, resp := dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output())
	// Clarifai's public models live in the app clarifai/main.
	ua := req.Mutable(md.Input().Fields().ByName("user_app_id")).Message()
	setField(ua.Interface(), "user_id", "clarifai")
	setField(ua.Interface(), "app_id", "main")
	setField(req, "model_id", "general-image-recognition")
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+pat)
	if err := conn.Invoke(ctx, "/clarifai.api.V2/PostModelOutputs", req, resp); err != nil {
		return 0, err
	}
	if c := code(resp); c != 10000 {
		return 0, fmt.Errorf("status %d: %s", c, get(resp, "status.details").String())
	}
	out := get(resp, "outputs").List().Get(0).Message().Interface()
	return get(out, "data.concepts").List().Len(), nil
}

func setField(m proto.Message, name, v string) {
	fd := m.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
	m.ProtoReflect().Set(fd, protoreflect.ValueOfString(v))
}

// v2Of returns the V2 service the server serves.
func v2Of(fake *clarifaifake.Server) protoreflect.ServiceDescriptor {
	d, err := fake.Files().FindDescriptorByName("clarifai.api.V2")
	if err != nil {
		log.Fatal(err)
	}
	return d.(protoreflect.ServiceDescriptor)
}

// Test your own function against the fake: give it a key with the scopes you
// mean to grant, call your code, check what it did, and ask which scopes
// the calls needed.
func Example() {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	fake.AddPAT("test-pat-000000000000000000000001", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	defer fake.Stop()
	conn, err := fake.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	n, err := countConcepts(context.Background(), conn, "test-pat-000000000000000000000001", v2Of(fake))
	fmt.Println(n, err)
	fmt.Println(fake.Calls()[0])
	fmt.Print(fake.LeastPrivilege())
	// Output:
	// 1 <nil>
	// /clarifai.api.V2/PostModelOutputs authorization="Key …0001" codes=[10000]
	// credential: API key or PAT
	// scopes: Apps:Get Concepts:Get Models:Get Predict
	// or endpoints: /clarifai.api.V2/PostModelOutputs
}

// A key without the scopes a method needs gets CONN_INSUFFICIENT_SCOPES,
// in-band, with the missing scopes in Clarifai's phrasing: test that your
// code reports it well.
func Example_insufficientScopes() {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	fake.AddAPIKey("test-key-00000000000000000000002", []string{"Predict"}, nil)
	defer fake.Stop()
	conn, err := fake.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	_, err = countConcepts(context.Background(), conn, "test-key-00000000000000000000002", v2Of(fake))
	fmt.Println(err)
	// Output:
	// status 11007: Missing scopes: [Apps:Get Concepts:Get Models:Get]; or endpoint: /clarifai.api.V2/PostModelOutputs
}

// A ReplyFunc answers a stream as a test needs: here every request of a
// bidirectional prediction stream gets a reply, and the one for the model
// "broken" a per-item failure, while the stream goes on.
func ExampleServer_SetReply() {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	fake.AddPAT("test-pat-000000000000000000000003", []string{"All"}, nil)
	const method = "/clarifai.api.V2/StreamModelOutputs"
	fake.SetReply(method, func(_ context.Context, req proto.Message) ([]proto.Message, error) {
		if req == nil {
			return nil, nil // the client closed its side: nothing more to say
		}
		if get(req, "model_id").String() == "broken" {
			return []proto.Message{clarifaifake.WithStatus(fake.NewReply(method), 10020, "Failure", "model broken failed")}, nil
		}
		return []proto.Message{fake.NewReply(method)}, nil // SUCCESS
	})
	defer fake.Stop()
	conn, err := fake.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key test-pat-000000000000000000000003")
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, method)
	if err != nil {
		log.Fatal(err)
	}
	for _, model := range []string{"a", "broken", "c"} {
		req := fake.NewRequest(method)
		setField(req, "model_id", model)
		if err := stream.SendMsg(req); err != nil {
			log.Fatal(err)
		}
		resp := fake.NewReply(method)
		if err := stream.RecvMsg(resp); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d %q\n", model, code(resp), get(resp, "status.details").String())
	}
	// Output:
	// a: 10000 ""
	// broken: 10020 "model broken failed"
	// c: 10000 ""
}

// SetStreamCodes scripts the statuses of a stream: an upload that reports
// progress twice, then that the model is building.
func ExampleServer_SetStreamCodes() {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	const method = "/clarifai.api.V2/GenerateModelOutputs"
	fake.SetStreamCodes(method, 68000, 68000, 21107) // UPLOAD_IN_PROGRESS twice, MODEL_BUILDING
	defer fake.Stop()
	conn, err := fake.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		log.Fatal(err)
	}
	if err := stream.SendMsg(fake.NewRequest(method)); err != nil {
		log.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		log.Fatal(err)
	}
	for {
		resp := fake.NewReply(method)
		if err := stream.RecvMsg(resp); err != nil {
			break
		}
		fmt.Println(code(resp), get(resp, "status.description"))
	}
	// Output:
	// 68000 Upload in progress
	// 68000 Upload in progress
	// 21107 Model is building
}

// get reads the field at a dotted path of singular fields; invalid if absent.
func get(m proto.Message, path string) protoreflect.Value {
	msg := m.ProtoReflect()
	names := strings.Split(path, ".")
	for i, n := range names {
		fd := msg.Descriptor().Fields().ByName(protoreflect.Name(n))
		if fd == nil {
			return protoreflect.Value{}
		}
		v := msg.Get(fd)
		if i == len(names)-1 {
			return v
		}
		msg = v.Message()
	}
	return protoreflect.Value{}
}

// code reads the status code of a reply; -1 if it has no status.
func code(m proto.Message) int32 {
	v := get(m, "status.code")
	if !v.IsValid() {
		return -1
	}
	return int32(v.Enum())
}
