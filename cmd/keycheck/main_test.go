package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Test credentials. None of them, nor any demo key, may ever be printed.
const (
	testPAT     = "test-pat-8d2f61c0a9e34b57"  // may predict
	filePAT     = "test-file-pat-5a0c9e1b7d34" // from -key-file, may predict
	configPAT   = "test-config-pat-c3e81f07b6d2"
	endpointPAT = "test-endpoint-pat-71b4d0e9a6c5" // PostInputs through an endpoint scope
	unknownPAT  = "test-unknown-pat-0e9d8c7b6a51"  // not known to the server
)

var allSecrets = []string{testPAT, filePAT, configPAT, endpointPAT, unknownPAT, demoPAT, demoWithKeyPAT, demoCallKeyPAT}

var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

// postInputsMissing is what a key with predictScopes lacks for PostInputs,
// according to the fake server's descriptors.
var postInputsMissing = []string{"Annotations:Add", "Annotations:Get", "Inputs:Add", "Inputs:Get", "Workflows:Get"}

// isolate gives the test an environment without any Clarifai setting and a
// HOME of its own, so that no real credential or CLI config is read.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, name := range []string{
		"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN",
		cliconfig.EnvAPIBase, cliconfig.EnvUserID, cliconfig.EnvAppID, demoEnvVar,
	} {
		t.Setenv(name, "")
	}
	return home
}

// startServer serves a fake V2 API on loopback TCP.
func startServer(t *testing.T) (*clarifaifake.Server, string) {
	t.Helper()
	srv, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	srv.AddPAT(testPAT, predictScopes, nil)
	srv.AddPAT(filePAT, predictScopes, nil)
	srv.AddPAT(configPAT, predictScopes, nil)
	srv.AddPAT(endpointPAT, []string{"Inputs:Get"}, []string{"/clarifai.api.V2/PostInputs"})
	return srv, serveLoopback(t, srv)
}

// keycheck runs the command and checks that no secret was printed.
func keycheck(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &out, &errb)
	stdout, stderr = out.String(), errb.String()
	for _, s := range allSecrets {
		if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
			t.Errorf("keycheck %q printed a secret", args)
		}
	}
	return code, stdout, stderr
}

func redacted(secret string) string {
	return "(…" + secret[len(secret)-4:] + ")"
}

// lastAuth returns the authorization header of the server's last call.
func lastAuth(t *testing.T, srv *clarifaifake.Server) string {
	t.Helper()
	calls := srv.Calls()
	if len(calls) == 0 {
		t.Fatal("the server saw no call")
	}
	return strings.Join(calls[len(calls)-1].Header("authorization"), ",")
}

func decodeReport(t *testing.T, stdout string) report {
	t.Helper()
	var r report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	return r
}

func TestTable(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	srv, addr := startServer(t)

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-app", "a1")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	for _, want := range append([]string{
		addr + " (plaintext)", redacted(testPAT), "$CLARIFAI_PAT", "u1/a1", "Scopes (4):", "Endpoints (0):",
	}, predictScopes...) {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if got := lastAuth(t, srv); got != "Key "+testPAT {
		t.Errorf("server got a different authorization header")
	}
	calls := srv.Calls()
	if m := calls[len(calls)-1].Method; m != "/clarifai.api.V2/MyScopes" {
		t.Errorf("server saw %s, want MyScopes", m)
	}
	if tag := calls[len(calls)-1].Header("x-clarifai-request-id-prefix"); len(tag) != 1 || !strings.HasPrefix(tag[0], "clarifaiauth-go-") {
		t.Errorf("request tag = %q", tag)
	}
	for line := range strings.SplitSeq(stdout, "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("trailing white space in %q", line)
		}
	}
}

func TestJSON(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	_, addr := startServer(t)

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-app", "a1", "-json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if r.Server != addr || r.TLS || r.UserID != "u1" || r.AppID != "a1" || !r.Allowed || r.Demo {
		t.Errorf("report = %+v", r)
	}
	if !strings.HasSuffix(r.Key, redacted(testPAT)) || r.KeySource != "$CLARIFAI_PAT" {
		t.Errorf("key = %q from %q", r.Key, r.KeySource)
	}
	if !slices.Equal(r.Scopes, predictScopes) {
		t.Errorf("scopes = %v, want %v", r.Scopes, predictScopes)
	}
	if r.Endpoints == nil || len(r.Endpoints) != 0 {
		t.Errorf("endpoints = %#v, want []", r.Endpoints)
	}
	if !strings.Contains(stdout, `"endpoints": []`) {
		t.Errorf("empty endpoints not printed as []:\n%s", stdout)
	}
}

func TestMethodAllowed(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	_, addr := startServer(t)
	protoset := fixtureProtoset(t)

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-protoset", protoset,
		"-method", "PostModelOutputs", "-method", "clarifai.api.V2/MyScopes,/clarifai.api.V2/PostModelOutputs")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "All 2 methods allowed.") {
		t.Errorf("stdout:\n%s", stdout)
	}

	code, stdout, _ = keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-protoset", protoset, "-method", "PostModelOutputs", "-json")
	if code != exitOK {
		t.Fatalf("-json: exit %d, want 0", code)
	}
	r := decodeReport(t, stdout)
	if len(r.Methods) != 1 {
		t.Fatalf("methods = %+v", r.Methods)
	}
	m := r.Methods[0]
	if m.Method != "/clarifai.api.V2/PostModelOutputs" || !m.Allowed || m.AuthType != "KeyAuth" ||
		!slices.Equal(m.Required, predictScopes) || m.MissingScopes != nil || !r.Allowed {
		t.Errorf("method check = %+v", m)
	}
}

func TestMethodMissing(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	_, addr := startServer(t)
	protoset := fixtureProtoset(t)

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-protoset", protoset, "-method", "PostInputs,PostModelOutputs")
	if code != exitMissing {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, want := range append([]string{"1 of 2 methods not allowed.", "endpoint /clarifai.api.V2/PostInputs"}, postInputsMissing...) {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-protoset", protoset, "-method", "PostInputs,PostModelOutputs", "-json")
	if code != exitMissing {
		t.Fatalf("-json: exit %d, want 1", code)
	}
	r := decodeReport(t, stdout)
	if r.Allowed || len(r.Methods) != 2 {
		t.Fatalf("report = %+v", r)
	}
	m := r.Methods[0]
	if m.Method != "/clarifai.api.V2/PostInputs" || m.Allowed ||
		!slices.Equal(m.MissingScopes, postInputsMissing) ||
		!slices.Equal(m.MissingEndpoints, []string{"/clarifai.api.V2/PostInputs"}) {
		t.Errorf("PostInputs check = %+v", m)
	}
	if !r.Methods[1].Allowed {
		t.Errorf("PostModelOutputs check = %+v", r.Methods[1])
	}
}

func TestEndpointScopeAllows(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", endpointPAT)
	_, addr := startServer(t)

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-protoset", fixtureProtoset(t), "-method", "PostInputs")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "/clarifai.api.V2/PostInputs") {
		t.Errorf("stdout lacks the endpoint:\n%s", stdout)
	}
}

func TestKeyRejected(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", unknownPAT)
	_, addr := startServer(t)

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1")
	if code != exitMissing {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "CONN_KEY_NOT_FOUND") || !strings.Contains(stderr, redacted(unknownPAT)) {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestKeyFile(t *testing.T) {
	isolate(t)
	srv, addr := startServer(t)
	path := filepath.Join(t.TempDir(), "pat")
	if err := os.WriteFile(path, []byte(filePAT+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-key-file", path)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if got := lastAuth(t, srv); got != "Key "+filePAT {
		t.Errorf("server did not get the file's key")
	}
	if !strings.Contains(stdout, path) || !strings.Contains(stdout, redacted(filePAT)) {
		t.Errorf("stdout does not name the file and redacted key:\n%s", stdout)
	}

	// -key-file wins over the environment.
	t.Setenv("CLARIFAI_PAT", testPAT)
	if code, _, _ := keycheck(t, "-addr", addr, "-insecure", "-key-file", path); code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	if got := lastAuth(t, srv); got != "Key "+filePAT {
		t.Errorf("server did not get the file's key over $CLARIFAI_PAT")
	}
}

func TestAPIBaseAndAppFromEnvironment(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	_, addr := startServer(t)
	t.Setenv(cliconfig.EnvAPIBase, "http://"+addr)
	t.Setenv(cliconfig.EnvUserID, "env-user")
	t.Setenv(cliconfig.EnvAppID, "env-app")

	// An http:// API base on this machine needs no -insecure: the key does
	// not leave it. Another machine's does, and the error names the
	// setting.
	if code, _, stderr := keycheck(t); code != exitOK {
		t.Errorf("http API base on loopback: exit %d, stderr:\n%s", code, stderr)
	}
	t.Setenv(cliconfig.EnvAPIBase, "http://10.255.255.1:1")
	if code, _, stderr := keycheck(t); code != exitError || !strings.Contains(stderr, "-insecure") || !strings.Contains(stderr, "$CLARIFAI_API_BASE") {
		t.Errorf("http API base off this machine without -insecure: exit %d, stderr:\n%s", code, stderr)
	}
	t.Setenv(cliconfig.EnvAPIBase, "http://"+addr)
	code, stdout, stderr := keycheck(t, "-insecure", "-json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if r.Server != addr || r.UserID != "env-user" || r.AppID != "env-app" {
		t.Errorf("report = %+v", r)
	}
	// Flags win over the environment.
	code, stdout, _ = keycheck(t, "-insecure", "-json", "-user", "flag-user")
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	if r := decodeReport(t, stdout); r.UserID != "flag-user" || r.AppID != "env-app" {
		t.Errorf("report = %+v", r)
	}
}

func TestCLIConfig(t *testing.T) {
	home := isolate(t)
	srv, addr := startServer(t)
	dir := filepath.Join(home, ".config", "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	config := `current_context: test
contexts:
  test:
    CLARIFAI_API_BASE: http://` + addr + `
    CLARIFAI_PAT: ` + configPAT + `
    CLARIFAI_USER_ID: cfg-user
    CLARIFAI_APP_ID: cfg-app
`
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := keycheck(t, "-insecure")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if got := lastAuth(t, srv); got != "Key "+configPAT {
		t.Errorf("server did not get the config's key")
	}
	for _, want := range []string{"clarifai config", "cfg-user/cfg-app", addr, redacted(configPAT)} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestUsageAndSetupErrors(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	_, addr := startServer(t)
	protoset := fixtureProtoset(t)
	garbage := filepath.Join(t.TempDir(), "garbage.binpb")
	if err := os.WriteFile(garbage, []byte("this is not a descriptor set\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreadable := t.TempDir() // a directory: os.ReadFile fails

	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"unknown flag", "-bogus", []string{"-bogus"}},
		{"argument", "unexpected argument", []string{"PostInputs"}},
		{"unknown method, embedded descriptors", "NoSuchMethod", []string{"-addr", addr, "-insecure", "-method", "NoSuchMethod"}},
		{"zero timeout", "-timeout", []string{"-timeout", "0s"}},
		{"demo with real flags", "-demo cannot be combined", []string{"-demo", "-user", "u1"}},
		{"missing protoset", "no such file", []string{"-addr", addr, "-insecure", "-protoset", filepath.Join(t.TempDir(), "nope"), "-method", "PostInputs"}},
		{"unreadable protoset", "-protoset", []string{"-addr", addr, "-insecure", "-protoset", unreadable, "-method", "PostInputs"}},
		{"garbage protoset", "-protoset", []string{"-addr", addr, "-insecure", "-protoset", garbage, "-method", "PostInputs"}},
		{"unknown method", "NoSuchMethod", []string{"-addr", addr, "-insecure", "-protoset", protoset, "-method", "PostInputs,NoSuchMethod"}},
		{"bad addr", "-addr", []string{"-addr", "ftp://example.com", "-insecure"}},
		{"http addr off this machine without -insecure", "-insecure", []string{"-addr", "http://10.255.255.1:1"}},
		{"missing key file", "-key-file", []string{"-addr", addr, "-insecure", "-key-file", filepath.Join(t.TempDir(), "nope")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := keycheck(t, tc.args...)
			if code != exitError {
				t.Errorf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stdout, "DEMO") {
				t.Errorf("ran the demo:\n%s", stdout)
			}
		})
	}
}

func TestUnreachableServer(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()

	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-timeout", "10s")
	if code != exitError {
		t.Fatalf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, addr) || !strings.Contains(stderr, "Unavailable") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestNoCredentialWithRealFlagsFails(t *testing.T) {
	isolate(t)
	_, addr := startServer(t)
	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure")
	if code != exitError {
		t.Fatalf("exit %d, want 2; stdout:\n%s", code, stdout)
	}
	if !strings.Contains(stderr, "no Clarifai credential") || strings.Contains(stdout, "DEMO") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

// demoSteps are strings each step of the demo prints.
var demoSteps = []string{
	"EMBEDDED FAKE Clarifai V2 server",
	"[1/6] Key from the environment",
	`keysource.Env("KEYCHECK_DEMO_PAT").Key(ctx) = pat` + redacted(demoPAT),
	"clarifaiauth.DialOptions(src",
	"authorization: Key pat" + redacted(demoPAT) + " — the environment key",
	"[2/6] Per-request overrides",
	"authorization: Key pat" + redacted(demoWithKeyPAT) + " — the keysource.WithKey override",
	"authorization: Key pat" + redacted(demoCallKeyPAT) + " — the interceptor.CallKey override",
	"[3/6] A call the environment key may make: PostModelOutputs",
	"status        SUCCESS (10000)",
	"model general-image-recognition",
	"[4/6] A call it may not make: PostInputs",
	"code           CONN_INSUFFICIENT_SCOPES (11007)",
	"gRPC code      PermissionDenied",
	"errors.Is(err, scopes.ErrInsufficientScopes) = true",
	"Missing        [Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]",
	"[5/6] Preflight",
	"PostInputs → Local=true, gRPC code PermissionDenied",
	"the server saw: /clarifai.api.V2/MyScopes\n",
	"[6/6] What keycheck prints",
	"Clarifai key check (DEMO",
	"Scopes (4):",
	"1 of 2 methods not allowed.",
	"=== end of DEMO ===",
}

func TestDemo(t *testing.T) {
	isolate(t)
	code, stdout, stderr := keycheck(t)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "no Clarifai credential was found") {
		t.Errorf("demo does not say why it runs:\n%s", stdout)
	}
	for _, want := range demoSteps {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if stderr != "" {
		t.Errorf("stderr:\n%s", stderr)
	}
	if v := os.Getenv(demoEnvVar); v != "" {
		t.Errorf("the demo left $%s set", demoEnvVar)
	}
	if t.Failed() {
		t.Logf("stdout:\n%s", stdout)
	}
}

func TestDemoForced(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	code, stdout, stderr := keycheck(t, "-demo", "-timeout", "30s")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "-demo was given") || !strings.Contains(stdout, "[6/6]") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if strings.Contains(stdout, redacted(testPAT)) {
		t.Errorf("the demo used the real credential:\n%s", stdout)
	}
}

func TestHelp(t *testing.T) {
	isolate(t)
	code, stdout, stderr := keycheck(t, "-h")
	if code != exitOK || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	for _, want := range []string{"Usage: keycheck", "-method", "-protoset", "Exit status"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

// TestRegistersNoClarifaiNames guards the rule that lets programs link the
// official Clarifai client beside this library: nothing linked into keycheck
// registers a protobuf file or type under a clarifai.* name.
func TestRegistersNoClarifaiNames(t *testing.T) {
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "clarifai") {
			t.Errorf("%s (package %s) is registered globally", fd.Path(), fd.Package())
		}
		return true
	})
	protoregistry.GlobalTypes.RangeExtensions(func(xt protoreflect.ExtensionType) bool {
		if strings.HasPrefix(string(xt.TypeDescriptor().FullName()), "clarifai") {
			t.Errorf("extension %s is registered globally", xt.TypeDescriptor().FullName())
		}
		return true
	})
}

// TestMethodEmbedded: -method checks a key against a server with the
// embedded descriptors, no -protoset: PostWorkflowResults, which the fake's
// own fixture lacks, needs Workflows:Get besides the key's scopes.
func TestMethodEmbedded(t *testing.T) {
	isolate(t)
	t.Setenv("CLARIFAI_PAT", testPAT)
	_, addr := startServer(t)
	code, stdout, stderr := keycheck(t, "-addr", addr, "-insecure", "-user", "u1", "-method", "PostModelOutputs,PostWorkflowResults", "-json")
	if code != exitMissing {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := decodeReport(t, stdout)
	if len(r.Methods) != 2 || !r.Methods[0].Allowed || r.Allowed {
		t.Fatalf("methods = %+v", r.Methods)
	}
	if m := r.Methods[1]; m.Method != "/clarifai.api.V2/PostWorkflowResults" || m.Allowed || !slices.Equal(m.MissingScopes, []string{"Workflows:Get"}) {
		t.Errorf("PostWorkflowResults = %+v", m)
	}
}
