package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthTypes: a method whose auth type the key's kind can never satisfy
// is not allowed, with the reason, although the key holds every scope;
// a key of unknown kind is never refused a PATAuth method.
func TestAuthTypes(t *testing.T) {
	clean(t)
	_, addr := startFake(t)
	protoset := fixtureProtoset(t)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(fakeKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		postKeys   = "/clarifai.api.V2/PostKeys"   // PATAuth
		listScopes = "/clarifai.api.V2/ListScopes" // SessionTokenAuth
		postInputs = "/clarifai.api.V2/PostInputs" // KeyAuth
	)
	needsPAT, needsToken := "needs a PAT", "needs a session token"
	for _, tc := range []struct {
		name, env, secret string
		args              []string
		reasons           map[string]string // method → reason; "" allowed
	}{
		{"API key", "CLARIFAI_API_KEY", fakeAPIKey, nil,
			map[string]string{postKeys: needsPAT, listScopes: needsToken, postInputs: ""}},
		{"PAT", "CLARIFAI_PAT", fakePAT, []string{"-user", "u"},
			map[string]string{postKeys: "", listScopes: needsToken, postInputs: ""}},
		{"key of unknown kind", "", "", []string{"-key-file", keyFile},
			map[string]string{postKeys: "", listScopes: needsToken, postInputs: ""}},
		{"session token", "CLARIFAI_SESSION_TOKEN", fakeToken, []string{"-user", "u"},
			map[string]string{postKeys: "", listScopes: "", postInputs: ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(tc.env, tc.secret)
			}
			wantExit := exitOK
			for _, r := range tc.reasons {
				if r != "" {
					wantExit = exitMissing
				}
			}
			args := append([]string{"-addr", addr, "-insecure", "-protoset", protoset,
				"-method", "PostKeys,ListScopes,PostInputs"}, tc.args...)
			code, stdout, stderr := kc(t, nil, append(args, "-json")...)
			if code != wantExit {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, wantExit, stdout, stderr)
			}
			var r report
			decodeStrict(t, stdout, &r)
			if len(r.Methods) != len(tc.reasons) {
				t.Fatalf("methods = %+v", r.Methods)
			}
			for _, m := range r.Methods {
				want, ok := tc.reasons[m.Method]
				if !ok {
					t.Errorf("unexpected method %s", m.Method)
					continue
				}
				if m.Allowed != (want == "") || !strings.HasPrefix(m.Reason, want) || (want == "") != (m.Reason == "") {
					t.Errorf("%s: allowed %t, reason %q; want reason %q", m.Method, m.Allowed, m.Reason, want)
				}
				if len(m.MissingScopes) != 0 {
					t.Errorf("%s: missing scopes %v with scope All", m.Method, m.MissingScopes)
				}
			}
			if r.Allowed != (wantExit == exitOK) {
				t.Errorf("allowed = %t", r.Allowed)
			}

			// The table says the same.
			code, stdout, _ = kc(t, nil, args...)
			if code != wantExit {
				t.Errorf("table: exit %d, want %d", code, wantExit)
			}
			for m, want := range tc.reasons {
				line := lineWith(stdout, m+" ")
				fields := strings.Fields(line)
				if len(fields) < 3 || want == "" && fields[2] != "yes" || want != "" && (fields[2] != "NO" || !strings.Contains(line, want)) {
					t.Errorf("table line for %s = %q, want reason %q\n%s", m, line, want, stdout)
				}
			}
		})
	}
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return strings.TrimRight(line, "\n")
		}
	}
	return ""
}
