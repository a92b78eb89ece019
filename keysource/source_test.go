package keysource

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// A Key is a Source of itself; an invalid secret never becomes one.
func TestKeyAsASource(t *testing.T) {
	ctx := context.Background()
	var src Source = mustKey(t, KindKey, " "+testSecret+"\n")
	k, err := src.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k.Kind() != KindKey || k.Secret() != testSecret {
		t.Errorf("key = %v (secret match %v), want a KindKey holding the secret", k, k.Secret() == testSecret)
	}
	if _, err := (Key{}).Key(ctx); !errors.Is(err, ErrNoKey) {
		t.Errorf("the zero Key as a Source: %v, want ErrNoKey", err)
	}
	_, err = NewKey(KindKey, testSecret+" x")
	if !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("invalid secret: %v; want ErrInvalidKey", err)
	}
	assertNoSecret(t, "NewKey error", err.Error(), testSecret)
	assertNoSecret(t, "Key as a Source", describe(src), testSecret)
	if got := describe(src); got != "key(…WXYZ)" {
		t.Errorf("describe(Key) = %q", got)
	}
}

func TestSourceFunc(t *testing.T) {
	want := mustKey(t, KindPAT, testSecret)
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	var got context.Context
	src := SourceFunc(func(ctx context.Context) (Key, error) {
		got = ctx
		return want, nil
	})
	k, err := src.Key(ctx)
	if err != nil || !k.Equal(want) {
		t.Errorf("SourceFunc.Key = %v, %v", k, err)
	}
	if got != ctx {
		t.Error("SourceFunc did not pass the context through")
	}
}

func TestEnv(t *testing.T) {
	ctx := context.Background()
	t.Run("precedence", func(t *testing.T) {
		t.Setenv("CLARIFAI_PAT", "pat-value-0123456789")
		t.Setenv("CLARIFAI_API_KEY", "api-value-0123456789")
		t.Setenv("CLARIFAI_SESSION_TOKEN", "tok-value-0123456789")
		src := Env()
		steps := []struct {
			unset      string // variable emptied before this step
			wantKind   Kind
			wantSecret string
		}{
			{"", KindPAT, "pat-value-0123456789"},
			{"CLARIFAI_PAT", KindAPIKey, "api-value-0123456789"},
			{"CLARIFAI_API_KEY", KindSessionToken, "tok-value-0123456789"},
		}
		for _, s := range steps {
			if s.unset != "" {
				t.Setenv(s.unset, "") // empty counts as unset
			}
			k, err := src.Key(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if k.Kind() != s.wantKind || k.Secret() != s.wantSecret {
				t.Errorf("after unsetting %q: got %v with secret %q; want %v %q", s.unset, k, k.Secret(), s.wantKind, s.wantSecret)
			}
		}
		k, _ := src.Key(ctx)
		if k.headerName() != "x-clarifai-session-token" || k.headerValue() != "tok-value-0123456789" {
			t.Errorf("session token travels as %s: %q", k.headerName(), k.headerValue())
		}
	})
	t.Run("all unset", func(t *testing.T) {
		for _, n := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"} {
			t.Setenv(n, "")
		}
		_, err := Env().Key(ctx)
		if !errors.Is(err, ErrNoKey) {
			t.Fatalf("error = %v, want ErrNoKey", err)
		}
		for _, n := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"} {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("error %q does not name %s", err, n)
			}
		}
	})
	t.Run("named variables", func(t *testing.T) {
		t.Setenv("KS_TEST_A", "")
		t.Setenv("KS_TEST_B", "b-secret-0123456789")
		t.Setenv("KS_TEST_SESSION_TOKEN", "t-secret-0123456789")
		t.Setenv("CLARIFAI_PAT", "must-not-be-read") // not among the names
		src := Env("KS_TEST_A", "KS_TEST_B", "KS_TEST_SESSION_TOKEN")
		k, err := src.Key(ctx)
		if err != nil || k.Secret() != "b-secret-0123456789" || k.Kind() != KindKey {
			t.Errorf("got %v, %v; want KS_TEST_B as a KindKey", k, err)
		}
		t.Setenv("KS_TEST_B", "")
		if k, _ := src.Key(ctx); k.Kind() != KindSessionToken {
			t.Errorf("a name ending in SESSION_TOKEN gave %v, want a session token", k)
		}
		t.Setenv("KS_TEST_SESSION_TOKEN", "")
		_, err = src.Key(ctx)
		if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "KS_TEST_A, KS_TEST_B, KS_TEST_SESSION_TOKEN") {
			t.Errorf("error = %v, want ErrNoKey naming the three variables", err)
		}
		if strings.Contains(err.Error(), "CLARIFAI_PAT") {
			t.Errorf("error %q names a variable that was not asked for", err)
		}
		if got := describe(src); got != "env KS_TEST_A, KS_TEST_B, KS_TEST_SESSION_TOKEN" {
			t.Errorf("describe = %q", got)
		}
	})
	t.Run("invalid value", func(t *testing.T) {
		t.Setenv("KS_TEST_BAD", testSecret+" trailing")
		src := Env("KS_TEST_BAD")
		for range 2 { // the second call answers from the memo
			k, err := src.Key(ctx)
			if !errors.Is(err, ErrInvalidKey) || !k.IsZero() {
				t.Fatalf("got %v, %v; want ErrInvalidKey", k, err)
			}
			if !strings.Contains(err.Error(), "KS_TEST_BAD") {
				t.Errorf("error %q does not name the variable", err)
			}
			assertNoSecret(t, "Env error", err.Error(), testSecret)
		}
	})
	t.Run("changed value seen at next call", func(t *testing.T) {
		t.Setenv("KS_TEST_ROT", "first-secret-0123")
		src := Env("KS_TEST_ROT")
		if k, _ := src.Key(ctx); k.Secret() != "first-secret-0123" {
			t.Fatalf("got %q", k.Secret())
		}
		t.Setenv("KS_TEST_ROT", "second-secret-0123")
		if k, _ := src.Key(ctx); k.Secret() != "second-secret-0123" {
			t.Errorf("after change got %q, want the new value", k.Secret())
		}
		t.Setenv("KS_TEST_ROT", "bad value")
		if _, err := src.Key(ctx); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("after change to an invalid value got %v", err)
		}
		t.Setenv("KS_TEST_ROT", "third-secret-0123")
		if k, err := src.Key(ctx); err != nil || k.Secret() != "third-secret-0123" {
			t.Errorf("after change back to a valid value got %q, %v", k.Secret(), err)
		}
	})
	t.Run("steady environment does not allocate", func(t *testing.T) {
		t.Setenv("KS_TEST_STEADY", testSecret)
		src := Env("KS_TEST_MISSING", "KS_TEST_STEADY")
		if _, err := src.Key(ctx); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = src.Key(ctx) }); n != 0 {
			t.Errorf("Env.Key allocates %v times per call, want 0", n)
		}
	})
}

// namedSource is a Source with a fixed answer and a description, counting
// calls.
type namedSource struct {
	name  string
	key   Key
	err   error
	calls int
}

func (s *namedSource) Key(context.Context) (Key, error) { s.calls++; return s.key, s.err }
func (s *namedSource) String() string                   { return s.name }

func TestChain(t *testing.T) {
	ctx := context.Background()
	k1 := mustKey(t, KindAPIKey, "first-key-0123456789")
	k2 := mustKey(t, KindPAT, "second-key-0123456789")
	miss := func(name string) *namedSource {
		return &namedSource{name: name, err: errors.Join(ErrNoKey, errors.New(name+" is empty"))}
	}

	t.Run("first wins", func(t *testing.T) {
		a, b := &namedSource{name: "a", key: k1}, &namedSource{name: "b", key: k2}
		k, err := Chain(a, b).Key(ctx)
		if err != nil || !k.Equal(k1) {
			t.Errorf("got %v, %v; want the first key", k, err)
		}
		if b.calls != 0 {
			t.Errorf("second source asked %d times after the first answered", b.calls)
		}
	})
	t.Run("ErrNoKey passes on", func(t *testing.T) {
		a, b := miss("a"), &namedSource{name: "b", key: k2}
		k, err := Chain(a, b).Key(ctx)
		if err != nil || !k.Equal(k2) {
			t.Errorf("got %v, %v; want the second key", k, err)
		}
	})
	t.Run("a missing file passes on", func(t *testing.T) {
		k, err := Chain(File(t.TempDir()+"/absent"), k2).Key(ctx)
		if err != nil || !k.Equal(k2) {
			t.Errorf("got %v, %v; want the static key", k, err)
		}
	})
	t.Run("real failure stops the chain", func(t *testing.T) {
		boom := errors.New("permission denied")
		a, b, c := miss("a"), &namedSource{name: "b", err: boom}, &namedSource{name: "c", key: k1}
		k, err := Chain(a, b, c).Key(ctx)
		if !errors.Is(err, boom) || !k.IsZero() {
			t.Fatalf("got %v, %v; want the failure", k, err)
		}
		if errors.Is(err, ErrNoKey) {
			t.Errorf("error %v wraps ErrNoKey; a Chain around this one would skip a real failure", err)
		}
		if !strings.Contains(err.Error(), "chain source 2 (b)") {
			t.Errorf("error %q does not say which source failed", err)
		}
		if c.calls != 0 {
			t.Error("the chain went on after a real failure")
		}
	})
	t.Run("invalid key stops the chain", func(t *testing.T) {
		k, err := Chain(staticKey(testSecret+" x"), k1).Key(ctx)
		if !errors.Is(err, ErrInvalidKey) || !k.IsZero() {
			t.Errorf("got %v, %v; want ErrInvalidKey", k, err)
		}
		assertNoSecret(t, "chain error", err.Error(), testSecret)
	})
	t.Run("all miss", func(t *testing.T) {
		t.Setenv("KS_TEST_UNSET", "")
		sources := []Source{miss("first-src"), Env("KS_TEST_UNSET"), SourceFunc(func(context.Context) (Key, error) { return Key{}, ErrNoKey })}
		_, err := Chain(sources...).Key(ctx)
		if !errors.Is(err, ErrNoKey) {
			t.Fatalf("error = %v, want ErrNoKey", err)
		}
		for _, want := range []string{"\n  1. first-src: no key\n     first-src is empty", "\n  2. environment variables KS_TEST_UNSET are unset or empty", "\n  3. keysource.SourceFunc: no key"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if n := strings.Count(err.Error(), "keysource:"); n != 1 {
			t.Errorf("error %q says keysource: %d times", err, n)
		}
		var joined interface{ Unwrap() []error }
		if !errors.As(err, &joined) || len(joined.Unwrap()) != 4 {
			t.Errorf("error does not unwrap to ErrNoKey and the three misses")
		}
	})
	t.Run("empty chain", func(t *testing.T) {
		if _, err := Chain().Key(ctx); !errors.Is(err, ErrNoKey) {
			t.Errorf("error = %v, want ErrNoKey", err)
		}
	})
	t.Run("cancelled context from a source", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		after := &namedSource{name: "after", key: k1}
		src := Chain(SourceFunc(func(ctx context.Context) (Key, error) { return Key{}, ctx.Err() }), after)
		_, err := src.Key(cctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if after.calls != 0 {
			t.Error("the chain went on after a cancelled context")
		}
	})
	t.Run("no secret in any error", func(t *testing.T) {
		secretSrc := mustKey(t, KindAPIKey, testSecret)
		_, err := Chain(miss("m"), &namedSource{name: "bad", err: errors.New("broken")}, secretSrc).Key(ctx)
		assertNoSecret(t, "chain error", err.Error(), testSecret)
		_, err = Chain(miss("m"), Key{}).Key(ctx)
		assertNoSecret(t, "chain error", err.Error(), testSecret)
		assertNoSecret(t, "chain String", describe(Chain(secretSrc, staticKey(testSecret))), testSecret)
	})
	t.Run("describe", func(t *testing.T) {
		if got := describe(Chain(&namedSource{name: "a"}, &namedSource{name: "b"})); got != "chain(a → b)" {
			t.Errorf("describe = %q", got)
		}
	})
	t.Run("a miss before the key costs no allocation", func(t *testing.T) {
		t.Setenv("KS_TEST_UNSET", "")
		src := Chain(Env("KS_TEST_UNSET"), k1)
		if n := testing.AllocsPerRun(100, func() { _, _ = src.Key(ctx) }); n != 0 {
			t.Errorf("Chain.Key allocates %v times per call, want 0", n)
		}
	})
}

func TestChainMissFromFileKeepsNotExist(t *testing.T) {
	_, err := Chain(File(t.TempDir() + "/absent")).Key(context.Background())
	if !errors.Is(err, ErrNoKey) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error = %v, want ErrNoKey and fs.ErrNotExist", err)
	}
}

// TestChainSkipsNil: a nil source in a chain is left out, not a panic.
func TestChainSkipsNil(t *testing.T) {
	c := Chain(nil, staticKey("chain-nil-test-0123456789"), nil)
	k, err := c.Key(context.Background())
	if err != nil || k.Secret() != "chain-nil-test-0123456789" {
		t.Fatalf("Key = %v, %v", k, err)
	}
	if _, err := Chain(nil).Key(context.Background()); !errors.Is(err, ErrNoKey) {
		t.Errorf("Chain(nil): %v, want ErrNoKey", err)
	}
}
