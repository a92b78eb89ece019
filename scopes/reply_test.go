package scopes

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

func genReply(code ct.StatusCode, desc, details string) *ct.MultiInputResponse {
	return &ct.MultiInputResponse{Status: &ct.Status{Code: code, Description: desc, Details: details, ReqId: "req-1"}}
}

// dynReply builds a clarifai.api.MultiInputResponse with dynamicpb from the
// fake server's descriptors, which are not the generated ones.
func dynReply(t testing.TB, files *protoregistry.Files, code int32, desc, details string, withStatus bool) proto.Message {
	t.Helper()
	d, err := files.FindDescriptorByName("clarifai.api.MultiInputResponse")
	if err != nil {
		t.Fatal(err)
	}
	md := d.(protoreflect.MessageDescriptor)
	m := dynamicpb.NewMessage(md)
	if withStatus {
		sfd := md.Fields().ByName("status")
		st := dynamicpb.NewMessage(sfd.Message())
		sf := sfd.Message().Fields()
		st.Set(sf.ByName("code"), protoreflect.ValueOfEnum(protoreflect.EnumNumber(code)))
		st.Set(sf.ByName("description"), protoreflect.ValueOfString(desc))
		st.Set(sf.ByName("details"), protoreflect.ValueOfString(details))
		st.Set(sf.ByName("req_id"), protoreflect.ValueOfString("req-1"))
		m.Set(sfd, protoreflect.ValueOfMessage(st))
	}
	return m
}

func TestCheckReply(t *testing.T) {
	files := clarifaifake.FixtureFiles()
	details := fakeapi.InsufficientScopesDetails([]string{"Inputs:Add", "Predict"}, postInputs)
	type build func(t testing.TB) any
	tests := []struct {
		desc    string
		reply   build
		failed  func(Code) bool
		want    Code // -1: nil error
		missing []string
		endpts  []string
	}{
		{"not a proto", func(testing.TB) any { return "hello" }, nil, -1, nil, nil},
		{"nil", func(testing.TB) any { return nil }, nil, -1, nil, nil},
		{"typed nil", func(testing.TB) any { return (*ct.MultiInputResponse)(nil) }, nil, -1, nil, nil},
		{"no status field", func(testing.TB) any { return &ct.PostInputsRequest{} }, nil, -1, nil, nil},
		{"status of another type", func(t testing.TB) any { return otherStatusMessage(t) }, nil, -1, nil, nil},
		{"generated success", func(testing.TB) any { return genReply(ct.StatusCode_SUCCESS, "Ok", "") }, nil, -1, nil, nil},
		{"generated mixed", func(testing.TB) any { return genReply(ct.StatusCode_MIXED_STATUS, "", "") }, nil, -1, nil, nil},
		{"generated mixed, strict", func(testing.TB) any { return genReply(ct.StatusCode_MIXED_STATUS, "", "") },
			func(c Code) bool { return c != 10000 }, 10010, nil, nil},
		{"generated scopes", func(testing.TB) any {
			return genReply(ct.StatusCode_CONN_INSUFFICIENT_SCOPES, "Insufficient scopes", details)
		}, nil, Code(11007), []string{"Inputs:Add", "Predict"}, []string{postInputs}},
		{"generated unset status", func(testing.TB) any { return &ct.MultiInputResponse{} }, nil, 0, nil, nil},
		{"generated key not found", func(testing.TB) any { return genReply(ct.StatusCode_CONN_KEY_NOT_FOUND, "API key not found", "") },
			nil, 11009, nil, nil},
		{"dynamic success", func(t testing.TB) any { return dynReply(t, files, 10000, "Ok", "", true) }, nil, -1, nil, nil},
		{"dynamic scopes", func(t testing.TB) any { return dynReply(t, files, 11007, "Insufficient scopes", details, true) },
			nil, Code(11007), []string{"Inputs:Add", "Predict"}, []string{postInputs}},
		{"dynamic unset status", func(t testing.TB) any { return dynReply(t, files, 0, "", "", false) }, nil, 0, nil, nil},
		{"dynamic unknown code", func(t testing.TB) any { return dynReply(t, files, 12345, "odd", "", true) }, nil, 12345, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			err := checkReply(postInputs, tc.reply(t), tc.failed)
			if tc.want == -1 {
				if err != nil {
					t.Fatalf("checkReply = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e == nil {
				t.Fatalf("checkReply = %#v, want *Error", err)
			}
			if e.Code != tc.want || e.Method != postInputs {
				t.Errorf("Code, Method = %v, %q; want %v, %q", e.Code, e.Method, tc.want, postInputs)
			}
			if !slices.Equal(e.Missing, tc.missing) || !slices.Equal(e.MissingEndpoints, tc.endpts) {
				t.Errorf("Missing = %q %q, want %q %q", e.Missing, e.MissingEndpoints, tc.missing, tc.endpts)
			}
			if !slices.Equal(e.Required.Scopes, postInputsScopes) || e.Required.AuthType != KeyAuth {
				t.Errorf("Required = %+v", e.Required)
			}
			if tc.want == 0 {
				if e.Description != "reply carries no status" || e.Code != 0 {
					t.Errorf("unset status: %v", e)
				}
			} else if e.ReqID != "req-1" || !strings.Contains(e.Error(), "req-1") {
				t.Errorf("ReqID = %q; Error() = %q", e.ReqID, e.Error())
			}
			if got := status.Code(err); got == codes.OK {
				t.Errorf("status.Code = OK")
			}
		})
	}
}

// otherStatusMessage returns a message with a field "status" whose type is
// not Clarifai's.
func otherStatusMessage(t testing.TB) proto.Message {
	t.Helper()
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("scopes_test/other.proto"),
		Package:    proto.String("scopestest"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/empty.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Reply"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("status"), Number: proto.Int32(1), JsonName: proto.String("status"),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(),
				TypeName: proto.String(".google.protobuf.Empty"),
			}},
		}},
	}
	files := new(protoregistry.Files)
	if err := files.RegisterFile(emptypb.File_google_protobuf_empty_proto); err != nil {
		t.Fatal(err)
	}
	fd, err := protodesc.NewFile(fdp, files)
	if err != nil {
		t.Fatal(err)
	}
	md := fd.Messages().ByName("Reply")
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByName("status"), protoreflect.ValueOfMessage(dynamicpb.NewMessage(md.Fields().ByName("status").Message())))
	return m
}

func TestCheckReplySuccessAllocs(t *testing.T) {
	files := clarifaifake.FixtureFiles()
	for name, reply := range map[string]proto.Message{
		"generated": genReply(ct.StatusCode_SUCCESS, "Ok", ""),
		"dynamic":   dynReply(t, files, 10000, "Ok", "", true),
	} {
		checkReply(postInputs, reply, nil) // resolve the shape
		allocs := testing.AllocsPerRun(1000, func() {
			if err := checkReply(postInputs, reply, nil); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: checkReply on SUCCESS allocates %v times per call", name, allocs)
		}
	}
}

func BenchmarkCheckReplySuccess(b *testing.B) {
	reply := genReply(ct.StatusCode_SUCCESS, "Ok", "")
	b.ReportAllocs()
	for b.Loop() {
		if err := checkReply(postInputs, reply, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckReplyFailure(b *testing.B) {
	reply := genReply(ct.StatusCode_CONN_INSUFFICIENT_SCOPES, "Insufficient scopes",
		fakeapi.InsufficientScopesDetails([]string{"Inputs:Add", "Predict"}, postInputs))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkReply(postInputs, reply, nil); err == nil {
			b.Fatal("no error")
		}
	}
}

// TestCheckReplyTypedNil: a typed nil reply, generated or dynamic, has
// nothing to read and must not panic.
func TestCheckReplyTypedNil(t *testing.T) {
	for name, reply := range map[string]any{
		"generated": (*ct.MultiInputResponse)(nil),
		"dynamicpb": (*dynamicpb.Message)(nil),
		"untyped":   nil,
	} {
		if err := checkReply(postInputs, reply, nil); err != nil {
			t.Errorf("%s: %v, want nil", name, err)
		}
	}
}
