package cliconfig

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
)

// Secrets used by these tests; none may appear in any error.
const (
	pat     = "cfgpat0000000000000000000000aaaa"
	pat2    = "cfgpat1111111111111111111111bbbb"
	token   = "cfgtok2222222222222222222222cccc"
	staging = "stgpat5555555555555555555555ffff"
)

var secrets = []string{pat, pat2, token, staging}

// noSecret checks s with the shared checker, counting any 7 characters of a
// secret: yaml quotes up to 7 of a value.
func noSecret(t *testing.T, what, s string) {
	t.Helper()
	testutil.NoSecretRun(t, what, s, 7, secrets...)
}

func TestParseLayouts(t *testing.T) {
	tests := []struct {
		name, file, ask string
		want            Context
	}{
		{
			name: "keys directly under the context (current CLI)",
			file: "current_context: default\ncontexts:\n  default:\n    CLARIFAI_API_BASE: https://api.clarifai.com\n    CLARIFAI_PAT: " + pat + "\n    CLARIFAI_USER_ID: alice\n",
			want: Context{Name: "default", Settings: Settings{UserID: "alice", APIBase: "https://api.clarifai.com"}, Credentials: Credentials{PAT: pat}},
		},
		{
			name: "keys under env (older CLI)",
			file: "current_context: default\ncontexts:\n  default:\n    env:\n      CLARIFAI_PAT: " + pat + "\n      CLARIFAI_USER_ID: alice\n      CLARIFAI_APP_ID: app\n      CLARIFAI_UI: https://ui\n",
			want: Context{Name: "default", Settings: Settings{UserID: "alice", AppID: "app", UI: "https://ui"}, Credentials: Credentials{PAT: pat}},
		},
		{
			name: "env mapping wins over keys beside it, as in the Python SDK",
			file: "current_context: default\ncontexts:\n  default:\n    CLARIFAI_PAT: " + pat2 + "\n    env:\n      CLARIFAI_PAT: " + pat + "\n",
			want: Context{Name: "default", Credentials: Credentials{PAT: pat}},
		},
		{
			name: "current context among several",
			file: "contexts:\n  default:\n    CLARIFAI_PAT: " + pat + "\n  staging:\n    CLARIFAI_PAT: " + staging + "\ncurrent_context: staging\n",
			want: Context{Name: "staging", Credentials: Credentials{PAT: staging}},
		},
		{
			name: "context asked for overrides current_context",
			file: "current_context: default\ncontexts:\n  default:\n    CLARIFAI_PAT: " + pat + "\n  staging:\n    env:\n      CLARIFAI_PAT: " + staging + "\n",
			ask:  "staging",
			want: Context{Name: "staging", Credentials: Credentials{PAT: staging}},
		},
		{
			name: "session token and ENVVAR kept as written",
			file: "current_context: web\ncontexts:\n  web:\n    CLARIFAI_SESSION_TOKEN: " + token + "\n    CLARIFAI_PAT: ENVVAR\n    CLARIFAI_APP_ID: ENVVAR\n",
			want: Context{Name: "web", Settings: Settings{AppID: EnvVar}, Credentials: Credentials{PAT: EnvVar, SessionToken: token}},
		},
		{
			name: "short lower-case names, as the Python SDK accepts",
			file: "current_context: default\ncontexts:\n  default:\n    pat: " + pat + "\n    user_id: alice\n    session_token: " + token + "\n",
			want: Context{Name: "default", Settings: Settings{UserID: "alice"}, Credentials: Credentials{PAT: pat, SessionToken: token}},
		},
		{
			name: "names match in ASCII only (Kelvin sign, long s)",
			file: "current_context: default\ncontexts:\n  default:\n    CLARIFAI_SESSION_TO\u212AEN: " + token + "\n    session_to\u212Aen: " + token + "\n    CLARIFAI_U\u017FER_ID: x\n    u\u017Fer_id: x\n    PAT: " + pat + "\n",
			want: Context{Name: "default"},
		},
		{
			name: "quoted values, comments, an anchor and a nested mapping",
			file: "# by hand\ncurrent_context: \"default\"\nbase: &base https://api.clarifai.com\ncontexts:\n  default:\n    CLARIFAI_API_BASE: *base\n    CLARIFAI_PAT: '" + pat + "'  # the PAT\n    extra:\n      nested: ignored\n    CLARIFAI_USER_ID: null\n",
			want: Context{Name: "default", Settings: Settings{APIBase: "https://api.clarifai.com"}, Credentials: Credentials{PAT: pat}},
		},
		{
			name: "an integer setting, as written",
			file: "current_context: 7\ncontexts:\n  7:\n    CLARIFAI_APP_ID: 42\n",
			want: Context{Name: "7", Settings: Settings{AppID: "42"}},
		},
		{
			name: "empty context",
			file: "current_context: a\ncontexts:\n  a:\n",
			want: Context{Name: "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.file), tt.ask)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Parse = %+v %q, want %+v %q", got, got.Credentials.PAT, tt.want, tt.want.Credentials.PAT)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, file, ask string
		is              error
		mention         []string
	}{
		{name: "empty file", file: "# nothing yet\n", is: ErrEmpty},
		{name: "null document", file: "~\n", is: ErrEmpty},
		{name: "no current_context", file: "contexts:\n  default:\n    CLARIFAI_PAT: " + pat + "\n", is: ErrNoContext, mention: []string{"no current_context"}},
		{name: "current context missing", file: "current_context: prod\ncontexts:\n  default:\n    CLARIFAI_PAT: " + pat + "\n  staging:\n    CLARIFAI_PAT: " + staging + "\n", is: ErrNoContext, mention: []string{`it has no context "prod" (its current_context)`, "default, staging"}},
		{name: "context asked for missing", file: "current_context: default\ncontexts:\n  default: {}\n", ask: "prod", is: ErrNoContext, mention: []string{`no context "prod" (asked for)`}},
		{name: "no contexts at all", file: "current_context: default\n", is: ErrNoContext, mention: []string{"no contexts"}},
		{name: "a PAT as current_context", file: "current_context: " + pat + "\ncontexts:\n  default: {}\n", is: ErrNoContext, mention: []string{"not shown", "default"}},
		{name: "a PAT as a context name", file: "current_context: prod\ncontexts:\n  " + pat + ":\n    CLARIFAI_PAT: " + pat2 + "\n  default: {}\n", is: ErrNoContext, mention: []string{"default and 1 more not shown"}},
		{name: "a huge current_context", file: "current_context: " + strings.Repeat("x", 1<<20) + "\n", is: ErrNoContext, mention: []string{"not shown"}},
		{name: "malformed YAML", file: "current_context: default\ncontexts:\n  default:\n    CLARIFAI_PAT: " + pat + "\n   CLARIFAI_USER_ID: [unclosed\n", mention: []string{"malformed YAML", "line"}},
		{name: "unknown alias", file: "current_context: *" + pat + "\n", mention: []string{"malformed YAML"}},
		{name: "duplicate key", file: "current_context: a\ncurrent_context: " + pat + "\n", mention: []string{"malformed YAML"}},
		{name: "contexts is a list", file: "current_context: default\ncontexts:\n  - " + pat + "\n", mention: []string{"line 3", "contexts must be a mapping"}},
		{name: "contexts is a scalar", file: "current_context: default\ncontexts: " + pat + "\n", mention: []string{"line 2", "contexts must be a mapping"}},
		{name: "file is a scalar", file: pat + "\n", mention: []string{"line 1", "must be a mapping"}},
		{name: "current_context is a mapping", file: "current_context: {" + pat + ": 1}\n", mention: []string{"current_context must be a context name"}},
		{name: "context is a scalar", file: "current_context: default\ncontexts:\n  default: " + pat + "\n", mention: []string{`context "default" must be a mapping`}},
		{name: "env is a list", file: "current_context: default\ncontexts:\n  default:\n    env: [" + pat + "]\n", mention: []string{`env of context "default"`}},
		{name: "a context name that is a list", file: "current_context: default\ncontexts:\n  [" + pat + "]: {}\n", mention: []string{"context name must be a scalar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file), tt.ask)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if tt.is == nil && (errors.Is(err, ErrEmpty) || errors.Is(err, ErrNoContext)) {
				t.Errorf("error %q wraps a sentinel", err)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
			noSecret(t, "the error", err.Error())
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	for _, tail := range []string{
		"current_context: *a11\n",
		"contexts: *a11\ncurrent_context: a\n",
		"contexts:\n  a: *a11\ncurrent_context: a\n",
		"contexts:\n  a:\n    env: *a11\ncurrent_context: a\n",
		"contexts:\n  a:\n    CLARIFAI_PAT: *a11\ncurrent_context: a\n",
	} {
		start := time.Now()
		_, err := Parse([]byte(b.String()+tail), "")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q: Parse took %v", tail, d)
		}
		t.Logf("%q: %v", tail, err)
	}
}

func TestPrintableName(t *testing.T) {
	for name, want := range map[string]bool{
		"default": true, "prod": true, "staging-us-east-1": true, "my_ctx.2": true, "7": true,
		"": false, pat: false, "0123456789abcdef": false, "abcdefghijklmnopqrstuvw": true,
		"abcdefghijklmnopqrstuvwxy": false, "has space": false, "ünï": false, "a\nb": false,
		"Key abc": false, "ab-0123456789abcdef": false,
	} {
		if got := PrintableName(name); got != want {
			t.Errorf("PrintableName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	in := "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `" + pat[:7] + "...` into int\n  line 4: mapping key \"" + pat + "\" already defined\n  anchor '" + pat + "'"
	out := scrub(in)
	noSecret(t, "scrub", out)
	if strings.ContainsAny(out, "\n\r") || !strings.Contains(out, "line 3") {
		t.Errorf("scrub = %q", out)
	}
}
