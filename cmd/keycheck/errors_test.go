package main

import (
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// TestJSONErrors runs every failure path with -json: the error is one JSON
// object on stdout, with the exit status keycheck returns, and nothing
// goes to stderr.
func TestJSONErrors(t *testing.T) {
	clean(t)
	_, addr := startFake(t)
	protoset := fixtureProtoset(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := lis.Addr().String()
	lis.Close()

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		exit int
		want string
	}{
		{"bad flag before -json", nil, []string{"-bogus", "-json"}, exitError, "-bogus"},
		{"bad flag after -json", nil, []string{"-json", "-bogus"}, exitError, "-bogus"},
		{"bad flag value", nil, []string{"-json", "-timeout", "soon"}, exitError, "-timeout"},
		{"argument", nil, []string{"-json", "PostInputs"}, exitError, "unexpected argument"},
		{"zero timeout", nil, []string{"-json", "-timeout", "0s"}, exitError, "-timeout"},
		{"demo with real flags", nil, []string{"-json", "-demo"}, exitError, "-demo cannot be combined"},
		{"unknown method, embedded descriptors", nil, []string{"-json", "-method", "NoSuchMethod"}, exitError, "NoSuchMethod"},
		{"missing protoset", nil, []string{"-json", "-protoset", filepath.Join(t.TempDir(), "nope"), "-method", "PostInputs"}, exitError, "no such file"},
		{"unknown method", nil, []string{"-json", "-protoset", protoset, "-method", "NoSuchMethod"}, exitError, "NoSuchMethod"},
		{"least without method", nil, []string{"-json", "-least", "-protoset", protoset}, exitError, "-least needs -method"},
		{"least with addr", nil, []string{"-json", "-least", "-addr", addr, "-method", "PostInputs", "-protoset", protoset}, exitError, "drop -addr"},
		{"no key", nil, []string{"-json", "-addr", addr, "-insecure"}, exitError, "no Clarifai credential found"},
		{"PAT without user", map[string]string{"CLARIFAI_PAT": fakePAT}, []string{"-json", "-addr", addr, "-insecure"}, exitError, "a PAT acts for a user"},
		{"bad addr", map[string]string{"CLARIFAI_PAT": fakePAT}, []string{"-json", "-addr", "ftp://example.com", "-user", "u"}, exitError, "-addr"},
		{"http base off this machine without -insecure", map[string]string{"CLARIFAI_PAT": fakePAT}, []string{"-json", "-addr", "http://10.255.255.1:1", "-user", "u"}, exitError, "pass -insecure"},
		{"key rejected", map[string]string{"CLARIFAI_PAT": "kc-unknown-pat-77aa01"}, []string{"-json", "-addr", addr, "-insecure", "-user", "u"}, exitMissing, "CONN_KEY_NOT_FOUND"},
		{"unreachable", map[string]string{"CLARIFAI_PAT": fakePAT}, []string{"-json", "-addr", closed, "-insecure", "-user", "u"}, exitError, "Unavailable"},
		{"missing key file", nil, []string{"-json", "-addr", addr, "-insecure", "-key-file", filepath.Join(t.TempDir(), "nope")}, exitError, "-key-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := kc(t, []string{"kc-unknown-pat-77aa01"}, tc.args...)
			if code != tc.exit {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.exit, stdout, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr is not empty:\n%s", stderr)
			}
			var got jsonFailure
			decodeStrict(t, stdout, &got)
			if got.Exit != code || !strings.Contains(got.Error, tc.want) {
				t.Errorf("got %+v, want exit %d and an error with %q", got, code, tc.want)
			}
			if strings.HasPrefix(got.Error, "keycheck:") || strings.Contains(got.Error, "keysource:") {
				t.Errorf("error repeats a prefix: %q", got.Error)
			}
		})
	}
}

// TestUsageOnce: -h and a bad flag print the usage exactly once, and a bad
// flag its error once.
func TestUsageOnce(t *testing.T) {
	clean(t)
	code, stdout, stderr := kc(t, nil, "-h")
	if code != exitOK || stdout != "" {
		t.Errorf("-h: exit %d, stdout %q", code, stdout)
	}
	if n := strings.Count(stderr, "Usage: keycheck"); n != 1 {
		t.Errorf("-h printed the usage %d times:\n%s", n, stderr)
	}
	for _, want := range []string{"-demo", "Demo:", "-least", "-json", `{"error"`, "Exit status", "-user"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("-h lacks %q", want)
		}
	}

	code, stdout, stderr = kc(t, nil, "-bogus")
	if code != exitError || stdout != "" {
		t.Errorf("-bogus: exit %d, stdout %q", code, stdout)
	}
	if want := "keycheck: flag provided but not defined: -bogus\nkeycheck: see keycheck -h\n"; stderr != want {
		t.Errorf("-bogus: stderr:\n%s\nwant one line and a pointer to -h:\n%s", stderr, want)
	}

	// A duration without its unit: say which unit to add.
	code, _, stderr = kc(t, nil, "-timeout", "5")
	if code != exitError || !strings.Contains(stderr, "5s") || strings.Count(stderr, "\n") != 2 {
		t.Errorf("-timeout 5: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestDottedMethodNames: -method takes clarifai.api.V2.PostInputs as
// clarifaifake and the protoset spell it.
func TestDottedMethodNames(t *testing.T) {
	for in, want := range map[string]string{
		"clarifai.api.V2.ListModels":  "/clarifai.api.V2/ListModels",
		"/clarifai.api.V2/ListModels": "/clarifai.api.V2/ListModels",
		"ListModels":                  "ListModels",
	} {
		var m methodList
		m.Set(in)
		if len(m) != 1 || m[0] != want {
			t.Errorf("-method %s = %v, want %s", in, m, want)
		}
	}
	clean(t)
	protoset := fixtureProtoset(t)
	code, stdout, stderr := kc(t, nil, "-least", "-protoset", protoset, "-method", "clarifai.api.V2.PostInputs")
	if code != exitOK || !strings.Contains(stdout, "PostInputs") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestScrubOnce: a secret that is part of its own redacted label (a short
// session token) is not scrubbed again inside the label, however many
// times the text is made safe.
func TestScrubOnce(t *testing.T) {
	key, err := keysource.NewKey(keysource.KindSessionToken, "session")
	if err != nil {
		t.Fatal(err)
	}
	z := newSanitizer(key)
	got := z.lines(z.text(z.text("token session expired")))
	if want := "token " + key.String() + " expired"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNoKeyError prints keysource.Default's error as it is: a line per
// place it looked, one "keycheck:" and no "keysource:".
func TestNoKeyError(t *testing.T) {
	clean(t)
	_, addr := startFake(t)
	code, stdout, stderr := kc(t, nil, "-addr", addr, "-insecure")
	if code != exitError || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	if strings.Count(stderr, "keycheck:") != 1 || strings.Contains(stderr, "keysource:") {
		t.Errorf("prefix soup:\n%s", stderr)
	}
	if !strings.HasPrefix(stderr, "keycheck: no Clarifai credential found") ||
		!strings.Contains(stderr, "\n  - environment variables") || !strings.Contains(stderr, "keycheck -demo") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestPATNeedsUser: a PAT from the environment or from the CLI login,
// without a user anywhere, is a usage error that says why; a user from
// CLARIFAI_USER_ID or the CLI context is enough.
func TestPATNeedsUser(t *testing.T) {
	home := clean(t)
	srv, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)

	code, stdout, stderr := kc(t, nil, "-addr", addr, "-insecure")
	if code != exitError || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, want := range []string{"acts for a user", "-user", "CLARIFAI_USER_ID", "$CLARIFAI_PAT"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("the server saw %d calls, want none", n)
	}

	t.Setenv(cliconfig.EnvUserID, "env-user")
	if code, _, stderr := kc(t, nil, "-addr", addr, "-insecure"); code != exitOK {
		t.Errorf("with $CLARIFAI_USER_ID: exit %d, stderr:\n%s", code, stderr)
	}

	// The CLI's login: a PAT, and a user only in a second run.
	t.Setenv("CLARIFAI_PAT", "")
	t.Setenv(cliconfig.EnvUserID, "")
	dir := filepath.Join(home, ".config", "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeConfig := func(user string) {
		config := "current_context: test\ncontexts:\n  test:\n    CLARIFAI_API_BASE: http://" + addr + "\n    CLARIFAI_PAT: " + fakePAT + "\n" + user
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("")
	if code, _, stderr := kc(t, nil, "-insecure"); code != exitError || !strings.Contains(stderr, "acts for a user") {
		t.Errorf("CLI login without a user: exit %d, stderr:\n%s", code, stderr)
	}
	writeConfig("    CLARIFAI_USER_ID: cfg-user\n")
	if code, stdout, stderr := kc(t, nil, "-insecure"); code != exitOK || !strings.Contains(stdout, "cfg-user/") {
		t.Errorf("CLI login with a user: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestBrokenCLIConfig: a CLI config that exists but cannot be read is an
// error, as it is for clarifaiauth.NewClient, not silently skipped: it may
// name the server or the user to check.
func TestBrokenCLIConfig(t *testing.T) {
	home := clean(t)
	_, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	if err := os.MkdirAll(filepath.Join(home, ".config", "clarifai", "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := kc(t, nil, "-addr", addr, "-insecure", "-user", "u")
	if code != exitError || stdout != "" || !strings.Contains(stderr, "the Clarifai CLI's config") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}

// TestConnectingAndOwner: keycheck says where it connects before it waits,
// and says when the PAT belongs to another user than the one given.
func TestConnectingAndOwner(t *testing.T) {
	clean(t)
	srv, addr := startFake(t)
	srv.SetUser(fakePAT, "alice")
	t.Setenv("CLARIFAI_PAT", fakePAT)
	code, stdout, stderr := kc(t, nil, "-addr", addr, "-insecure", "-user", "bob")
	if !strings.HasPrefix(stderr, "keycheck: connecting to http://"+addr+" (-addr), user \"bob\" (-user)") {
		t.Errorf("stderr does not start with where it connects:\n%s", stderr)
	}
	if !strings.Contains(stderr, `the PAT is alice's, not bob's`) || !strings.Contains(stdout, "owner") {
		t.Errorf("exit %d; the other owner is not named:\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	_, _, stderr = kc(t, nil, "-addr", addr, "-insecure", "-user", "alice")
	if strings.Contains(stderr, "warning") {
		t.Errorf("the PAT's own user: stderr:\n%s", stderr)
	}
}

// TestUnreachableNamesTheFlag: a server that cannot work is named with the
// flag it came from, and its code kept.
func TestUnreachableNamesTheFlag(t *testing.T) {
	clean(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := lis.Addr().String()
	lis.Close()
	t.Setenv("CLARIFAI_PAT", fakePAT)
	code, _, stderr := kc(t, nil, "-addr", closed, "-insecure", "-user", "u")
	if code != exitError || !strings.Contains(stderr, "MyScopes failed: Unavailable") || !strings.Contains(stderr, "(from -addr)") || strings.Contains(stderr, "WithAPIBase") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
