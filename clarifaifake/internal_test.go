package clarifaifake

import (
	"slices"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

func TestFixtureProtosetIsACopy(t *testing.T) {
	a := fakeapi.FixtureProtoset()
	a[0] ^= 0xff
	if fakeapi.FixtureProtoset()[0] == a[0] {
		t.Error("FixtureProtoset returns the embedded bytes themselves")
	}
}

func TestMethodNames(t *testing.T) {
	r := fixture()
	for _, name := range []string{"PostInputs", "clarifai.api.V2.PostInputs", "/clarifai.api.V2/PostInputs"} {
		if mi := r.method(name); mi == nil || mi.name != "/clarifai.api.V2/PostInputs" {
			t.Errorf("method(%q) = %v", name, mi)
		}
	}
	if mi := r.method("clarifaiauth.testonly.Chunks.PostChunks"); mi == nil {
		t.Error("dotted name of another service not found")
	}
	for _, name := range []string{"", "NoSuch", "/clarifai.api.V2/NoSuch", "clarifai.api.V2/PostInputs", "PostChunks"} {
		if mi := r.method(name); mi != nil {
			t.Errorf("method(%q) = %v, want nil", name, mi.name)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "…",
		"short":            "…",
		"0123456789abcdef": "…cdef",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
	if got := redactValue(wire.HeaderAuthorization, "Key 0123456789abcdef"); got != "Key …cdef" {
		t.Errorf("redactValue = %q", got)
	}
	if got := redactValue(wire.HeaderAuthorization, "Bearer 0123456789abcdef"); got != "…cdef" {
		t.Errorf("redactValue without Key = %q", got)
	}
}

// TestPermitKind covers every auth type, AdminAuth included, which the
// fixture has no method for.
func TestPermitKind(t *testing.T) {
	kinds := map[kind]string{kindPAT: "PAT", kindAPIKey: "API key", kindSessionToken: "session token"}
	allowed := map[int32][]kind{
		authUndef:        {kindPAT, kindAPIKey, kindSessionToken},
		authKeyAuth:      {kindPAT, kindAPIKey, kindSessionToken},
		authPAT:          {kindPAT, kindSessionToken},
		authSessionToken: {kindSessionToken},
		authAdmin:        nil,
	}
	for at, ok := range allowed {
		for k, name := range kinds {
			got := permitKind(at, &credential{kind: k})
			want := slices.Contains(ok, k)
			if (got == nil) != want {
				t.Errorf("%s with a %s: refused = %v, want %v", authTypeName(at), name, got != nil, !want)
			}
			if got != nil && got.code != wire.CodeAuthMethodDisabled {
				t.Errorf("%s with a %s: code %d", authTypeName(at), name, got.code)
			}
		}
	}
}
