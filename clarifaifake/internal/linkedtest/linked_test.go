package linkedtest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

func start(t *testing.T, opts ...clarifaifake.Option) (*clarifaifake.Server, pb.V2Client) {
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
	return s, pb.NewV2Client(conn)
}

func withKey(t *testing.T, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func predictRequest() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "u1", AppId: "a1"},
		ModelId:   "general-image-recognition",
		Inputs:    []*pb.Input{{Id: "in-1", Data: &pb.Data{Image: &pb.Image{Url: "https://samples.example/cat.jpg"}}}},
	}
}

// TestServesTheLinkedClient: with generated code linked, New serves the
// global registry, and the generated client works against it.
func TestServesTheLinkedClient(t *testing.T) {
	s, c := start(t)
	if dynamic(s) {
		t.Fatal("New did not pick the global registry although clarifai.api.V2 is linked")
	}
	if _, ok := s.NewRequest("PostModelOutputs").(*pb.PostModelOutputsRequest); !ok {
		t.Errorf("NewRequest gives a %T, want the generated type", s.NewRequest("PostModelOutputs"))
	}
	s.AddPAT("pat", predictScopes, nil)
	s.AddAPIKey("app-key", []string{"All"}, nil)
	s.AddSessionToken("sess", nil, nil)

	resp, err := c.PostModelOutputs(withKey(t, "authorization", "Key pat"), predictRequest())
	if err != nil || resp.GetStatus().GetCode() != pb.StatusCode_SUCCESS || resp.GetOutputs()[0].GetInput().GetData().GetImage().GetUrl() == "" {
		t.Fatalf("PostModelOutputs = %v, %v", resp, err)
	}
	in, _ := c.PostInputs(withKey(t, "authorization", "Key pat"), &pb.PostInputsRequest{})
	if in.GetStatus().GetCode() != pb.StatusCode_CONN_INSUFFICIENT_SCOPES ||
		in.GetStatus().GetDetails() != "Missing scopes: [Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]; or endpoint: /clarifai.api.V2/PostInputs" {
		t.Errorf("PostInputs = %v", in.GetStatus())
	}
	keys, _ := c.PostKeys(withKey(t, "authorization", "Key app-key"), &pb.PostKeysRequest{})
	if keys.GetStatus().GetCode() != pb.StatusCode_CONN_AUTH_METHOD_DISABLED {
		t.Errorf("PostKeys with an app key = %v", keys.GetStatus())
	}
	scopes, _ := c.ListScopes(withKey(t, "x-clarifai-session-token", "sess"), &pb.ListScopesRequest{})
	if scopes.GetStatus().GetCode() != pb.StatusCode_SUCCESS || len(scopes.GetScopeDeps()) == 0 {
		t.Errorf("ListScopes with a session token = %v", scopes.GetStatus())
	}
	if req, ok := s.Calls()[0].Requests()[0].(*pb.PostModelOutputsRequest); !ok || req.GetModelId() != "general-image-recognition" {
		t.Errorf("recorded request %T %v", s.Calls()[0].Requests()[0], s.Calls()[0].Requests()[0])
	}
}

// TestSameAnswersEitherWay: the options read from the generated code (known
// extensions, packed) and from the private fixture (unknown fields) agree.
func TestSameAnswersEitherWay(t *testing.T) {
	private, _ := start(t, clarifaifake.WithFiles(clarifaifake.FixtureFiles()))
	if !dynamic(private) {
		t.Fatal("WithFiles(FixtureFiles()) serves the global registry")
	}
	svc := pb.File_clarifai_api_service_proto.Services().ByName("V2")
	for i := range svc.Methods().Len() {
		name := string(svc.Methods().Get(i).Name())
		a, errA := fakeapi.LeastPrivilege(protoregistry.GlobalFiles, name)
		b, errB := fakeapi.LeastPrivilege(clarifaifake.FixtureFiles(), name)
		if errA != nil || errB != nil || a.String() != b.String() {
			t.Errorf("%s: global %v%v\nprivate %v%v", name, a, errA, b, errB)
		}
	}
	methods := []string{"PostInputs", "PostKeys", "StreamModelOutputs"}
	a, errA := fakeapi.LeastPrivilege(protoregistry.GlobalFiles, methods...)
	b, errB := fakeapi.LeastPrivilege(clarifaifake.FixtureFiles(), methods...)
	if errA != nil || errB != nil || a.String() != b.String() {
		t.Errorf("LeastPrivilege differs:\n%v%v\n%v%v", a, errA, b, errB)
	}
}

// TestTyped: a function of generated types answers whether the server
// serves generated or dynamic messages.
func TestTyped(t *testing.T) {
	for _, opts := range [][]clarifaifake.Option{nil, {clarifaifake.WithFiles(clarifaifake.FixtureFiles())}} {
		s, c := start(t, opts...)
		s.AddPAT("k", []string{"All"}, nil)
		s.SetReply("/clarifai.api.V2/StreamModelOutputs", clarifaifake.Typed(
			func(_ context.Context, req *pb.PostModelOutputsRequest) ([]*pb.MultiOutputResponse, error) {
				r := &pb.MultiOutputResponse{Outputs: []*pb.Output{{Id: "for-" + req.GetModelId()}}}
				if req.GetModelId() == "broken" {
					r.Status = &pb.Status{Code: pb.StatusCode_FAILURE, Description: "Failure"}
				}
				return []*pb.MultiOutputResponse{r}, nil
			}))
		stream, err := c.StreamModelOutputs(withKey(t, "authorization", "Key k"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range []string{"a", "broken", "c"} {
			req := predictRequest()
			req.ModelId = m
			if err := stream.Send(req); err != nil {
				t.Fatal(err)
			}
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, resp.GetOutputs()[0].GetId()+":"+resp.GetStatus().GetCode().String())
		}
		stream.CloseSend()
		if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
			t.Errorf("end: %v", err)
		}
		want := []string{"for-a:SUCCESS", "for-broken:FAILURE", "for-c:SUCCESS"}
		if !slices.Equal(got, want) {
			t.Errorf("serving %v: %v, want %v", !dynamic(s), got, want)
		}
	}
}

func TestUploadWithTheGeneratedClient(t *testing.T) {
	s, c := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	stream, err := c.PostModelVersionsUpload(withKey(t, "authorization", "Key k"))
	if err != nil {
		t.Fatal(err)
	}
	var got []pb.StatusCode
	for i := range 2 {
		if err := stream.Send(&pb.PostModelVersionsUploadRequest{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{
			ContentPart: &pb.UploadContentPart{PartNumber: uint32(i + 1), Data: []byte("abc")}}}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetStatus().GetCode())
	}
	stream.CloseSend()
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, resp.GetStatus().GetCode())
	want := []pb.StatusCode{pb.StatusCode_UPLOAD_IN_PROGRESS, pb.StatusCode_UPLOAD_IN_PROGRESS, pb.StatusCode_MODEL_BUILDING}
	if !slices.Equal(got, want) {
		t.Errorf("codes %v, want %v", got, want)
	}
}

// TestFixtureMatchesGeneratedCode fails when the embedded fixture and the
// generated Go code come from different protos: regenerate both with
// `go generate ./internal/clarifaitest`.
func TestFixtureMatchesGeneratedCode(t *testing.T) {
	n := 0
	clarifaifake.FixtureFiles().RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if fd.Package() == "google.protobuf" {
			return true
		}
		n++
		gen, err := protoregistry.GlobalFiles.FindFileByPath(fd.Path())
		if err != nil {
			t.Errorf("%s: not in the generated code: %v", fd.Path(), err)
			return true
		}
		a, errA := proto.MarshalOptions{Deterministic: true}.Marshal(protodesc.ToFileDescriptorProto(fd))
		b, errB := proto.MarshalOptions{Deterministic: true}.Marshal(protodesc.ToFileDescriptorProto(gen))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between fixture.protoset and the generated code", fd.Path())
		}
		return true
	})
	if n != 8 {
		t.Errorf("the fixture has %d clarifai files, want 8", n)
	}
}

// TestOptionsMatchGeneratedExtensions reads the method options of the
// generated code with protobuf's own extension types and compares them with
// what the fake decodes by hand from the fixture's raw options: a check of
// the fake's option decoding that does not share its code.
func TestOptionsMatchGeneratedExtensions(t *testing.T) {
	svc := pb.File_clarifai_api_service_proto.Services().ByName("V2")
	for i := range svc.Methods().Len() {
		md := svc.Methods().Get(i)
		opts := md.Options()
		var want []string
		for _, sc := range proto.GetExtension(opts, pb.E_ClDependingScopes).([]pb.S) {
			want = append(want, strings.Replace(sc.String(), "_", ":", 1))
		}
		name := "/clarifai.api.V2/" + string(md.Name())
		got, err := fakeapi.LeastPrivilege(clarifaifake.FixtureFiles(), name)
		if err != nil {
			t.Errorf("%s not served: %v", name, err)
			continue
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got.Scopes, want) && !(len(got.Scopes) == 0 && len(want) == 0) {
			t.Errorf("%s scopes %v, generated %v", name, got.Scopes, want)
		}
		at := proto.GetExtension(opts, pb.E_ClAuthType).(pb.AuthType).String()
		if cred := credentialOf[at]; got.Credential != cred {
			t.Errorf("%s credential %q, generated auth type %s (%q)", name, got.Credential, at, cred)
		}
	}
}

// credentialOf is the credential LeastPrivilege names for a method of each
// auth type.
var credentialOf = map[string]string{
	"NoAuth":           "none",
	"KeyAuth":          "API key or PAT",
	"PATAuth":          "PAT",
	"SessionTokenAuth": "session token",
	"AdminAuth":        "unavailable",
}

// dynamic reports whether s serves dynamic messages, that is, not the
// global registry of the linked generated code.
func dynamic(s *clarifaifake.Server) bool {
	_, ok := s.NewRequest("PostInputs").(*dynamicpb.Message)
	return ok
}
