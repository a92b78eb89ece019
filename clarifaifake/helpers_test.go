package clarifaifake_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

// This package's tests link no generated Clarifai code: the server falls back
// to the fixture and every message is a dynamicpb one, as in a program that
// does not link Clarifai's client. internal/linkedtest covers the other case.

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Status codes the tests expect.
const (
	codeSuccess            = 10000
	codeMixedStatus        = 10010
	codeFailure            = 10020
	codeTokenInvalid       = 11001
	codeThrottled          = 11005
	codeInsufficientScopes = 11007
	codeKeyInvalid         = 11008
	codeKeyNotFound        = 11009
	codeInvalidRequest     = 11102
	codeAuthMethodDisabled = 11200
	codeModelBuilding      = 21107
	codeUploadInProgress   = 68000
)

const (
	v2                    = "/clarifai.api.V2/"
	mPostModelOutputs     = v2 + "PostModelOutputs"
	mPostInputs           = v2 + "PostInputs"
	mMyScopes             = v2 + "MyScopes"
	mPostKeys             = v2 + "PostKeys"
	mGetUser              = v2 + "GetUser"
	mListScopes           = v2 + "ListScopes"
	mListStatusCodes      = v2 + "ListStatusCodes"
	mGenerateModelOutputs = v2 + "GenerateModelOutputs"
	mStreamModelOutputs   = v2 + "StreamModelOutputs"
	mUpload               = v2 + "PostModelVersionsUpload"
	mPostChunks           = "/clarifaiauth.testonly.Chunks/PostChunks"
)

var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

// start runs a fixture server on bufconn and returns it with a client; both
// end with the test.
func start(t *testing.T, opts ...clarifaifake.Option) (*clarifaifake.Server, *grpc.ClientConn) {
	t.Helper()
	s, err := clarifaifake.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := s.Dial()
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		s.Stop()
	})
	return s, conn
}

func ctxWith(t *testing.T, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func withKey(t *testing.T, secret string) context.Context {
	return ctxWith(t, "authorization", "Key "+secret)
}

func withSession(t *testing.T, token string) context.Context {
	return ctxWith(t, "x-clarifai-session-token", token)
}

// call makes one call of any shape with the given requests (one for a unary
// or server-streaming method) and returns every reply. Sends that fail
// because the server already ended the stream are ignored, as the replies
// and the final error tell what happened.
func call(ctx context.Context, s *clarifaifake.Server, conn *grpc.ClientConn, method string, reqs ...proto.Message) ([]proto.Message, error) {
	md := methodDesc(s, method)
	if len(reqs) == 0 {
		reqs = []proto.Message{s.NewRequest(method)}
	}
	desc := &grpc.StreamDesc{ClientStreams: md.IsStreamingClient(), ServerStreams: md.IsStreamingServer()}
	stream, err := conn.NewStream(ctx, desc, method)
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if err := stream.SendMsg(r); err != nil {
			break
		}
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var out []proto.Message
	for {
		resp := s.NewReply(method)
		err := stream.RecvMsg(resp)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, resp)
	}
}

func methodDesc(s *clarifaifake.Server, method string) protoreflect.MethodDescriptor {
	i := strings.LastIndexByte(method, '/')
	d, err := s.Files().FindDescriptorByName(protoreflect.FullName(method[1:i]))
	if err != nil {
		panic(err)
	}
	return d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method[i+1:]))
}

// set sets the field at a dotted path of singular fields.
func set(m proto.Message, path string, v any) proto.Message {
	msg := m.ProtoReflect()
	names := strings.Split(path, ".")
	for i, n := range names {
		fd := msg.Descriptor().Fields().ByName(protoreflect.Name(n))
		if i == len(names)-1 {
			msg.Set(fd, protoreflect.ValueOf(v))
			return m
		}
		msg = msg.Mutable(fd).Message()
	}
	return m
}

// addInput appends an input with an id to the repeated field inputs.
func addInput(m proto.Message, id string) proto.Message {
	msg := m.ProtoReflect()
	l := msg.Mutable(msg.Descriptor().Fields().ByName("inputs")).List()
	e := l.NewElement()
	e.Message().Set(e.Message().Descriptor().Fields().ByName("id"), protoreflect.ValueOfString(id))
	l.Append(e)
	return m
}

func listLen(m proto.Message, field string) int {
	msg := m.ProtoReflect()
	return msg.Get(msg.Descriptor().Fields().ByName(protoreflect.Name(field))).List().Len()
}

func stringList(m proto.Message, field string) []string {
	msg := m.ProtoReflect()
	l := msg.Get(msg.Descriptor().Fields().ByName(protoreflect.Name(field))).List()
	var out []string
	for i := range l.Len() {
		out = append(out, l.Get(i).String())
	}
	return out
}

func codesOf(ms []proto.Message) []int32 {
	var out []int32
	for _, m := range ms {
		out = append(out, code(m))
	}
	return out
}

func predictRequest(s *clarifaifake.Server, model string) proto.Message {
	r := s.NewRequest(mPostModelOutputs)
	set(r, "user_app_id.user_id", "u1")
	set(r, "user_app_id.app_id", "a1")
	set(r, "model_id", model)
	return addInput(r, "in-1")
}
