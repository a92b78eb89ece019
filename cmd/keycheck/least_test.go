package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// wantLeast computes what -least should print for methods, independently
// of clarifaifake: from the scopes package's reading of the same
// descriptor set.
func wantLeast(t *testing.T, methods ...string) (scopeList, endpoints []string, n int) {
	t.Helper()
	files, err := fakeapi.ParseDescriptorSet(fakeapi.FixtureProtoset())
	if err != nil {
		t.Fatal(err)
	}
	catalog := scopes.NewCatalog(files)
	seen := make(map[string]bool)
	for _, m := range methods {
		req, ok := catalog.Required(m)
		if !ok {
			t.Fatalf("%s not in the fixture", m)
		}
		if seen[req.Method] {
			continue
		}
		seen[req.Method] = true
		for _, s := range req.Scopes {
			if !slices.Contains(scopeList, s) {
				scopeList = append(scopeList, s)
			}
		}
		if len(req.Scopes) > 0 {
			endpoints = append(endpoints, req.Method)
		}
	}
	slices.Sort(scopeList)
	slices.Sort(endpoints)
	return scopeList, endpoints, len(seen)
}

// TestLeast: -least prints the union of the methods' scopes, the methods as
// endpoints, and the credential they need, in JSON and as a table, without
// a key or a server.
func TestLeast(t *testing.T) {
	clean(t)
	// A key and an API base that -least must not use: the base is a port
	// nothing listens on.
	t.Setenv("CLARIFAI_PAT", fakePAT)
	t.Setenv("CLARIFAI_API_BASE", "http://127.0.0.1:1")
	protoset := fixtureProtoset(t)

	for _, tc := range []struct {
		methods    []string
		credential string
		exit       int
	}{
		{[]string{"PostInputs", "PostModelOutputs"}, "API key or PAT", exitOK},
		{[]string{"/clarifai.api.V2/PostKeys", "clarifai.api.V2/PostInputs"}, "PAT", exitOK},
		{[]string{"ListScopes", "PostModelOutputs"}, "session token", exitOK},
		{[]string{"PostModelOutputs", "PostModelOutputs"}, "API key or PAT", exitOK},
	} {
		t.Run(strings.Join(tc.methods, ","), func(t *testing.T) {
			wantScopes, wantEndpoints, n := wantLeast(t, tc.methods...)
			args := []string{"-least", "-protoset", protoset, "-method", strings.Join(tc.methods, ",")}

			code, stdout, stderr := kc(t, nil, append(args, "-json")...)
			if code != tc.exit || stderr != "" {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.exit, stderr)
			}
			var r leastReport
			decodeStrict(t, stdout, &r)
			if !slices.Equal(r.Scopes, wantScopes) || !slices.Equal(r.Endpoints, wantEndpoints) {
				t.Errorf("scopes %v, endpoints %v; want %v, %v", r.Scopes, r.Endpoints, wantScopes, wantEndpoints)
			}
			if r.Credential != tc.credential || r.Descriptors != protoset || len(r.Methods) != n {
				t.Errorf("report = %+v", r)
			}

			code, stdout, _ = kc(t, nil, args...)
			if code != tc.exit {
				t.Fatalf("table: exit %d", code)
			}
			for _, want := range append(append([]string{"Credential: " + tc.credential}, wantScopes...), wantEndpoints...) {
				if !strings.Contains(stdout, "\n  "+want+"\n") && !strings.Contains(stdout, want+"\n") {
					t.Errorf("table lacks %q:\n%s", want, stdout)
				}
			}
			// Each scope is listed on its own line under "Scopes (N):".
			block := stdout[strings.Index(stdout, "Scopes ("):strings.Index(stdout, "Or endpoints (")]
			var listed []string
			for line := range strings.Lines(block) {
				if strings.HasPrefix(line, "  ") {
					listed = append(listed, strings.TrimSpace(line))
				}
			}
			if !slices.Equal(listed, wantScopes) {
				t.Errorf("table scopes %v, want %v", listed, wantScopes)
			}
		})
	}
}

func TestLeastErrors(t *testing.T) {
	clean(t)
	protoset := fixtureProtoset(t)
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"unknown method, embedded descriptors", "NoSuchMethod", []string{"-least", "-method", "PostInputs,NoSuchMethod"}},
		{"no method", "-least needs -method", []string{"-least", "-protoset", protoset}},
		{"unknown method", "NoSuchMethod", []string{"-least", "-protoset", protoset, "-method", "PostInputs,NoSuchMethod"}},
		{"with a key file", "drop -key-file", []string{"-least", "-protoset", protoset, "-method", "PostInputs", "-key-file", "k"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := kc(t, nil, tc.args...)
			if code != exitError || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
		})
	}
}

// TestLeastEmbedded: without -protoset, -least reads the embedded
// descriptors of Clarifai's whole API, which know methods the fixture lacks;
// -protoset overrides them.
func TestLeastEmbedded(t *testing.T) {
	clean(t)
	code, stdout, stderr := kc(t, nil, "-least", "-json", "-method", "PostWorkflowResults,DeleteNodepools")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var r leastReport
	decodeStrict(t, stdout, &r)
	// From clarifai-v2-methods.tsv, Clarifai's 12.4.0 method table.
	want := []leastMethod{
		{Method: "/clarifai.api.V2/DeleteNodepools", AuthType: "PATAuth", Scopes: []string{"ComputeClusters:Get", "Deployments:Add", "Deployments:Delete", "Deployments:Get", "Models:Get", "Nodepools:Add", "Nodepools:Delete", "Nodepools:Get", "Runners:Add", "Runners:Delete", "Runners:Get", "Workflows:Get"}},
		{Method: "/clarifai.api.V2/PostWorkflowResults", AuthType: "KeyAuth", Scopes: []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict", "Workflows:Get"}},
	}
	if r.Descriptors != "Clarifai's API 12.4.0, embedded" || r.Credential != "PAT" ||
		!slices.EqualFunc(r.Methods, want, func(a, b leastMethod) bool {
			return a.Method == b.Method && a.AuthType == b.AuthType && slices.Equal(a.Scopes, b.Scopes)
		}) {
		t.Errorf("report = %+v", r)
	}

	// The fixture lacks PostWorkflowResults: -protoset is read instead.
	code, _, stderr = kc(t, nil, "-least", "-protoset", fixtureProtoset(t), "-method", "PostWorkflowResults")
	if code != exitError || !strings.Contains(stderr, "PostWorkflowResults not found") {
		t.Errorf("-protoset fixture: exit %d; stderr:\n%s", code, stderr)
	}
}
