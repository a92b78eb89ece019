package clarifaifake_test

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// fixtureMethods is what each fixture method needs, from Clarifai's 12.4.0
// descriptors (clarifai-v2-methods.tsv), written out so that a bug reading
// the options cannot hide itself.
var fixtureMethods = []clarifaifake.Requirement{
	{Method: mGenerateModelOutputs, AuthType: "KeyAuth", Scopes: predictScopes},
	{Method: mGetUser, AuthType: "PATAuth"},
	{Method: mListScopes, AuthType: "SessionTokenAuth"},
	{Method: mListStatusCodes, AuthType: "NoAuth"},
	{Method: mMyScopes, AuthType: "KeyAuth"},
	{Method: mPostInputs, AuthType: "KeyAuth", Scopes: []string{"Annotations:Add", "Annotations:Get", "Apps:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"}},
	{Method: mPostKeys, AuthType: "PATAuth", Scopes: []string{"Apps:Get", "Keys:Add", "Keys:Get"}},
	{Method: mPostModelOutputs, AuthType: "KeyAuth", Scopes: predictScopes},
	{Method: mUpload, AuthType: "KeyAuth", Scopes: []string{"Apps:Get", "Models:Add", "Models:Get", "Models:Train", "Workflows:Get"}},
	{Method: mStreamModelOutputs, AuthType: "KeyAuth", Scopes: predictScopes},
	{Method: mPostChunks, AuthType: "KeyAuth", Scopes: predictScopes},
}

func sameRequirements(a, b []clarifaifake.Requirement) bool {
	return slices.EqualFunc(a, b, func(x, y clarifaifake.Requirement) bool {
		return x.Method == y.Method && x.AuthType == y.AuthType && slices.Equal(x.Scopes, y.Scopes)
	})
}

func TestMethodsReadFromOptions(t *testing.T) {
	s, _ := start(t)
	if got := s.Methods(); !sameRequirements(got, fixtureMethods) {
		t.Errorf("Methods() =\n%v\nwant\n%v", got, fixtureMethods)
	}
}

// cred is a credential the matrix test calls every method with.
type cred struct {
	name      string
	kind      string // "pat", "apikey", "session", "unknown"
	scopes    []string
	endpoints func(method string) []string
}

// want is what Clarifai answers m called with c: derived from the method's
// requirement alone, independently of the server's code.
func (c cred) want(m clarifaifake.Requirement) (int32, string) {
	if m.AuthType == "NoAuth" {
		return codeSuccess, ""
	}
	if c.kind == "unknown" {
		return codeKeyNotFound, ""
	}
	switch {
	case m.AuthType == "AdminAuth",
		m.AuthType == "PATAuth" && c.kind == "apikey",
		m.AuthType == "SessionTokenAuth" && c.kind != "session":
		return codeAuthMethodDisabled, ""
	}
	if slices.Contains(c.scopes, "All") || (c.endpoints != nil && slices.Contains(c.endpoints(m.Method), m.Method)) {
		return codeSuccess, ""
	}
	var missing []string
	for _, sc := range m.Scopes {
		if !slices.Contains(c.scopes, sc) {
			missing = append(missing, sc)
		}
	}
	if len(missing) > 0 {
		return codeInsufficientScopes, fakeapi.InsufficientScopesDetails(missing, m.Method)
	}
	return codeSuccess, ""
}

// TestEveryMethodAnswersByItsOptions calls every method the fixture serves
// with every kind of credential, holding all, none, exactly the method's or
// an endpoint grant, and checks the first reply's status against what the
// method's options demand.
func TestEveryMethodAnswersByItsOptions(t *testing.T) {
	s, conn := start(t)
	self := func(m string) []string { return []string{m} }
	other := func(m string) []string { return []string{mMyScopes + "x"} }
	var creds []cred
	for _, kind := range []string{"pat", "apikey", "session"} {
		creds = append(creds,
			cred{name: kind + "-all", kind: kind, scopes: []string{"All"}},
			cred{name: kind + "-none", kind: kind},
			cred{name: kind + "-endpoint", kind: kind, endpoints: self},
			cred{name: kind + "-other-endpoint", kind: kind, endpoints: other},
			cred{name: kind + "-predict", kind: kind, scopes: predictScopes},
		)
	}
	creds = append(creds, cred{name: "unknown", kind: "unknown"})

	n := 0
	for _, m := range s.Methods() {
		for _, c := range creds {
			// A fresh secret per pair, so that exact scopes and endpoints
			// can follow the method.
			n++
			secret := fmt.Sprintf("%s-%02d-0123456789abcdef", c.name, n)
			var eps []string
			if c.endpoints != nil {
				eps = c.endpoints(m.Method)
			}
			ctx := withKey(t, secret)
			switch c.kind {
			case "pat":
				s.AddPAT(secret, c.scopes, eps)
			case "apikey":
				s.AddAPIKey(secret, c.scopes, eps)
			case "session":
				s.AddSessionToken(secret, c.scopes, eps)
				ctx = withSession(t, secret)
			}
			replies, err := call(ctx, s, conn, m.Method)
			if err != nil {
				t.Errorf("%s with %s: gRPC error %v, want an in-band status", m.Method, c.name, err)
				continue
			}
			wantCode, wantDetails := c.want(m)
			if m.Method == mUpload && wantCode == codeSuccess {
				wantCode = codeUploadInProgress
			}
			if len(replies) == 0 {
				t.Errorf("%s with %s: no reply", m.Method, c.name)
				continue
			}
			if got := code(replies[0]); got != wantCode {
				t.Errorf("%s with %s: code %d (%s), want %d", m.Method, c.name, got, get(replies[0], "status.details").String(), wantCode)
			}
			if wantDetails != "" {
				if got := get(replies[0], "status.details").String(); got != wantDetails {
					t.Errorf("%s with %s: details %q, want %q", m.Method, c.name, got, wantDetails)
				}
			}
			if wantCode != codeSuccess && wantCode != codeUploadInProgress && len(replies) != 1 {
				t.Errorf("%s with %s: a refused call got %d replies, want 1", m.Method, c.name, len(replies))
			}
		}
	}
	if n < len(fixtureMethods)*len(creds) {
		t.Errorf("checked %d pairs", n)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("good", []string{"All"}, nil)
	s.AddSessionToken("sess", []string{"All"}, nil)
	for _, tt := range []struct {
		name string
		md   []string
		code int32
		desc string
	}{
		{"no credential", nil, codeInvalidRequest, "Invalid request"},
		{"key and session token", []string{"authorization", "Key good", "x-clarifai-session-token", "sess"}, codeInvalidRequest, "Invalid request"},
		{"two keys", []string{"authorization", "Key good", "authorization", "Key good"}, codeInvalidRequest, "Invalid request"},
		{"two session tokens", []string{"x-clarifai-session-token", "sess", "x-clarifai-session-token", "sess"}, codeInvalidRequest, "Invalid request"},
		{"bearer scheme", []string{"authorization", "Bearer good"}, codeKeyInvalid, "Invalid API key or Invalid API key/application pair"},
		{"empty key", []string{"authorization", "Key "}, codeKeyInvalid, "Invalid API key or Invalid API key/application pair"},
		{"unknown key", []string{"authorization", "Key bad"}, codeKeyNotFound, "API key not found"},
		{"session token sent as a key", []string{"authorization", "Key sess"}, codeKeyNotFound, "API key not found"},
		{"key sent as a session token", []string{"x-clarifai-session-token", "good"}, codeTokenInvalid, "Invalid token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			replies, err := call(ctxWith(t, tt.md...), s, conn, mPostModelOutputs, predictRequest(s, "m"))
			if err != nil || len(replies) != 1 {
				t.Fatalf("%d replies, %v; want one in-band status", len(replies), err)
			}
			r := replies[0]
			if code(r) != tt.code || get(r, "status.description").String() != tt.desc {
				t.Errorf("status %d %q, want %d %q", code(r), get(r, "status.description").String(), tt.code, tt.desc)
			}
			if listLen(r, "outputs") != 0 {
				t.Error("a refused reply carries outputs")
			}
		})
	}
}

func TestRemove(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	s.Remove("k")
	if r, _ := call(withKey(t, "k"), s, conn, mMyScopes); code(r[0]) != codeKeyNotFound {
		t.Errorf("removed key: code %d", code(r[0]))
	}
}

func TestMyScopesAnswersTheGrant(t *testing.T) {
	s, conn := start(t)
	s.AddAPIKey("k", []string{"Inputs:Add", "Predict"}, []string{mPostInputs})
	req := set(set(s.NewRequest(mMyScopes), "user_app_id.user_id", "u1"), "user_app_id.app_id", "a1")
	replies, err := call(withKey(t, "k"), s, conn, mMyScopes, req)
	if err != nil {
		t.Fatal(err)
	}
	r := replies[0]
	if code(r) != codeSuccess || !slices.Equal(stringList(r, "scopes"), []string{"Inputs:Add", "Predict"}) ||
		!slices.Equal(stringList(r, "endpoints"), []string{mPostInputs}) || get(r, "app.id").String() != "a1" {
		t.Errorf("MyScopes = %v", r)
	}
}

func TestUnknownMethod(t *testing.T) {
	s, conn := start(t)
	err := conn.Invoke(ctxWith(t), v2+"NoSuchMethod", s.NewRequest(mMyScopes), s.NewReply(mMyScopes))
	if err == nil {
		t.Fatal("an unknown method answered")
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Method != v2+"NoSuchMethod" || calls[0].Err == nil {
		t.Errorf("calls = %v", calls)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := clarifaifake.New(clarifaifake.WithFiles(new(protoregistry.Files))); err == nil {
		t.Error("New accepted descriptors without clarifai.api.V2")
	}
	if _, err := fakeapi.ParseDescriptorSet([]byte{0xff}); err == nil {
		t.Error("ParseDescriptorSet accepted garbage")
	}
	files, err := fakeapi.ParseDescriptorSet(fakeapi.FixtureProtoset())
	if err != nil {
		t.Fatal(err)
	}
	s, err := clarifaifake.New(clarifaifake.WithFiles(files))
	if err != nil {
		t.Fatal(err)
	}
	if !sameRequirements(s.Methods(), fixtureMethods) {
		t.Errorf("a parsed descriptor set serves %v", s.Methods())
	}
	s.Stop()
}

// TestRegistersNothing: in a program that does not link Clarifai's client,
// the server serves the fixture from a private registry and leaves the
// global one without any clarifai.* name.
func TestRegistersNothing(t *testing.T) {
	s, conn := start(t)
	s.AddPAT("k", []string{"All"}, nil)
	if _, err := call(withKey(t, "k"), s, conn, mPostModelOutputs); err != nil {
		t.Fatal(err)
	}
	if s.Files() == protoregistry.GlobalFiles {
		t.Error("the server serves the global registry")
	}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "clarifai") {
			t.Errorf("%s (package %s) is registered globally", fd.Path(), fd.Package())
		}
		return true
	})
}

// TestNoGeneratedClarifaiDependency: the package's non-test code links no
// generated Clarifai code, which would register clarifai.* names globally
// and clash with Clarifai's client.
func TestNoGeneratedClarifaiDependency(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "google.golang.org/protobuf/types/dynamicpb") {
		t.Fatalf("go list output looks wrong: %s", out)
	}
	for _, d := range deps {
		if strings.Contains(d, "clarifaiauth/internal/clarifaitest") || strings.Contains(d, "clarifai-go-grpc") {
			t.Errorf("clarifaifake depends on %s", d)
		}
	}
}
