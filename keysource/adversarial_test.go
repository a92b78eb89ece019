//go:build unix

package keysource

// The keysource part of the adversarial suite: hostile secrets, files and
// sources. Each test asserts the secure outcome: no secret in any output
// (marker is searched for in every error, String and fmt rendering, and
// by reflection), no call blocked past its deadline, goroutines bounded.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// marker is a secret no output may contain, even in part.
const marker = "MARKERsecretZZ0123456789abcdefQQ"

func TestHostileSecretsAreRefusedWithoutEcho(t *testing.T) {
	dir := t.TempDir()
	for name, secret := range map[string]string{
		"CRLF":            marker + "\r\nx-injected: 1",
		"LF":              marker + "\nsecond-line",
		"NUL":             marker + "\x00",
		"unicode":         marker + "é",
		"RTL override":    marker + "\u202e",
		"line separator":  marker + "\u2028",
		"inner space":     marker + " " + marker,
		"Key prefix":      "Key " + marker,
		"lower key":       "key " + marker,
		"huge":            strings.Repeat(marker, 4096),
		"invalid UTF-8":   marker + "\xff\xfe",
		"escape sequence": marker + "\x1b[31m",
	} {
		t.Run(name, func(t *testing.T) {
			var errs []error
			for _, kind := range []Kind{KindKey, KindAPIKey, KindPAT, KindSessionToken} {
				k, err := NewKey(kind, secret)
				if err == nil || !k.IsZero() {
					t.Fatalf("NewKey(%v) accepted it", kind)
				}
				errs = append(errs, err)
			}
			if !strings.Contains(secret, "\x00") { // no NUL in an environment
				t.Setenv("KS_ADV_PAT", secret)
				_, err := Env("KS_ADV_PAT").Key(context.Background())
				errs = append(errs, err)
			}
			_, err := Static(secret).Key(context.Background())
			errs = append(errs, err)
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			writeFile(t, path, secret)
			_, err = File(path).Key(context.Background())
			errs = append(errs, err)
			cfg := filepath.Join(dir, "cfg-"+filepath.Base(path))
			writeFile(t, cfg, fmt.Sprintf("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: %q\n", secret))
			src := ClarifaiConfig(cfg)
			_, err = src.Key(context.Background())
			errs = append(errs, err)
			for _, err := range errs {
				if err == nil {
					t.Fatal("a hostile secret was accepted")
				}
				leakCheck(t, "error", err, marker)
			}
			leakCheck(t, "ClarifaiConfig", src, marker)
		})
	}
}

func TestKeyPrefixHint(t *testing.T) {
	t.Setenv(EnvPAT, "Key "+marker)
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvSessionToken, "")
	_, err := Env().Key(context.Background())
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), `drop the "Key " prefix`) || !strings.Contains(err.Error(), EnvPAT) {
		t.Errorf("error = %v, want ErrInvalidKey with a hint to drop the prefix", err)
	}
	leakCheck(t, "error", err, marker)
	if _, err := NewKey(KindPAT, "Keyless-secret-0123456789"); err != nil {
		t.Errorf("a secret starting with Key but no space was refused: %v", err)
	}
}

// TestKeyOutOfReachOfReflection walks Keys, and every source holding one,
// the way reflection-based printers (spew, go-cmp, testify) do.
func TestKeyOutOfReachOfReflection(t *testing.T) {
	ctx := context.Background()
	k := mustKey(t, KindPAT, marker)
	tok := mustKey(t, KindSessionToken, marker)
	type holder struct {
		k  Key
		p  *Key
		ks []Key
		m  map[string]Key
		a  any
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	writeFile(t, file, marker)
	fileSrc := File(file)
	cfgPath := filepath.Join(dir, "config")
	writeFile(t, cfgPath, "current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: "+marker+"\n")
	cfgSrc := ClarifaiConfig(cfgPath)
	t.Setenv("KS_ADV_REFLECT", marker)
	envSrc := Env("KS_ADV_REFLECT")
	cached := Cached(k, time.Hour)
	chain := Chain(envSrc, fileSrc)
	for _, src := range []Source{fileSrc, cfgSrc, envSrc, cached, chain} {
		if got, err := src.Key(ctx); err != nil || got.Secret() != marker {
			t.Fatalf("%v: %v, %v", src, got, err)
		}
	}
	for name, v := range map[string]any{
		"Key": k, "*Key": &k, "token": tok, "holder": holder{k, &k, []Key{k, tok}, map[string]Key{"k": k}, k},
		"Static": Static(marker), "File": fileSrc, "ClarifaiConfig": cfgSrc, "Env": envSrc,
		"Cached": cached, "Chain": chain, "context": WithKey(ctx, k),
	} {
		leakCheck(t, name, v, marker)
	}
	// Equal still sees through it.
	if !k.Equal(mustKey(t, KindPAT, " "+marker+"\n")) || k.Equal(tok) {
		t.Error("Equal is broken")
	}
}

func TestDefaultNoKeyErrorLists(t *testing.T) {
	cfgCleanEnv(t)
	path := cfgHome(t)
	_, err := Default().Key(context.Background())
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("error = %v, want ErrNoKey", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "  - environment variables CLARIFAI_PAT, ") || !strings.HasPrefix(lines[2], "  - clarifai config "+path+" does not exist") || !strings.HasPrefix(lines[3], "set CLARIFAI_PAT") {
		t.Errorf("error lines = %q", lines)
	}
	if n := strings.Count(err.Error(), "keysource:"); n != 1 {
		t.Errorf("error says keysource: %d times: %q", n, err)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 3 {
		t.Error("error does not wrap ErrNoKey and each miss")
	}
}

// specialPaths makes each thing a key file must not be, and a symbolic link
// to each; it returns name → path.
func specialPaths(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{"/dev/zero": "/dev/zero", "/dev/null": "/dev/null", "directory": dir}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	paths["FIFO"] = fifo
	sock := filepath.Join(dir, "sock")
	if l, err := net.Listen("unix", sock); err == nil {
		t.Cleanup(func() { l.Close() })
		paths["unix socket"] = sock
	}
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	paths["1 GB sparse file"] = sparse
	for name, p := range map[string]string{"FIFO": fifo, "/dev/zero": "/dev/zero", "1 GB sparse file": sparse, "directory": dir} {
		link := filepath.Join(dir, "link-"+strings.NewReplacer("/", "_", " ", "_").Replace(name))
		if err := os.Symlink(p, link); err != nil {
			t.Fatal(err)
		}
		paths["symlink to "+name] = link
	}
	return paths
}

// TestFileBackedSourcesRefuseSpecialFiles: neither File nor ClarifaiConfig
// blocks or reads without bound on what is not a regular file, first read
// or re-read, and neither treats it as "no key here".
func TestFileBackedSourcesRefuseSpecialFiles(t *testing.T) {
	for name, path := range specialPaths(t) {
		t.Run(name, func(t *testing.T) {
			for _, src := range []interface {
				Source
				Err() error
			}{File(path), ClarifaiConfig(path)} {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				var err error
				within(t, 10*time.Second, fmt.Sprint(src), func() { _, err = src.Key(ctx) })
				cancel()
				if err == nil || errors.Is(err, ErrNoKey) || errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%v: error = %v, want a read failure", src, err)
					continue
				}
				if !strings.Contains(err.Error(), "not a regular file") && !strings.Contains(err.Error(), "larger than") {
					t.Errorf("%v: error %q does not say what is wrong", src, err)
				}
			}
		})
	}
}

// A key file swapped for a FIFO after a good read: the last good key keeps
// serving, Err says why, and no read blocks.
func TestFileSwappedForFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	writeFile(t, path, marker)
	src := File(path, FileRefreshInterval(time.Millisecond))
	wantKey(t, src, marker)
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip(err)
	}
	time.Sleep(2 * time.Millisecond)
	within(t, 5*time.Second, "Key", func() { wantKey(t, src, marker) })
	if err := src.Err(); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("Err() = %v, want the FIFO refusal", err)
	}
}

func TestClarifaiConfigHostileFiles(t *testing.T) {
	cfgCleanEnv(t)
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	for name, content := range map[string]string{
		"alias bomb as current_context": bomb.String() + "current_context: *a11\n",
		"alias bomb as contexts":        bomb.String() + "contexts: *a11\ncurrent_context: a\n",
		"alias bomb as a context":       bomb.String() + "contexts:\n  a: *a11\ncurrent_context: a\n",
		"alias bomb as the PAT":         bomb.String() + "contexts:\n  a:\n    CLARIFAI_PAT: *a11\ncurrent_context: a\n",
		"a PAT as current_context":      "current_context: " + marker + "\ncontexts:\n  default:\n    CLARIFAI_PAT: x\n",
		"a PAT as a context name":       "current_context: prod\ncontexts:\n  " + marker + ":\n    CLARIFAI_PAT: " + marker + "\n",
		"a huge current_context":        "current_context: " + strings.Repeat(marker, 1<<15) + "\n",
		"an alias named like a PAT":     "current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: *" + marker + "\n",
		"a duplicate key":               "current_context: " + marker + "\ncurrent_context: " + marker + "\n",
		"deep nesting":                  strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n",
		"binary garbage":                "\x00\x01\x02" + marker + "\xff",
		"the PAT alone":                 marker + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := cfgWrite(t, t.TempDir(), content)
			src := ClarifaiConfig(path)
			var err error
			within(t, 10*time.Second, "Key", func() { _, err = src.Key(context.Background()) })
			if err == nil {
				t.Fatal("Key succeeded")
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
			leakCheck(t, "error", err, marker)
			leakCheck(t, "source", src, marker)
			if s := src.String(); strings.Contains(s, marker[:8]) {
				t.Errorf("String = %q", s)
			}
		})
	}
	// A context name given by the program that looks like a secret is not
	// printed either (the source keeps it, as the program gave it).
	path := cfgWrite(t, t.TempDir(), "current_context: a\ncontexts:\n  a: {}\n")
	src := ClarifaiConfig(path, ConfigContext(marker))
	_, err := src.Key(context.Background())
	leakCheck(t, "error", err, marker)
	assertNoSecret(t, "String", src.String(), marker)
	assertNoSecret(t, "fmt", fmt.Sprint(src), marker)
}

// TestCachedHerd: 1000 goroutines on a cold Cached share one call to the
// source, and none is left behind.
func TestCachedHerd(t *testing.T) {
	before := runtime.NumGoroutine()
	inner := &countingSource{gate: make(chan struct{})}
	src := Cached(inner, time.Hour)
	const herd = 1000
	var wg sync.WaitGroup
	var started sync.WaitGroup
	errs := make(chan error, herd)
	for range herd {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			k, err := src.Key(context.Background())
			if err == nil && k.Secret() != "key-1-0123456789abcdef" {
				err = fmt.Errorf("got %v", k)
			}
			errs <- err
		}()
	}
	started.Wait()
	close(inner.gate)
	within(t, 30*time.Second, "the herd", wg.Wait)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := inner.calls.Load(); n != 1 {
		t.Errorf("%d calls to the source for %d callers, want 1", n, herd)
	}
	goroutinesSettle(t, before+2)
}

// TestCachedHungSource: a source that hangs and ignores its context does not
// wedge the cache: each refresh is abandoned at the timeout, callers never
// wait past it, a later call starts a new refresh, and at most one
// abandoned refresh is added per timeout.
func TestCachedHungSource(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	var calls atomic.Int64
	var hang atomic.Bool
	hang.Store(true)
	src := Cached(SourceFunc(func(context.Context) (Key, error) {
		calls.Add(1)
		if hang.Load() {
			<-release // ignores its context
		}
		return NewKey(KindKey, marker)
	}), 0, CacheRefreshTimeout(50*time.Millisecond))
	start := time.Now()
	const rounds = 5
	for i := range rounds {
		var err error
		within(t, 5*time.Second, "Key", func() { _, err = src.Key(context.Background()) })
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "abandoned") {
			t.Fatalf("round %d: error = %v, want an abandoned refresh", i, err)
		}
		leakCheck(t, "error", err, marker)
	}
	elapsed := time.Since(start)
	if n, max := calls.Load(), int64(elapsed/(50*time.Millisecond))+1; n > max {
		t.Errorf("%d refreshes started in %v, more than one per timeout (%d)", n, elapsed, max)
	}
	if n := runtime.NumGoroutine() - before; n > rounds+2 {
		t.Errorf("%d goroutines added by %d abandoned refreshes", n, rounds)
	}
	// The source recovers: a later call gets a key.
	hang.Store(false)
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		k, err := src.Key(context.Background())
		if err == nil && k.Secret() == marker {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no key after the source recovered: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	goroutinesSettle(t, before+2)
}

// TestCachedPanickingSource: a panic in the source reaches the callers
// waiting on it as an error that holds nothing of the panic's value, and
// the program goes on.
func TestCachedPanickingSource(t *testing.T) {
	var panicking atomic.Bool
	panicking.Store(true)
	gate := make(chan struct{})
	src := Cached(SourceFunc(func(context.Context) (Key, error) {
		<-gate
		if panicking.Load() {
			panic("secret manager bug: " + marker)
		}
		return NewKey(KindKey, marker)
	}), 0)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := src.Key(context.Background())
			errs <- err
		})
	}
	time.Sleep(10 * time.Millisecond)
	close(gate)
	within(t, 10*time.Second, "the callers", wg.Wait)
	close(errs)
	for err := range errs {
		if err == nil || !strings.Contains(err.Error(), "panicked") || errors.Is(err, ErrNoKey) {
			t.Fatalf("error = %v, want the panic as an error", err)
		}
		leakCheck(t, "error", err, marker)
	}
	panicking.Store(false)
	time.Sleep(time.Millisecond)
	if k, err := src.Key(context.Background()); err != nil || k.Secret() != marker {
		t.Errorf("after the panics: %v, %v", k, err)
	}
}
