package keysource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestClarifaiConfigLayouts(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		opts    []Option
		env     map[string]string
		kind    Kind
		secret  string
		context string
	}{
		{
			name: "keys directly under the context (current CLI)",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_API_BASE: https://api.clarifai.com
    CLARIFAI_PAT: ` + cfgPAT + `
    CLARIFAI_USER_ID: alice
`,
			kind: KindPAT, secret: cfgPAT, context: "default",
		},
		{
			name: "keys under env (older CLI)",
			file: `current_context: default
contexts:
  default:
    env:
      CLARIFAI_PAT: ` + cfgPAT + `
      CLARIFAI_USER_ID: alice
`,
			kind: KindPAT, secret: cfgPAT, context: "default",
		},
		{
			name: "env mapping wins over keys beside it, as in the Python SDK",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT2 + `
    env:
      CLARIFAI_PAT: ` + cfgPAT + `
`,
			kind: KindPAT, secret: cfgPAT, context: "default",
		},
		{
			name: "current context among several",
			file: `contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
  staging:
    CLARIFAI_PAT: ` + cfgStaging + `
current_context: staging
`,
			kind: KindPAT, secret: cfgStaging, context: "staging",
		},
		{
			name: "context named by option overrides current_context",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
  staging:
    env:
      CLARIFAI_PAT: ` + cfgStaging + `
`,
			opts: []Option{ConfigContext("staging")},
			kind: KindPAT, secret: cfgStaging, context: "staging",
		},
		{
			name: "named context without any current_context",
			file: `contexts:
  staging:
    CLARIFAI_PAT: ` + cfgStaging + `
`,
			opts: []Option{ConfigContext("staging")},
			kind: KindPAT, secret: cfgStaging, context: "staging",
		},
		{
			name: "session token",
			file: `current_context: web
contexts:
  web:
    CLARIFAI_SESSION_TOKEN: ` + cfgToken + `
`,
			kind: KindSessionToken, secret: cfgToken, context: "web",
		},
		{
			name: "ENVVAR resolved from the environment",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ENVVAR
`,
			env:  map[string]string{"CLARIFAI_PAT": cfgEnvPAT},
			kind: KindPAT, secret: cfgEnvPAT, context: "default",
		},
		{
			name: "ENVVAR for a session token, under env",
			file: `current_context: default
contexts:
  default:
    env:
      CLARIFAI_SESSION_TOKEN: ENVVAR
`,
			env:  map[string]string{"CLARIFAI_SESSION_TOKEN": cfgEnvTok},
			kind: KindSessionToken, secret: cfgEnvTok, context: "default",
		},
		{
			name: "ENVVAR for an unset PAT beside a session token",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ENVVAR
    CLARIFAI_SESSION_TOKEN: ` + cfgToken + `
`,
			kind: KindSessionToken, secret: cfgToken, context: "default",
		},
		{
			name: "short lower-case names, as the Python SDK accepts",
			file: `current_context: default
contexts:
  default:
    pat: ` + cfgPAT + `
    user_id: alice
`,
			kind: KindPAT, secret: cfgPAT, context: "default",
		},
		{
			name: "quoted values, comments, an anchor and a nested mapping",
			file: `# written by hand
current_context: "default"
base: &base https://api.clarifai.com
contexts:
  default:
    CLARIFAI_API_BASE: *base
    CLARIFAI_PAT: '` + cfgPAT + `'  # the PAT
    extra:
      nested: ignored
`,
			kind: KindPAT, secret: cfgPAT, context: "default",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgCleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := cfgWrite(t, t.TempDir(), tt.file)
			src := ClarifaiConfig(path, tt.opts...)
			k, err := src.Key(context.Background())
			if err != nil {
				t.Fatalf("Key: %v", err)
			}
			if k.Kind() != tt.kind || k.Secret() != tt.secret {
				t.Errorf("Key = %v, want %v with the expected secret", k, tt.kind)
			}
			if got, want := describe(src), "clarifai config "+path+" (context "+tt.context+")"; got != want {
				t.Errorf("String = %q, want %q", got, want)
			}
			if err := lastErr(src); err != nil {
				t.Errorf("Err = %v", err)
			}
			cfgNoSecretInSource(t, src)
		})
	}
}

func TestClarifaiConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string // "" for no file at all
		opts    []Option
		env     map[string]string
		is      error // the sentinel the error must wrap
		isNot   []error
		mention []string // what the message must say
	}{
		{
			name:    "missing file",
			is:      ErrNoKey,
			mention: []string{"does not exist", "clarifai login"},
		},
		{
			name:    "empty file",
			file:    "# nothing yet\n",
			is:      ErrNoKey,
			mention: []string{"is empty"},
		},
		{
			name: "no current_context",
			file: `contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
`,
			is:      ErrNoKey,
			mention: []string{"no current_context"},
		},
		{
			name: "current context missing",
			file: `current_context: prod
contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
  staging:
    CLARIFAI_PAT: ` + cfgStaging + `
`,
			is:      ErrNoKey,
			mention: []string{`has no context "prod" (its current_context)`, "default, staging"},
		},
		{
			name: "named context missing",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
`,
			opts:    []Option{ConfigContext("prod")},
			is:      ErrNoKey,
			mention: []string{`has no context "prod" (asked for)`},
		},
		{
			name: "no contexts at all",
			file: `current_context: default
`,
			is:      ErrNoKey,
			mention: []string{`has no context "default"`, "no contexts"},
		},
		{
			name: "context without credential",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_USER_ID: alice
`,
			is:      ErrNoKey,
			mention: []string{`context "default"`, "no CLARIFAI_PAT"},
		},
		{
			name: "empty PAT",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ""
`,
			is:      ErrNoKey,
			mention: []string{"no CLARIFAI_PAT"},
		},
		{
			name: "ENVVAR pointing at an unset variable",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ENVVAR
`,
			is:      ErrNoKey,
			mention: []string{`context "default"`, "CLARIFAI_PAT is ENVVAR", "environment variable CLARIFAI_PAT is unset"},
		},
		{
			name: "PAT and session token",
			file: `current_context: both
contexts:
  both:
    CLARIFAI_PAT: ` + cfgPAT + `
    CLARIFAI_SESSION_TOKEN: ` + cfgToken + `
`,
			is:      ErrInvalidKey,
			isNot:   []error{ErrNoKey},
			mention: []string{`context "both"`, "CLARIFAI_PAT and CLARIFAI_SESSION_TOKEN"},
		},
		{
			name: "PAT and session token through ENVVAR",
			file: `current_context: both
contexts:
  both:
    env:
      CLARIFAI_PAT: ` + cfgPAT + `
      CLARIFAI_SESSION_TOKEN: ENVVAR
`,
			env:     map[string]string{"CLARIFAI_SESSION_TOKEN": cfgEnvTok},
			is:      ErrInvalidKey,
			isNot:   []error{ErrNoKey},
			mention: []string{`context "both"`},
		},
		{
			name: "invalid PAT",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: "` + cfgPAT + ` with spaces"
`,
			is:      ErrInvalidKey,
			isNot:   []error{ErrNoKey},
			mention: []string{`context "default"`, "CLARIFAI_PAT", "white space"},
		},
		{
			name: "invalid PAT through ENVVAR",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ENVVAR
`,
			env:     map[string]string{"CLARIFAI_PAT": cfgEnvPAT + "\x01"},
			is:      ErrInvalidKey,
			isNot:   []error{ErrNoKey},
			mention: []string{"via ENVVAR", "control character"},
		},
		{
			name: "malformed YAML",
			file: `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
   CLARIFAI_USER_ID: [unclosed
`,
			isNot:   []error{ErrNoKey, ErrInvalidKey},
			mention: []string{"malformed YAML", "line"},
		},
		{
			name: "contexts is a list",
			file: `current_context: default
contexts:
  - ` + cfgPAT + `
`,
			isNot:   []error{ErrNoKey, ErrInvalidKey},
			mention: []string{"line 3", "contexts must be a mapping"},
		},
		{
			name:    "file is a scalar",
			file:    cfgPAT + "\n",
			isNot:   []error{ErrNoKey, ErrInvalidKey},
			mention: []string{"line 1", "must be a mapping"},
		},
		{
			name: "context is a scalar",
			file: `current_context: default
contexts:
  default: ` + cfgPAT + `
`,
			isNot:   []error{ErrNoKey, ErrInvalidKey},
			mention: []string{`context "default" must be a mapping`},
		},
		{
			name: "env is a list",
			file: `current_context: default
contexts:
  default:
    env: [` + cfgPAT + `]
`,
			isNot:   []error{ErrNoKey, ErrInvalidKey},
			mention: []string{`env of context "default"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgCleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := filepath.Join(t.TempDir(), "config")
			if tt.file != "" {
				cfgWrite(t, filepath.Dir(path), tt.file)
			}
			src := ClarifaiConfig(path, tt.opts...)
			k, err := src.Key(context.Background())
			if err == nil {
				t.Fatalf("Key = %v, want an error", k)
			}
			if !k.IsZero() {
				t.Errorf("Key returned %v with its error", k)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			for _, not := range tt.isNot {
				if errors.Is(err, not) {
					t.Errorf("error %q wraps %v", err, not)
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the path", msg)
			}
			for _, m := range tt.mention {
				if !strings.Contains(msg, m) {
					t.Errorf("error %q does not say %q", msg, m)
				}
			}
			cfgNoSecret(t, "the error", msg)
			cfgNoSecret(t, "the error (%+v)", fmt.Sprintf("%+v", err))
			cfgNoSecretInSource(t, src)
		})
	}
}

// A source is not only a Chain's last resort: a broken file must stop the
// Chain instead of letting a later source's credential be used.
func TestClarifaiConfigMalformedStopsChain(t *testing.T) {
	path := cfgWrite(t, t.TempDir(), "current_context: [\n")
	_, err := Chain(ClarifaiConfig(path), staticKey(cfgPAT2)).Key(context.Background())
	if err == nil || errors.Is(err, ErrNoKey) {
		t.Fatalf("Chain error = %v, want the parse failure", err)
	}
	missing := filepath.Join(t.TempDir(), "config")
	k, err := Chain(ClarifaiConfig(missing), staticKey(cfgPAT2)).Key(context.Background())
	if err != nil || k.Secret() != cfgPAT2 {
		t.Fatalf("Chain past a missing config = %v, %v; want the next source's key", k, err)
	}
}

func TestClarifaiConfigDefaultPath(t *testing.T) {
	cfgCleanEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	src := ClarifaiConfig("")
	want := filepath.Join(home, ".config", "clarifai", "config")
	if got := describe(src); got != "clarifai config "+want+" (current context)" {
		t.Errorf("String before the first read = %q", got)
	}
	if _, err := src.Key(context.Background()); !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), want) {
		t.Errorf("Key without a file: %v", err)
	}
}

func TestClarifaiConfigCancelledBeforeFirstRead(t *testing.T) {
	path := cfgWrite(t, t.TempDir(), "current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: "+cfgPAT+"\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := ClarifaiConfig(path)
	if _, err := src.Key(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoKey) {
		t.Errorf("Key with a cancelled context before the first read: %v", err)
	}
	if k, err := src.Key(context.Background()); err != nil || k.Secret() != cfgPAT {
		t.Errorf("Key after = %v, %v", k, err)
	}
	// Once read, a done context does not matter: the answer is in memory.
	if k, err := src.Key(ctx); err != nil || k.Secret() != cfgPAT {
		t.Errorf("Key with a cancelled context after the first read = %v, %v", k, err)
	}
}

// A new clarifai login is seen after the refresh interval, and not before:
// the file is not looked at in between.
func TestClarifaiConfigRotation(t *testing.T) {
	cfgCleanEnv(t)
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path := cfgWrite(t, dir, cfgSingle("default", cfgPAT))
		src := ClarifaiConfig(path, RefreshInterval(time.Minute))
		ctx := context.Background()

		wantKey := func(step, secret string) {
			t.Helper()
			k, err := src.Key(ctx)
			if err != nil || k.Secret() != secret {
				t.Fatalf("%s: Key = %v, %v; want the %s key", step, k, err, secret[len(secret)-4:])
			}
		}
		wantKey("first read", cfgPAT)
		info, _ := os.Stat(path)

		// Same size, same modification time, new content: a rewrite by
		// clarifai login within the same second.
		writeFile(t, path, cfgSingle("default", cfgPAT2))
		os.Chtimes(path, info.ModTime(), info.ModTime())
		time.Sleep(time.Minute - time.Nanosecond)
		wantKey("before the interval", cfgPAT)
		time.Sleep(time.Nanosecond)
		wantKey("after the interval", cfgPAT2)

		// A new login written atomically.
		cfgReplace(t, path, cfgSingle("prod", cfgStaging), time.Now())
		time.Sleep(time.Minute)
		wantKey("after a rename", cfgStaging)
		if got := describe(src); got != "clarifai config "+path+" (context prod)" {
			t.Errorf("String = %q", got)
		}

		// A broken file keeps the last good key serving, and says why.
		writeFile(t, path, "current_context: prod\ncontexts: {prod: \n")
		time.Sleep(time.Minute)
		wantKey("while the file is malformed", cfgStaging)
		if err := lastErr(src); err == nil || !strings.Contains(err.Error(), "malformed YAML") {
			t.Errorf("Err while the file is malformed = %v", err)
		}
		// An empty file (the CLI between truncating and writing) too.
		writeFile(t, path, "")
		time.Sleep(time.Second) // a failed read is retried within a second
		wantKey("while the file is empty", cfgStaging)
		if err := lastErr(src); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("Err while the file is empty = %v", err)
		}
		// And a file briefly missing (an editor's save, a new login).
		os.Remove(path)
		time.Sleep(time.Second)
		wantKey("while the file is missing", cfgStaging)
		if err := lastErr(src); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Err while the file is missing = %v", err)
		}

		// Back: the new content is used within a second, and Err clears.
		writeFile(t, path, cfgSingle("default", cfgPAT))
		time.Sleep(time.Second)
		wantKey("after the fix", cfgPAT)
		if err := lastErr(src); err != nil {
			t.Errorf("Err after the fix = %v", err)
		}

		// A context switch to one without a key is an answer, not a failure.
		writeFile(t, path, "current_context: b\ncontexts:\n  b:\n    CLARIFAI_USER_ID: x\n")
		time.Sleep(time.Minute)
		if k, err := src.Key(ctx); !errors.Is(err, ErrNoKey) || !k.IsZero() {
			t.Errorf("Key after a switch to a context without a key = %v, %v; want ErrNoKey", k, err)
		}
		if err := lastErr(src); err != nil {
			t.Errorf("Err after a good read = %v", err)
		}
	})
}

// An ENVVAR credential is looked up again at each check, even when the file
// has not changed.
func TestClarifaiConfigEnvVarRecheck(t *testing.T) {
	cfgCleanEnv(t)
	synctest.Test(t, func(t *testing.T) {
		path := cfgWrite(t, t.TempDir(), cfgSingle("default", "ENVVAR"))
		src := ClarifaiConfig(path)
		ctx := context.Background()
		if _, err := src.Key(ctx); !errors.Is(err, ErrNoKey) {
			t.Fatalf("Key with the variable unset: %v", err)
		}
		os.Setenv("CLARIFAI_PAT", cfgEnvPAT)
		defer os.Unsetenv("CLARIFAI_PAT")
		time.Sleep(defaultConfigRefreshInterval)
		if k, err := src.Key(ctx); err != nil || k.Secret() != cfgEnvPAT {
			t.Fatalf("Key once the variable is set = %v, %v", k, err)
		}
	})
}

// Readers see a whole key, old or new, while the file is rewritten under
// them; run with -race.
func TestClarifaiConfigConcurrentRewrites(t *testing.T) {
	cfgCleanEnv(t)
	path := cfgWrite(t, t.TempDir(), cfgSingle("default", cfgPAT))
	src := ClarifaiConfig(path, RefreshInterval(time.Microsecond))
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seen [2]atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k, err := src.Key(ctx)
				switch {
				case err != nil:
					t.Errorf("Key: %v", err)
					return
				case k.Secret() == cfgPAT:
					seen[0].Add(1)
				case k.Secret() == cfgPAT2:
					seen[1].Add(1)
				default:
					t.Errorf("Key = %v, neither of the written keys", k)
					return
				}
				_ = lastErr(src)
				_ = describe(src)
				runtime.Gosched() // let the writer in on a machine with few CPUs
			}
		}()
	}
	mtime := time.Now()
	for i := range 40 {
		pat := cfgPAT
		if i%2 == 0 {
			pat = cfgPAT2
		}
		mtime = mtime.Add(time.Second)
		cfgReplace(t, path, cfgSingle("default", pat), mtime)
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if seen[0].Load() == 0 || seen[1].Load() == 0 {
		t.Errorf("readers saw the keys %d and %d times; want both", seen[0].Load(), seen[1].Load())
	}
}

func TestClarifaiConfigKeyAllocs(t *testing.T) {
	cfgCleanEnv(t)
	path := cfgWrite(t, t.TempDir(), cfgSingle("default", cfgPAT))
	src := ClarifaiConfig(path)
	ctx := context.Background()
	if _, err := src.Key(ctx); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { src.Key(ctx) }); n != 0 {
		t.Errorf("Key allocates %v times per call, want 0", n)
	}
	// The "no key" answer is served from memory too.
	missing := ClarifaiConfig(filepath.Join(t.TempDir(), "config"))
	missing.Key(ctx)
	if n := testing.AllocsPerRun(1000, func() { missing.Key(ctx) }); n != 0 {
		t.Errorf("Key without a file allocates %v times per call, want 0", n)
	}
}

func BenchmarkClarifaiConfigKey(b *testing.B) {
	path := cfgWrite(b, b.TempDir(), cfgSingle("default", cfgPAT))
	src := ClarifaiConfig(path)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.Key(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestDefault(t *testing.T) {
	ctx := context.Background()
	login := `current_context: default
contexts:
  default:
    CLARIFAI_PAT: ` + cfgPAT + `
    CLARIFAI_USER_ID: alice
`
	t.Run("environment wins", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), login)
		t.Setenv("CLARIFAI_PAT", cfgEnvPAT)
		k, err := Default().Key(ctx)
		if err != nil || k.Secret() != cfgEnvPAT || k.Kind() != KindPAT {
			t.Fatalf("Key = %v, %v; want the environment's PAT", k, err)
		}
	})
	t.Run("session token from the environment wins", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), login)
		t.Setenv("CLARIFAI_SESSION_TOKEN", cfgEnvTok)
		k, err := Default().Key(ctx)
		if err != nil || k.Secret() != cfgEnvTok || k.Kind() != KindSessionToken {
			t.Fatalf("Key = %v, %v; want the environment's session token", k, err)
		}
	})
	t.Run("config used when the environment has no key", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), login)
		src := Default()
		k, err := src.Key(ctx)
		if err != nil || k.Secret() != cfgPAT || k.Kind() != KindPAT {
			t.Fatalf("Key = %v, %v; want the config's PAT", k, err)
		}
		if n := testing.AllocsPerRun(1000, func() { src.Key(ctx) }); n != 0 {
			t.Errorf("Key from the config allocates %v times per call, want 0", n)
		}
		t.Setenv("CLARIFAI_PAT", cfgEnvPAT)
		if n := testing.AllocsPerRun(1000, func() { src.Key(ctx) }); n != 0 {
			t.Errorf("Key from the environment allocates %v times per call, want 0", n)
		}
		cfgNoSecretInSource(t, src)
	})
	t.Run("no key anywhere", func(t *testing.T) {
		cfgCleanEnv(t)
		path := cfgHome(t)
		src := Default()
		k, err := src.Key(ctx)
		if !errors.Is(err, ErrNoKey) {
			t.Fatalf("Key = %v, %v; want ErrNoKey", k, err)
		}
		for _, m := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN", path, "does not exist", "set CLARIFAI_PAT", `run "clarifai login"`} {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("error %q does not say %q", err, m)
			}
		}
	})
	t.Run("context without a key", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), "current_context: a\ncontexts:\n  a:\n    CLARIFAI_USER_ID: alice\n")
		_, err := Default().Key(ctx)
		if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), `context "a"`) {
			t.Fatalf("Key error = %v", err)
		}
	})
	t.Run("PAT and session token in the environment", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), login)
		t.Setenv("CLARIFAI_PAT", cfgEnvPAT)
		t.Setenv("CLARIFAI_SESSION_TOKEN", cfgEnvTok)
		k, err := Default().Key(ctx)
		if !errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrNoKey) || !k.IsZero() {
			t.Fatalf("Key = %v, %v; want an ErrInvalidKey conflict", k, err)
		}
		if !strings.Contains(err.Error(), "CLARIFAI_PAT") || !strings.Contains(err.Error(), "CLARIFAI_SESSION_TOKEN") {
			t.Errorf("error %q does not name both variables", err)
		}
		cfgNoSecret(t, "the error", err.Error())
	})
	t.Run("API key and session token in the environment", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgHome(t)
		t.Setenv("CLARIFAI_API_KEY", cfgEnvPAT)
		t.Setenv("CLARIFAI_SESSION_TOKEN", cfgEnvTok)
		if _, err := Default().Key(ctx); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("Key error = %v; want ErrInvalidKey", err)
		}
	})
	t.Run("invalid key in the environment stops the search", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), login)
		t.Setenv("CLARIFAI_PAT", "not a key")
		if _, err := Default().Key(ctx); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("Key error = %v; want ErrInvalidKey", err)
		}
	})
	t.Run("malformed config stops the search", func(t *testing.T) {
		cfgCleanEnv(t)
		cfgWrite(t, filepath.Dir(cfgHome(t)), "contexts: [\n")
		_, err := Default().Key(ctx)
		if err == nil || errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "malformed YAML") {
			t.Fatalf("Key error = %v; want the parse failure", err)
		}
	})
}
