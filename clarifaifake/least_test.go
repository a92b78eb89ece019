package clarifaifake_test

import (
	"slices"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// union merges the scopes of the fixture's requirements for methods.
func union(methods ...string) []string {
	var out []string
	for _, r := range fixtureMethods {
		if slices.Contains(methods, r.Method) {
			out = append(out, r.Scopes...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestLeastPrivilegeOfCalls runs a few calls, some refused, then checks the
// report against the methods' requirements, and that a key minted from it
// makes every call succeed.
func TestLeastPrivilegeOfCalls(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"Predict"}, nil)
	call(withKey(t, "k"), s, conn, mPostModelOutputs, predictRequest(s, "m"))
	call(withKey(t, "k"), s, conn, mPostModelOutputs, predictRequest(s, "m"))
	call(withKey(t, "k"), s, conn, mPostInputs)
	call(withKey(t, "k"), s, conn, mMyScopes)
	call(withKey(t, "k"), s, conn, mStreamModelOutputs, predictRequest(s, "m"))
	call(ctxWith(t), s, conn, mListStatusCodes)
	conn.Invoke(withKey(t, "k"), v2+"NoSuchMethod", s.NewRequest(mMyScopes), s.NewReply(mMyScopes))

	r := s.Report()
	wantMethods := []string{mListStatusCodes, mMyScopes, mPostInputs, mPostModelOutputs, mStreamModelOutputs}
	var gotMethods []string
	for _, m := range r.Methods {
		gotMethods = append(gotMethods, m.Method)
	}
	if !slices.Equal(gotMethods, wantMethods) {
		t.Errorf("Methods %v, want %v", gotMethods, wantMethods)
	}
	if want := union(wantMethods...); !slices.Equal(r.Scopes, want) {
		t.Errorf("Scopes %v, want %v", r.Scopes, want)
	}
	if want := []string{mPostInputs, mPostModelOutputs, mStreamModelOutputs}; !slices.Equal(r.Endpoints, want) {
		t.Errorf("Endpoints %v, want %v", r.Endpoints, want)
	}
	if r.Credential != "API key or PAT" {
		t.Errorf("Credential %q", r.Credential)
	}

	// A key minted from either half of the report makes every call succeed.
	s.AddAPIKey("scoped", r.Scopes, nil)
	s.AddAPIKey("endpoints", nil, r.Endpoints)
	for _, key := range []string{"scoped", "endpoints"} {
		for _, m := range wantMethods {
			got, err := call(withKey(t, key), s, conn, m)
			if err != nil || code(got[0]) != codeSuccess {
				t.Errorf("%s with the %s key: %v, %v", m, key, codesOf(got), err)
			}
		}
	}
	// And one scope less does not.
	s.AddAPIKey("less", r.Scopes[1:], nil)
	if got, _ := call(withKey(t, "less"), s, conn, mPostInputs); code(got[0]) != codeInsufficientScopes {
		t.Errorf("a key without %s: %v", r.Scopes[0], codesOf(got))
	}

	s.ResetCalls()
	if r := s.Report(); len(r.Methods) != 0 || len(r.Scopes) != 0 || r.Credential != "none" {
		t.Errorf("after ResetCalls: %+v", r)
	}
}

func TestLeastPrivilegeCredential(t *testing.T) {
	for _, tt := range []struct {
		methods []string
		want    string
	}{
		{[]string{mListStatusCodes}, "none"},
		{[]string{mPostInputs, mListStatusCodes}, "API key or PAT"},
		{[]string{mPostInputs, mPostKeys}, "PAT"},
		{[]string{mPostKeys, mListScopes}, "session token"},
	} {
		r, err := fakeapi.LeastPrivilege(clarifaifake.FixtureFiles(), tt.methods...)
		if err != nil {
			t.Fatal(err)
		}
		if r.Credential != tt.want {
			t.Errorf("%v: Credential %q, want %q", tt.methods, r.Credential, tt.want)
		}
	}
}

func TestLeastPrivilegeOfMethodNames(t *testing.T) {
	files, err := fakeapi.ParseDescriptorSet(fakeapi.FixtureProtoset())
	if err != nil {
		t.Fatal(err)
	}
	r, err := fakeapi.LeastPrivilege(files, "PostInputs", "clarifai.api.V2.PostModelOutputs", mPostKeys, "PostInputs")
	if err != nil {
		t.Fatal(err)
	}
	if want := union(mPostInputs, mPostModelOutputs, mPostKeys); !slices.Equal(r.Scopes, want) {
		t.Errorf("Scopes %v, want %v", r.Scopes, want)
	}
	if want := []string{mPostInputs, mPostKeys, mPostModelOutputs}; !slices.Equal(r.Endpoints, want) || len(r.Methods) != 3 {
		t.Errorf("Endpoints %v (%d methods), want %v", r.Endpoints, len(r.Methods), want)
	}
	if r.Credential != "PAT" {
		t.Errorf("Credential %q", r.Credential)
	}
	if _, err := fakeapi.LeastPrivilege(files, "PostInputs", "NoSuchMethod"); err == nil {
		t.Error("an unknown method gave no error")
	}
	if r, err := fakeapi.LeastPrivilege(files); err != nil || len(r.Scopes) != 0 {
		t.Errorf("no methods: %+v, %v", r, err)
	}
}

// TestLeastPrivilegeOfList computes, from descriptors alone, what a key needs
// to call a list of methods: what `keycheck -least` prints.
func TestLeastPrivilegeOfList(t *testing.T) {
	r, err := fakeapi.LeastPrivilege(clarifaifake.FixtureFiles(), "PostInputs", "PostModelOutputs")
	if err != nil {
		t.Fatal(err)
	}
	want := `credential: API key or PAT
scopes: Annotations:Add Annotations:Get Apps:Get Concepts:Get Inputs:Add Inputs:Get Models:Get Predict Workflows:Get
or endpoints: /clarifai.api.V2/PostInputs /clarifai.api.V2/PostModelOutputs
`
	if r.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", r, want)
	}
}
