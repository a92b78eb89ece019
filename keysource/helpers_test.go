package keysource

// Helpers shared by this package's tests: test secrets, the secret-leak
// checks, and file writers.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
)

// testSecret is long enough that String shows its last four characters.
const testSecret = "s3cr3tKEYvalue0123456789abWXYZ"

// assertNoSecret fails if text reveals secret, by the module's one check
// (testutil.NoSecret: the secret, its hex forms, any eight characters).
func assertNoSecret(t *testing.T, what, text, secret string) {
	t.Helper()
	testutil.NoSecret(t, what, text, secret)
}

func mustKey(t testing.TB, kind Kind, secret string) Key {
	t.Helper()
	k, err := NewKey(kind, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writeFile writes content to path, failing the test on error.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// replaceFile rotates path atomically: write a sibling, rename it over path.
func replaceFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// wantKey asserts that src answers secret with no error.
func wantKey(t *testing.T, src Source, secret string) {
	t.Helper()
	k, err := src.Key(context.Background())
	if err != nil {
		t.Fatalf("Key: %v; want the key %q", err, secret)
	}
	if k.Secret() != secret {
		t.Fatalf("Key = secret %q, want %q", k.Secret(), secret)
	}
}

// Secrets used by these tests. Each is long enough that Key.String shows its
// last four characters, and the tests check that nothing shows more: no
// eight characters of one appear in any output, so none may hold a run that
// innocent text holds (digits of a path, a number).
const (
	cfgPAT     = "cfgpatQ7xK2mV9rT4wLbN8hJ3sD6aaaa"
	cfgPAT2    = "cfgpatZ3nP8qW1eR5yUiO2pA7gH4bbbb"
	cfgToken   = "cfgtokM6vB1cX9zL3kJ7hG5fD2sQcccc"
	cfgEnvPAT  = "envpatT8rE4wQ2aS6dF1gH9jK3lZdddd"
	cfgEnvTok  = "envtokY5uI9oP3aS7dF2gH6jK1lXeeee"
	cfgStaging = "stgpatN4bV8cX2zM6nB1vC5xZ9qWffff"
)

var cfgSecrets = []string{cfgPAT, cfgPAT2, cfgToken, cfgEnvPAT, cfgEnvTok, cfgStaging}

// cfgWrite writes content to dir/config and returns the path.
func cfgWrite(t testing.TB, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cfgReplace rewrites the file at path atomically, as an editor or a careful
// CLI would, and moves its modification time forward so that a rewrite with
// the same size is seen on file systems with coarse timestamps.
func cfgReplace(t testing.TB, path, content string, mtime time.Time) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Error(err)
		return
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Error(err)
	}
}

// cfgUnsetenv unsets the variables for the test, restoring them after it.
func cfgUnsetenv(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		t.Setenv(n, "")
		os.Unsetenv(n)
	}
}

// cfgCleanEnv clears every variable that could change the answers of these
// tests.
func cfgCleanEnv(t *testing.T) {
	t.Helper()
	cfgUnsetenv(t, "CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN", "CLARIFAI_USER_ID", "CLARIFAI_APP_ID", "CLARIFAI_API_BASE", "CLARIFAI_UI", "CLARIFAI_EXTRA")
}

// cfgNoSecret fails the test if s reveals any test secret.
func cfgNoSecret(t *testing.T, what, s string) {
	t.Helper()
	testutil.NoSecret(t, what, s, cfgSecrets...)
}

// cfgNoSecretInSource checks every fmt form of src.
func cfgNoSecretInSource(t *testing.T, src any) {
	t.Helper()
	testutil.NoSecretIn(t, "the source", src, cfgSecrets...)
}

// leakCheck fails the test if any rendering of v reveals secret: every fmt
// verb, and every string a reflection-based printer could reach by walking
// v (following pointers, interfaces, slices, maps and struct fields,
// exported or not).
func leakCheck(t *testing.T, what string, v any, secret string) {
	t.Helper()
	testutil.NoSecretIn(t, what, v, secret)
	testutil.NoSecret(t, what+" %d", fmt.Sprintf("%d", v), secret)
	for _, s := range reachableStrings(reflect.ValueOf(v)) {
		testutil.NoSecret(t, what+" (by reflection)", s, secret)
	}
}

// reachableStrings returns every string value reflection can read from v.
func reachableStrings(v reflect.Value) []string {
	var out []string
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if !v.IsValid() || depth > 30 {
			return
		}
		switch v.Kind() {
		case reflect.String:
			out = append(out, v.String())
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem(), depth+1)
		case reflect.Interface:
			walk(v.Elem(), depth+1)
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), depth+1)
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				out = append(out, string(v.Bytes()))
				return
			}
			for i := range min(v.Len(), 1000) {
				walk(v.Index(i), depth+1)
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
			}
		}
	}
	walk(v, 0)
	return out
}

// goroutinesSettle waits until the number of goroutines is at most max, or
// fails the test after a few seconds.
func goroutinesSettle(t *testing.T, max int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > max {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, want at most %d", runtime.NumGoroutine(), max)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// within runs f and fails the test if it does not return within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// countingSource answers key-1, key-2, … (or fail's error while fail is
// set), counting calls. If gate is non-nil each call first waits for it or
// for its context.
type countingSource struct {
	calls atomic.Int64
	fail  atomic.Pointer[error]
	gate  chan struct{}
	ctxs  chan context.Context // if non-nil, receives each call's context
}

func (s *countingSource) Key(ctx context.Context) (Key, error) {
	n := s.calls.Add(1)
	if s.ctxs != nil {
		s.ctxs <- ctx
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return Key{}, ctx.Err()
		}
	}
	if err := s.fail.Load(); err != nil {
		return Key{}, *err
	}
	return NewKey(KindAPIKey, fmt.Sprintf("key-%d-0123456789abcdef", n))
}

func (s *countingSource) setFail(err error) {
	if err == nil {
		s.fail.Store(nil)
		return
	}
	s.fail.Store(&err)
}

func (s *countingSource) String() string { return "counting" }

// wantCached asserts that src answers key-n.
func wantCached(t *testing.T, src Source, n int) {
	t.Helper()
	k, err := src.Key(context.Background())
	if err != nil {
		t.Fatalf("Key: %v; want key-%d", err, n)
	}
	if want := fmt.Sprintf("key-%d-0123456789abcdef", n); k.Secret() != want {
		t.Fatalf("Key = %q, want %q", k.Secret(), want)
	}
}

// cfgHome points the home directory at a new temporary directory and returns
// the path of the CLI's config file in it (not yet written).
func cfgHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // os.UserHomeDir on Windows
	dir := filepath.Join(home, ".config", "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "config")
}

func cfgSingle(name, pat string) string {
	return "current_context: " + name + "\ncontexts:\n  " + name + ":\n    CLARIFAI_PAT: " + pat + "\n"
}

// staticKey is a Source that always yields secret as a KindKey, or, if it
// is not a valid key, the error NewKey gives.
func staticKey(secret string) Source {
	k, err := NewKey(KindKey, secret)
	if err != nil {
		return SourceFunc(func(context.Context) (Key, error) { return Key{}, err })
	}
	return k
}

// lastErr returns why the latest refresh of a File, ClarifaiConfig or
// Cached source failed, or nil if it did not fail or has not run.
func lastErr(src Source) error {
	var r *refresher
	switch s := src.(type) {
	case *fileSource:
		r = s.r
	case *configSource:
		r = s.r
	case *cached:
		r = s.r
	default:
		panic(fmt.Sprintf("lastErr of a %T", src))
	}
	if st := r.live.state.Load(); st != nil && st.failed {
		return st.err
	}
	return nil
}
