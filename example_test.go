package clarifaiauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The examples talk to an in-memory fake of Clarifai's API (package
// clarifaifake) that knows these keys. In production, dial
// api.clarifai.com:443 with TLS instead of fake.Dial, and leave out
// interceptor.AllowInsecureTransport:
//
//	conn, err := grpc.NewClient("api.clarifai.com:443",
//		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(nil, "")),
//		clarifaiauth.DialOptions(keysource.Default())...)
const (
	examplePAT     = "example0pat0000000000000000000001" // scoped for everything
	exampleOther   = "example0pat0000000000000000000002" // scoped for everything
	examplePredict = "example0predict0only0000000000003" // may only predict
)

const (
	predictMethod = "/clarifai.api.V2/PostModelOutputs"
	inputsMethod  = "/clarifai.api.V2/PostInputs"
	streamMethod  = "/clarifai.api.V2/StreamModelOutputs"
)

// newFake starts the fake server with the examples' keys. Stop it when done.
func newFake() *clarifaifake.Server {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	fake.AddPAT(examplePAT, []string{"All"}, nil)
	fake.AddPAT(exampleOther, []string{"All"}, nil)
	fake.AddPAT(examplePredict, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	return fake
}

// dial connects to the fake through this library's interceptors. The fake
// serves plaintext, so the connection must allow an insecure transport;
// against Clarifai, use TLS and drop AllowInsecureTransport.
func dial(fake *clarifaifake.Server, src keysource.Source, opts ...grpc.DialOption) *grpc.ClientConn {
	opts = append(opts, clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
	conn, err := fake.Dial(opts...)
	if err != nil {
		log.Fatal(err)
	}
	return conn
}

// sentKey returns, redacted, the key the fake server received last.
func sentKey(fake *clarifaifake.Server) string {
	calls := fake.Calls()
	k, err := keysource.NewKey(keysource.KindPAT, calls[len(calls)-1].Secret())
	if err != nil {
		return err.Error()
	}
	return k.String()
}

// messages makes a method's request and reply messages. Your code would use
// Clarifai's generated types instead (&pb.PostModelOutputsRequest{…} with
// pb.NewV2Client(conn)); the examples take them from the fake, which
// builds them from Clarifai's descriptors, so that they run without
// Clarifai's client.
type messages interface {
	NewRequest(method string) proto.Message
	NewReply(method string) proto.Message
}

// predictModel stands for your code: it predicts with Clarifai's public
// model general-image-recognition and returns the reply's status. With this library it needs neither to add the key
// nor to check the status for failures: both happen on the connection.
func predictModel(ctx context.Context, conn grpc.ClientConnInterface, msgs messages, opts ...grpc.CallOption) (scopes.Code, error) {
	req, resp := msgs.NewRequest(predictMethod), msgs.NewReply(predictMethod)
	// Clarifai's public models live in the app clarifai/main, not in yours.
	setField(req, "user_app_id.user_id", "clarifai")
	setField(req, "user_app_id.app_id", "main")
	setField(req, "model_id", "general-image-recognition")
	if err := conn.Invoke(ctx, predictMethod, req, resp, opts...); err != nil {
		return 0, err
	}
	return statusCode(resp), nil
}

// addInput stands for your code too: it adds one image to your own app.
func addInput(ctx context.Context, conn grpc.ClientConnInterface, msgs messages) error {
	req, resp := msgs.NewRequest(inputsMethod), msgs.NewReply(inputsMethod)
	setField(req, "user_app_id.user_id", "me")
	setField(req, "user_app_id.app_id", "my-app")
	inputs := req.ProtoReflect().Mutable(req.ProtoReflect().Descriptor().Fields().ByName("inputs")).List()
	in := inputs.NewElement()
	setField(in.Message().Interface(), "data.image.url", "https://samples.clarifai.com/metro-north.jpg")
	inputs.Append(in)
	return conn.Invoke(ctx, inputsMethod, req, resp)
}

// streamPredictions stands for your code on a bidirectional prediction
// stream: it sends one request per model, prints the status of each reply,
// and stops at the first error.
func streamPredictions(ctx context.Context, conn grpc.ClientConnInterface, msgs messages, models ...string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream whatever happens
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, streamMethod)
	if err != nil {
		return err
	}
	for _, model := range models {
		req := msgs.NewRequest(streamMethod)
		setField(req, "model_id", model)
		if err := stream.SendMsg(req); err != nil {
			return err
		}
		resp := msgs.NewReply(streamMethod)
		if err := stream.RecvMsg(resp); err != nil {
			return err
		}
		fmt.Printf("%s: %s\n", model, statusCode(resp))
	}
	return stream.CloseSend()
}

// setField sets the string field at a dotted path of singular fields.
func setField(m proto.Message, path, v string) {
	msg := m.ProtoReflect()
	names := strings.Split(path, ".")
	for _, n := range names[:len(names)-1] {
		msg = msg.Mutable(msg.Descriptor().Fields().ByName(protoreflect.Name(n))).Message()
	}
	msg.Set(msg.Descriptor().Fields().ByName(protoreflect.Name(names[len(names)-1])), protoreflect.ValueOfString(v))
}

// statusCode reads a reply's status.code.
func statusCode(m proto.Message) scopes.Code {
	msg := m.ProtoReflect()
	st := msg.Get(msg.Descriptor().Fields().ByName("status")).Message()
	return scopes.Code(st.Get(st.Descriptor().Fields().ByName("code")).Enum())
}

// Dial once with DialOptions and every call carries the key from the
// environment: no metadata to append, no resp.Status.Code to check.
func Example() {
	fake := newFake()
	defer fake.Stop()
	os.Setenv("CLARIFAI_PAT", examplePAT)
	defer os.Unsetenv("CLARIFAI_PAT")

	conn := dial(fake, keysource.Env())
	defer conn.Close()

	code, err := predictModel(context.Background(), conn, fake)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(code, "with key", sentKey(fake))
	// Output: SUCCESS with key pat(…0001)
}

// A per-request key wins over the connection's Source: on the context with
// keysource.WithKey, or on one call with interceptor.CallKey.
func Example_perRequestKey() {
	fake := newFake()
	defer fake.Stop()
	conn := dial(fake, staticSource(examplePAT))
	defer conn.Close()

	other, err := keysource.NewKey(keysource.KindPAT, exampleOther)
	if err != nil {
		log.Fatal(err)
	}
	ctx := keysource.WithKey(context.Background(), other)
	if _, err := predictModel(ctx, conn, fake); err != nil {
		log.Fatal(err)
	}
	fmt.Println("WithKey:", sentKey(fake))

	predictKey, err := keysource.NewKey(keysource.KindPAT, examplePredict)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := predictModel(context.Background(), conn, fake, interceptor.CallKey(predictKey)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("CallKey:", sentKey(fake))
	// Output:
	// WithKey: pat(…0002)
	// CallKey: pat(…0003)
}

// A key without the scopes a method needs gets a *scopes.Error that names
// what is missing, with a gRPC code that callers and retry understand.
func Example_scopesError() {
	fake := newFake()
	defer fake.Stop()
	conn := dial(fake, staticSource(examplePredict))
	defer conn.Close()

	err := addInput(context.Background(), conn, fake)
	var se *scopes.Error
	if errors.As(err, &se) {
		fmt.Println(se.Code, status.Code(err))
		fmt.Println("missing:", se.Missing)
		fmt.Println("or endpoint:", se.MissingEndpoints)
	}
	fmt.Println(errors.Is(err, scopes.ErrInsufficientScopes))
	// Output:
	// CONN_INSUFFICIENT_SCOPES PermissionDenied
	// missing: [Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]
	// or endpoint: [/clarifai.api.V2/PostInputs]
	// true
}

// Put go-grpc-middleware's retry, with Clarifai's policy (RetryOptions),
// before this library's interceptor: every attempt then resolves the key
// again, and Clarifai's in-band throttling (now ResourceExhausted) is
// retried.
func Example_retry() {
	fake := newFake()
	defer fake.Stop()
	// The first prediction is throttled, in-band as Clarifai does; the
	// next succeeds.
	var calls atomic.Int32
	fake.SetReply(predictMethod, func(context.Context, proto.Message) ([]proto.Message, error) {
		if calls.Add(1) == 1 {
			return []proto.Message{clarifaifake.WithStatus(fake.NewReply(predictMethod), 11005, "Too many requests", "")}, nil
		}
		return []proto.Message{fake.NewReply(predictMethod)}, nil
	})

	// Dial options run in order: retry first, then DialOptions' interceptor.
	conn := dial(fake, staticSource(examplePAT),
		grpc.WithChainUnaryInterceptor(retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...)))
	defer conn.Close()

	// RetryOptions waits about a second before retrying, as Clarifai's
	// throttling needs; this call waits a millisecond only so that the
	// example runs fast. Leave the backoff alone in real code.
	code, err := predictModel(context.Background(), conn, fake, retry.WithBackoff(retry.BackoffLinear(time.Millisecond)))
	fmt.Println(code, err, "after", len(fake.Calls()), "attempts")
	// Output: SUCCESS <nil> after 2 attempts
}

// On a stream, progress statuses and a failure of one item are delivered as
// messages, for your code to read; a connection-level failure (a key, scope,
// limit or throttling code: 11xxx) ends the stream with a *scopes.Error.
func Example_stream() {
	fake := newFake()
	defer fake.Stop()
	// The replies' statuses, one per request: the model is loading, a
	// success, one prediction failed, then the key is throttled.
	fake.SetStreamCodes(streamMethod, 21355, 10000, 21313, 11005)
	conn := dial(fake, staticSource(examplePAT))
	defer conn.Close()

	err := streamPredictions(context.Background(), conn, fake, "a", "b", "c", "d", "e")
	var se *scopes.Error
	if errors.As(err, &se) {
		fmt.Println("stream ended:", se.Code, status.Code(err))
	}
	// Output:
	// a: MODEL_LOADING
	// b: SUCCESS
	// c: MODEL_PREDICTION_FAILED
	// stream ended: CONN_THROTTLED ResourceExhausted
}

// A mounted secret (a Kubernetes secret volume, a Docker secret) is read
// once and re-read at an interval, so a rotated key is used without a
// restart and without a file read on every call.
func Example_mountedSecret() {
	dir, err := os.MkdirTemp("", "clarifai-secret")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pat")
	if err := os.WriteFile(path, []byte(examplePAT+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	fake := newFake()
	defer fake.Stop()
	src := keysource.File(path, keysource.KindPAT, keysource.RefreshInterval(time.Minute))
	conn := dial(fake, src)
	defer conn.Close()

	if _, err := predictModel(context.Background(), conn, fake); err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", sentKey(fake))
	// Output: sent pat(…0001)
}
