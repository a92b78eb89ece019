//go:build unix

package keysource

// The keysource part of the adversarial suite (issue 13): hostile secrets,
// files and sources. Each TestAttack asserts the secure outcome that
// applies: no secret in any output (a marker key is searched for in every
// error, String, Err and fmt rendering, and by reflection, with
// testutil.NoSecret), no call blocked past its deadline, memory and
// goroutines bounded (goleak checks the package at its end).
//
// Attacks covered here:
//   - 2  a PAT in the wrong spot of the CLI config: TestAttackPATInTheWrongSpot
//   - 3  setting names matched by Unicode case folding: TestAttackUnicodeSettingNames
//   - 4  reflection printers reach the secret: TestAttackReflectionPrinters
//   - 5  a FIFO as key file or CLI config: TestAttackFIFO
//   - 6  a hung or panicking source wedges Cached: TestAttackCachedWedge
//   - 11 a same-size same-second rewrite, a briefly missing config: TestAttackStaleConfig
//   - held: CRLF/NUL/unicode keys (TestAttackHostileSecrets), alias bombs
//     (TestAttackAliasBombs), /dev/zero (TestAttackDevZero), 1 GB sparse
//     files (TestAttackSparseFile), 1000 goroutines on Cached
//     (TestAttackCachedHerd).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
)

// marker is a secret no output may contain, even in part.
const marker = "MARKERsecretZZ0123456789abcdefQQ"

func TestAttackHostileSecrets(t *testing.T) {
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
				_, err := keyWithin(t, Env("KS_ADV_PAT"), 5*time.Second)
				errs = append(errs, err)
			}
			_, err := keyWithin(t, staticKey(secret), 5*time.Second)
			errs = append(errs, err)
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			writeFile(t, path, secret)
			_, err = keyWithin(t, File(path), 5*time.Second)
			errs = append(errs, err)
			cfg := filepath.Join(dir, "cfg-"+filepath.Base(path))
			writeFile(t, cfg, fmt.Sprintf("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: %q\n", secret))
			src := ClarifaiConfig(cfg)
			_, err = keyWithin(t, src, 5*time.Second)
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
	t.Setenv("CLARIFAI_PAT", "Key "+marker)
	t.Setenv("CLARIFAI_API_KEY", "")
	t.Setenv("CLARIFAI_SESSION_TOKEN", "")
	_, err := Env().Key(context.Background())
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), `drop the "Key " prefix`) || !strings.Contains(err.Error(), "CLARIFAI_PAT") {
		t.Errorf("error = %v, want ErrInvalidKey with a hint to drop the prefix", err)
	}
	leakCheck(t, "error", err, marker)
	if _, err := NewKey(KindPAT, "Keyless-secret-0123456789"); err != nil {
		t.Errorf("a secret starting with Key but no space was refused: %v", err)
	}
}

// TestAttackReflectionPrinters walks Keys, and every source holding one,
// the way reflection-based printers (spew, go-cmp, testify) do.
func TestAttackReflectionPrinters(t *testing.T) {
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
		"Key as a Source": Source(mustKey(t, KindKey, marker)), "File": fileSrc, "ClarifaiConfig": cfgSrc, "Env": envSrc,
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

// refuseSpecial checks that neither File nor ClarifaiConfig blocks or reads
// without bound on the named special paths, and that neither treats one as
// "no key here": each call ends well before its deadline with an error that
// says what is wrong, allocating far less than the file's size.
func refuseSpecial(t *testing.T, names ...string) {
	paths := specialPaths(t)
	for _, name := range names {
		path, ok := paths[name]
		if !ok {
			continue // not on this system (unix sockets)
		}
		t.Run(name, func(t *testing.T) {
			for _, src := range []Source{File(path), ClarifaiConfig(path)} {
				var err error
				alloc := allocated(func() {
					for range 2 { // the first read, and a re-read
						_, err = keyWithin(t, src, 5*time.Second)
					}
				})
				if alloc > 1<<20 {
					t.Errorf("%v: two reads allocated %d bytes", src, alloc)
				}
				if err == nil || errors.Is(err, ErrNoKey) || errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%v: error = %v, want a read failure", src, err)
					continue
				}
				if !strings.Contains(err.Error(), "not a regular file") && !strings.Contains(err.Error(), "larger than") {
					t.Errorf("%v: error %q does not say what is wrong", src, err)
				}
				leakCheck(t, "error", err, marker)
				leakCheck(t, "source", src, marker)
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// keyWithin calls src.Key with a deadline of d and fails the test if the
// call outlives it by more than a second: a hang fails here, at once, and
// not at the test binary's timeout.
func keyWithin(t *testing.T, src Source, d time.Duration) (Key, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var k Key
	var err error
	within(t, d+time.Second, fmt.Sprint(src), func() { k, err = src.Key(ctx) })
	return k, err
}

// TestAttackFIFO (attack 5): a key file or CLI config that is a FIFO (or
// another thing that is not a regular file) is refused without blocking,
// at the first read and when swapped in later; callers with deadlines
// never wait past them, however many come at once.
func TestAttackFIFO(t *testing.T) {
	refuseSpecial(t, "FIFO", "symlink to FIFO", "unix socket", "directory", "symlink to directory")

	// Swapped in after a good read: the last good key keeps serving, Err
	// says why, and no read blocks.
	for name, mk := range map[string]func(path string) Source{
		"File":           func(p string) Source { return File(p, RefreshInterval(time.Millisecond)) },
		"ClarifaiConfig": func(p string) Source { return ClarifaiConfig(p, RefreshInterval(time.Millisecond)) },
	} {
		t.Run("swapped for a FIFO, "+name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			content := marker
			if name == "ClarifaiConfig" {
				content = cfgSingle("a", marker)
			}
			writeFile(t, path, content)
			src := mk(path)
			wantKey(t, src, marker)
			os.Remove(path)
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip(err)
			}
			time.Sleep(5 * time.Millisecond)
			for range 3 {
				k, err := keyWithin(t, src, 5*time.Second)
				if err != nil || k.Secret() != marker {
					t.Fatalf("Key = %v, %v; want the last good key", k, err)
				}
				time.Sleep(2 * time.Millisecond)
			}
			err := lastErr(src)
			if err == nil || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("Err() = %v, want the FIFO refusal", err)
			}
			leakCheck(t, "Err", err, marker)
			leakCheck(t, "source", src, marker)
		})
	}

	// A herd of callers with short deadlines on a FIFO config, cold: the
	// first read takes nothing that ignores their contexts.
	t.Run("callers with deadlines on a cold FIFO", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Skip(err)
		}
		for _, src := range []Source{File(path), ClarifaiConfig(path)} {
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
					defer cancel()
					_, _ = src.Key(ctx)
				})
			}
			within(t, 5*time.Second, fmt.Sprint(src), wg.Wait)
		}
	})
}

// TestAttackDevZero (held): /dev/zero, /dev/null and a link to /dev/zero as
// a key file or CLI config are refused at once, reading nothing.
func TestAttackDevZero(t *testing.T) {
	refuseSpecial(t, "/dev/zero", "/dev/null", "symlink to /dev/zero")
}

// TestAttackSparseFile (held): a 1 GB sparse file, or a link to one, as a
// key file or CLI config is refused by its size, without reading it.
func TestAttackSparseFile(t *testing.T) {
	refuseSpecial(t, "1 GB sparse file", "symlink to 1 GB sparse file")
}

// hostileConfig checks that ClarifaiConfig refuses each content with a
// short error, quickly, within bounded memory, and that no error, Err,
// String or fmt rendering reveals marker.
func hostileConfig(t *testing.T, contents map[string]string) {
	cfgCleanEnv(t)
	for name, content := range contents {
		t.Run(name, func(t *testing.T) {
			path := cfgWrite(t, t.TempDir(), content)
			src := ClarifaiConfig(path)
			var err error
			// A 1 MiB file costs a few MiB to parse; a bomb that expanded
			// would cost gigabytes.
			if alloc := allocated(func() { _, err = keyWithin(t, src, 10*time.Second) }); alloc > 32<<20 {
				t.Errorf("Key allocated %d MiB", alloc>>20)
			}
			if err == nil {
				t.Fatal("Key succeeded")
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
			leakCheck(t, "error", err, marker)
			leakCheck(t, "Err", lastErr(src), marker)
			leakCheck(t, "source", src, marker)
		})
	}
}

// TestAttackPATInTheWrongSpot (attack 2): a PAT pasted as a context name, as
// current_context, as an alias or as the whole file is never printed; a
// 1 MiB current_context gives a short error.
func TestAttackPATInTheWrongSpot(t *testing.T) {
	hostileConfig(t, map[string]string{
		"a PAT as current_context":  "current_context: " + marker + "\ncontexts:\n  default:\n    CLARIFAI_PAT: x\n",
		"a PAT as a context name":   "current_context: prod\ncontexts:\n  " + marker + ":\n    CLARIFAI_PAT: " + marker + "\n",
		"a 1 MiB current_context":   "current_context: " + strings.Repeat(marker, 1<<15) + "\n",
		"an alias named like a PAT": "current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: *" + marker + "\n",
		"a duplicate key":           "current_context: " + marker + "\ncurrent_context: " + marker + "\n",
		"the PAT alone":             marker + "\n",
		"a PAT as a list item":      "current_context: a\ncontexts:\n  - " + marker + "\n",
	})
	// A context name given by the program that looks like a secret is not
	// printed by errors or String either. The source keeps it, as the
	// program gave it, so %#v and reflection reach it: that is the
	// program's own string, not one taken from the file.
	path := cfgWrite(t, t.TempDir(), "current_context: a\ncontexts:\n  a: {}\n")
	src := ClarifaiConfig(path, ConfigContext(marker))
	_, err := keyWithin(t, src, 5*time.Second)
	if err == nil {
		t.Fatal("Key succeeded")
	}
	leakCheck(t, "error", err, marker)
	for _, verb := range []string{"%v", "%+v", "%s", "%q"} {
		testutil.NoSecret(t, "source "+verb, fmt.Sprintf(verb, src), marker)
	}
	testutil.NoSecret(t, "String", describe(src), marker)
}

// TestAttackAliasBombs (held): YAML alias bombs wherever the CLI config has
// a value, deep nesting and binary garbage end quickly, in bounded memory,
// with a short error.
func TestAttackAliasBombs(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	hostileConfig(t, map[string]string{
		"as current_context": bomb.String() + "current_context: *a11\n",
		"as contexts":        bomb.String() + "contexts: *a11\ncurrent_context: a\n",
		"as a context":       bomb.String() + "contexts:\n  a: *a11\ncurrent_context: a\n",
		"as env":             bomb.String() + "contexts:\n  a:\n    env: *a11\ncurrent_context: a\n",
		"as the PAT":         bomb.String() + "contexts:\n  a:\n    CLARIFAI_PAT: *a11\ncurrent_context: a\n",
		"beside the PAT":     bomb.String() + "contexts:\n  a:\n    x: *a11\n    CLARIFAI_PAT: \"" + marker + " x\"\ncurrent_context: a\n",
		"deep nesting":       strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n",
		"binary garbage":     "\x00\x01\x02" + marker + "\xff",
	})
}

// TestAttackUnicodeSettingNames (attack 3): setting names are matched in
// ASCII only. A name that Unicode case folding (strings.ToUpper,
// ToLower, EqualFold) would turn into a credential or setting name — the
// Kelvin sign K (U+212A) for K, the long s ſ (U+017F) for S, the dotless ı
// (U+0131) for I — is not a setting: its value is neither the key nor a
// setting, and no output shows it.
func TestAttackUnicodeSettingNames(t *testing.T) {
	cfgCleanEnv(t)
	content := "current_context: a\ncontexts:\n  a:\n" +
		"    CLARIFA\u0131_PAT: " + marker + "\n" + // ı upper-cases to I
		"    clarifa\u0131_pat: " + marker + "\n" +
		"    CLARIFAI_SESSION_TO\u212AEN: " + marker + "\n" + // K lower-cases to k
		"    session_to\u212Aen: " + marker + "\n" +
		"    CLARIFAI_\u017FESSION_TOKEN: " + marker + "\n" + // ſ upper-cases to S
		"    \u017Fession_token: " + marker + "\n" +
		"    CLARIFAI_U\u017FER_ID: " + marker + "\n" +
		"    u\u017Fer_id: " + marker + "\n" +
		"    CLARIFAI_API_\u212AEY: " + marker + "\n" +
		"    api_\u212Aey: " + marker + "\n" +
		"    Clarifai_Pat: " + marker + "\n" + // neither exact nor the short form
		"    PAT: " + marker + "\n"
	path := cfgWrite(t, t.TempDir(), content)

	parsed, err := cliconfig.Parse([]byte(content), "")
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Settings != (cliconfig.Settings{}) || parsed.Credentials != (cliconfig.Credentials{}) {
		t.Errorf("Parse matched a name by Unicode folding: settings %+v, credentials set: %v",
			parsed.Settings, parsed.Credentials != (cliconfig.Credentials{}))
	}
	settings, err := cliconfig.Load(context.Background(), path, "")
	if err != nil || settings != (cliconfig.Settings{}) {
		t.Errorf("Load = %+v, %v; want no settings", settings, err)
	}
	testutil.NoSecret(t, "settings", fmt.Sprintf("%+v", settings), marker)

	src := ClarifaiConfig(path)
	k, err := keyWithin(t, src, 5*time.Second)
	if !errors.Is(err, ErrNoKey) || !k.IsZero() {
		t.Fatalf("Key = %v, %v; want ErrNoKey", k, err)
	}
	leakCheck(t, "error", err, marker)
	leakCheck(t, "source", src, marker)
	cfgHomeWrite(t, content)
	def := Default()
	if _, err := keyWithin(t, def, 5*time.Second); !errors.Is(err, ErrNoKey) {
		t.Errorf("Default: %v; want ErrNoKey", err)
	} else {
		leakCheck(t, "Default error", err, marker)
	}
}

// cfgHomeWrite writes content as the CLI's config in a new home directory.
func cfgHomeWrite(t *testing.T, content string) {
	t.Helper()
	writeFile(t, cfgHome(t), content)
}

// TestAttackStaleConfig (attack 11): a clarifai login that rewrites the
// config with another PAT of the same size within the same second is seen
// at the next check; a config briefly missing keeps serving the last good
// key (Err says why) and is read again sooner than the refresh interval.
func TestAttackStaleConfig(t *testing.T) {
	cfgCleanEnv(t)
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		first, second, third := testutil.Marker(t), testutil.Marker(t), testutil.Marker(t)
		path := cfgWrite(t, dir, cfgSingle("default", first))
		src := ClarifaiConfig(path)
		wantKey(t, src, first)
		before, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}

		// Same size, same modification time, another PAT.
		writeFile(t, path, cfgSingle("default", second))
		if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
			t.Fatal(err)
		}
		if after, _ := os.Stat(path); after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
			t.Fatal("the rewrite changed the size or time")
		}
		time.Sleep(defaultConfigRefreshInterval)
		wantKey(t, src, second)

		// Briefly missing: the last good key, and the reason in Err.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		time.Sleep(defaultConfigRefreshInterval)
		wantKey(t, src, second)
		if err := lastErr(src); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Err while the file is missing = %v", err)
		}
		for _, m := range []string{first, second} {
			leakCheck(t, "Err", lastErr(src), m)
			leakCheck(t, "source", src, m)
		}
		// Back within a second, not the full interval.
		writeFile(t, path, cfgSingle("default", third))
		time.Sleep(time.Second)
		wantKey(t, src, third)
		if err := lastErr(src); err != nil {
			t.Errorf("Err after the file came back = %v", err)
		}
	})
}

// TestAttackCachedHerd (held): 1000 goroutines on a cold Cached share one
// call to the source, none waits past its deadline, and none is left behind.
func TestAttackCachedHerd(t *testing.T) {
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

// TestAttackCachedWedge (attack 6): a source that hangs, or panics, does not
// wedge a Cached source nor kill the program.
func TestAttackCachedWedge(t *testing.T) {
	t.Run("hung source", cachedHungSource)
	t.Run("panicking source", cachedPanickingSource)
}

// cachedHungSource: a source that hangs and ignores its context does not
// wedge the cache: each refresh is abandoned at the timeout, callers never
// wait past it, a later call starts a new refresh, and at most one
// abandoned refresh is added per timeout.
func cachedHungSource(t *testing.T) {
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
	}), 0, RefreshTimeout(50*time.Millisecond))
	// Each round is a burst of callers arriving together: they share one
	// refresh, which is abandoned at the timeout, so a round adds one
	// refresh (two if a caller arrives just as the first is abandoned),
	// not one per caller.
	const rounds, callers = 5, 20
	for i := range rounds {
		errs := make(chan error, callers)
		within(t, 5*time.Second, "a burst of Key calls", func() {
			for range callers {
				go func() {
					_, err := src.Key(context.Background())
					errs <- err
				}()
			}
			for range callers {
				err := <-errs
				if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "abandoned") {
					t.Errorf("round %d: error = %v, want an abandoned refresh", i, err)
				}
				leakCheck(t, "error", err, marker)
			}
		})
	}
	if n := calls.Load(); n > 2*rounds {
		t.Errorf("%d refreshes started by %d bursts of %d callers, want at most %d", n, rounds, callers, 2*rounds)
	}
	if n := runtime.NumGoroutine() - before; n > 2*rounds+2 {
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

// cachedPanickingSource: a panic in the source reaches the callers waiting
// on it as an error that holds nothing of the panic's value, and the
// program goes on.
func cachedPanickingSource(t *testing.T) {
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
