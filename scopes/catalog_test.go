package scopes

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// filesWithoutExtensions loads the fake server's descriptors with a resolver
// that knows no extension, so Clarifai's method options stay unknown fields.
func filesWithoutExtensions(t testing.TB) *protoregistry.Files {
	t.Helper()
	var set descriptorpb.FileDescriptorSet
	if err := (proto.UnmarshalOptions{Resolver: new(protoregistry.Types)}).Unmarshal(fakeapi.FixtureProtoset(), &set); err != nil {
		t.Fatalf("unmarshal protoset: %v", err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		t.Fatalf("NewFiles: %v", err)
	}
	return files
}

func TestRequired(t *testing.T) {
	// The test binary links clarifaitest: its descriptors are in
	// GlobalFiles and the extension types are registered.
	_ = clarifaitest.File_clarifai_api_service_proto
	unknown := filesWithoutExtensions(t)
	md, err := unknown.FindDescriptorByName("clarifai.api.V2.PostInputs")
	if err != nil {
		t.Fatal(err)
	}
	if len(md.(protoreflect.MethodDescriptor).Options().ProtoReflect().GetUnknown()) == 0 {
		t.Fatal("options of the unregistered load hold no unknown fields: the test would not test that path")
	}
	gmd, err := protoregistry.GlobalFiles.FindDescriptorByName("clarifai.api.V2.PostInputs")
	if err != nil {
		t.Fatal(err)
	}
	if len(gmd.(protoreflect.MethodDescriptor).Options().ProtoReflect().GetUnknown()) != 0 {
		t.Fatal("options in GlobalFiles hold unknown fields: extensions are not registered")
	}

	catalogs := map[string]*Catalog{
		"registered extensions": linked,
		"unknown fields":        NewCatalog(unknown),
	}
	tests := []struct {
		method string
		ok     bool
		want   Requirement
	}{
		{postInputs, true, Requirement{postInputs, postInputsScopes, KeyAuth}},
		{postModelOutputs, true, Requirement{postModelOutputs, postModelOutputsScopes, KeyAuth}},
		{"/clarifai.api.V2/PostKeys", true, Requirement{"/clarifai.api.V2/PostKeys", []string{"Apps:Get", "Keys:Add", "Keys:Get"}, PATAuth}},
		{"/clarifai.api.V2/MyScopes", true, Requirement{"/clarifai.api.V2/MyScopes", nil, KeyAuth}},
		{"/clarifai.api.V2/GetUser", true, Requirement{"/clarifai.api.V2/GetUser", nil, PATAuth}},
		{"/clarifai.api.V2/ListScopes", true, Requirement{"/clarifai.api.V2/ListScopes", nil, SessionTokenAuth}},
		{"/clarifai.api.V2/ListStatusCodes", true, Requirement{"/clarifai.api.V2/ListStatusCodes", nil, 1}},
		{"/clarifai.api.V2/StreamModelOutputs", true, Requirement{"/clarifai.api.V2/StreamModelOutputs", postModelOutputsScopes, KeyAuth}},
		{"clarifai.api.V2/PostInputs", true, Requirement{postInputs, postInputsScopes, KeyAuth}},
		{"/clarifai.api.V2/NoSuchMethod", false, Requirement{}},
		{"/clarifai.api.V3/PostInputs", false, Requirement{}},
		{"/clarifai.api.UserAppIDSet/x", false, Requirement{}},
		{"", false, Requirement{}},
		{"PostInputs", true, Requirement{postInputs, postInputsScopes, KeyAuth}},
		{"NoSuchMethod", false, Requirement{}},
	}
	for name, c := range catalogs {
		for _, tc := range tests {
			for range 2 { // the second answer comes from the cache
				got, ok := c.Required(tc.method)
				if ok != tc.ok || got.Method != tc.want.Method || got.AuthType != tc.want.AuthType || !slices.Equal(got.Scopes, tc.want.Scopes) {
					t.Errorf("%s: Required(%q) = %+v, %v; want %+v, %v", name, tc.method, got, ok, tc.want, tc.ok)
				}
			}
		}
	}
	if got, ok := linked.Required(postInputs); !ok || !slices.Equal(got.Scopes, postInputsScopes) {
		t.Errorf("linked.Required(PostInputs) = %+v, %v", got, ok)
	}
}

// TestCatalogNamesAsTyped: Required takes a method name as people type it.
func TestCatalogNamesAsTyped(t *testing.T) {
	c := NewCatalog(filesWithoutExtensions(t))
	for _, name := range []string{"PostInputs", " PostInputs ", "clarifai.api.V2/PostInputs", postInputs} {
		got, ok := c.Required(name)
		if !ok || got.Method != postInputs || !slices.Equal(got.Scopes, postInputsScopes) {
			t.Errorf("Required(%q) = %+v, %v", name, got, ok)
		}
	}
	for _, name := range []string{"", "NoSuch", "postinputs", "/x.Y/PostInputs", "/"} {
		if got, ok := c.Required(name); ok {
			t.Errorf("Required(%q) = %+v, true; want false", name, got)
		}
	}
}

func BenchmarkRequiredCached(b *testing.B) {
	linked.Required(postInputs)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := linked.Required(postInputs); !ok {
			b.Fatal("not found")
		}
	}
}

// TestCatalogCacheIsBounded: names from anywhere do not grow the cache
// without bound, and answers stay right past the bound.
func TestCatalogCacheIsBounded(t *testing.T) {
	c := NewCatalog(nil)
	for i := range 3 * maxCatalogBytes / 200 {
		if _, ok := c.Required(fmt.Sprintf("/nowhere.Service/Method%d", i)); ok {
			t.Fatal("an unknown method was found")
		}
	}
	if n, b, _ := c.reqs.Stats(); b > maxCatalogBytes || n == 0 {
		t.Errorf("%d cached names of %d bytes, want some, at most %d bytes", n, b, maxCatalogBytes)
	}
	// Past the bound, a known method still gets its answer.
	if got, ok := c.Required(postInputs); !ok || !slices.Equal(got.Scopes, postInputsScopes) {
		t.Errorf("Required(PostInputs) past the bound = %+v, %v", got, ok)
	}
}
