package fakev2

import (
	"bytes"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

func TestEnumList(t *testing.T) {
	packed := protowire.AppendTag(nil, optDependingScopes, protowire.BytesType)
	packed = protowire.AppendBytes(packed, []byte{45, 11, 0x80, 0x01}) // 45, 11, 128
	var unpacked []byte
	for _, v := range []uint64{45, 11, 128} {
		unpacked = protowire.AppendTag(unpacked, optDependingScopes, protowire.VarintType)
		unpacked = protowire.AppendVarint(unpacked, v)
	}
	other := protowire.AppendTag(nil, optAuthType, protowire.VarintType)
	other = protowire.AppendVarint(other, 2)
	other = protowire.AppendTag(other, 72295728, protowire.BytesType) // google.api.http
	other = protowire.AppendBytes(other, []byte("x"))

	tests := []struct {
		name string
		raw  []byte
		want []int32
	}{
		{"empty", nil, nil},
		{"packed", packed, []int32{45, 11, 128}},
		{"unpacked", unpacked, []int32{45, 11, 128}},
		{"mixed with other fields", slices.Concat(other, unpacked[:8], packed, other), []int32{45, 11, 45, 11, 128}},
		{"other fields only", other, nil},
	}
	for _, tt := range tests {
		got, err := enumList(tt.raw, optDependingScopes)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: enumList = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if at, err := enumList(other, optAuthType); err != nil || !slices.Equal(at, []int32{2}) {
		t.Errorf("auth type = %v, %v", at, err)
	}

	for name, raw := range map[string][]byte{
		"truncated packed": packed[:len(packed)-1],
		"truncated tag":    {0x80},
		"wrong wire type":  protowire.AppendFixed32(protowire.AppendTag(nil, optDependingScopes, protowire.Fixed32Type), 1),
	} {
		if _, err := enumList(raw, optDependingScopes); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestMethodTable checks what the server reads from the embedded options
// against the Clarifai facts (clarifai-v2-methods.tsv, 12.4.0).
func TestMethodTable(t *testing.T) {
	want := map[string]struct {
		authType int32
		scopes   []string
	}{
		"/clarifai.api.V2/PostModelOutputs":        {2, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}},
		"/clarifai.api.V2/PostInputs":              {2, []string{"Annotations:Add", "Annotations:Get", "Apps:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"}},
		"/clarifai.api.V2/MyScopes":                {2, nil},
		"/clarifai.api.V2/PostKeys":                {5, []string{"Apps:Get", "Keys:Add", "Keys:Get"}},
		"/clarifai.api.V2/GetUser":                 {5, nil},
		"/clarifai.api.V2/ListScopes":              {3, nil},
		"/clarifai.api.V2/ListStatusCodes":         {1, nil},
		"/clarifai.api.V2/GenerateModelOutputs":    {2, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}},
		"/clarifai.api.V2/StreamModelOutputs":      {2, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}},
		"/clarifai.api.V2/PostModelVersionsUpload": {2, []string{"Apps:Get", "Models:Add", "Models:Get", "Models:Train", "Workflows:Get"}},
		// Not Clarifai's: the fixture's client-streaming method.
		"/clarifaiauth.testonly.Chunks/PostChunks": {2, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}},
	}
	methods := loadFiles().methods
	if len(methods) != len(want) {
		t.Errorf("%d methods, want %d", len(methods), len(want))
	}
	for name, w := range want {
		m := methods[name]
		if m == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if m.authType != w.authType || !slices.Equal(m.scopes, w.scopes) {
			t.Errorf("%s: auth %d scopes %v; want %d %v", name, m.authType, m.scopes, w.authType, w.scopes)
		}
	}
}

// TestOptionsMatchGeneratedExtensions decodes the options of the generated
// descriptors with the generated extension types and compares with what the
// server read from its private copy.
func TestOptionsMatchGeneratedExtensions(t *testing.T) {
	svc := pb.File_clarifai_api_service_proto.Services().ByName("V2")
	r := loadFiles()
	for i := range svc.Methods().Len() {
		md := svc.Methods().Get(i)
		opts := md.Options()
		var want []string
		for _, s := range proto.GetExtension(opts, pb.E_ClDependingScopes).([]pb.S) {
			want = append(want, r.scopeName(int32(s)))
		}
		name := "/clarifai.api.V2/" + string(md.Name())
		got := r.methods[name]
		if got == nil {
			t.Errorf("%s not served", name)
			continue
		}
		if !slices.Equal(got.scopes, want) {
			t.Errorf("%s scopes %v, generated %v", name, got.scopes, want)
		}
		if at := int32(proto.GetExtension(opts, pb.E_ClAuthType).(pb.AuthType)); got.authType != at {
			t.Errorf("%s auth type %d, generated %d", name, got.authType, at)
		}
	}
}

// TestProtosetMatchesGeneratedCode fails when the embedded protoset and the
// generated Go code come from different protos: regenerate both.
func TestProtosetMatchesGeneratedCode(t *testing.T) {
	n := 0
	Files().RangeFiles(func(fd protoreflect.FileDescriptor) bool {
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
			t.Errorf("%s differs between clarifai.protoset and the generated code", fd.Path())
		}
		return true
	})
	if n != 8 {
		t.Errorf("protoset has %d clarifai files, want 8", n)
	}
}

func TestFilesIsPrivate(t *testing.T) {
	if Files() == protoregistry.GlobalFiles {
		t.Fatal("Files returns the global registry")
	}
	d, err := Files().FindDescriptorByName("clarifai.api.V2")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := protoregistry.GlobalFiles.FindDescriptorByName("clarifai.api.V2")
	if err != nil {
		t.Fatal(err)
	}
	if d == gen {
		t.Error("Files shares descriptors with the global registry")
	}
	// Options parsed without a resolver keep the extensions unknown.
	opts := d.(protoreflect.ServiceDescriptor).Methods().ByName("PostInputs").Options()
	if len(opts.ProtoReflect().GetUnknown()) == 0 {
		t.Error("method options of the private registry have no unknown fields")
	}
}

func TestProtosetIsACopy(t *testing.T) {
	a := Protoset()
	if len(a) == 0 {
		t.Fatal("empty protoset")
	}
	a[0] ^= 0xff
	if Protoset()[0] == a[0] {
		t.Error("Protoset returns the embedded bytes themselves")
	}
	if _, err := parseProtoset(Protoset()); err != nil {
		t.Error(err)
	}
	if _, err := parseProtoset([]byte{0xff}); err == nil {
		t.Error("parseProtoset accepts garbage")
	}
}
