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

func TestFileFirstRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	writeFile(t, path, "  "+testSecret+"\n")
	src := File(path)
	if err := lastErr(src); err != nil {
		t.Errorf("Err() before any read = %v", err)
	}
	k, err := src.Key(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if k.Secret() != testSecret || k.Kind() != KindKey {
		t.Errorf("Key = %v with secret %q, want a KindKey holding the trimmed content", k, k.Secret())
	}
	if err := lastErr(src); err != nil {
		t.Errorf("Err() after a good read = %v", err)
	}
	if got := describe(src); got != "file "+path {
		t.Errorf("String() = %q", got)
	}
	var _ Source = src
}

func TestFileOfAKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, testSecret)
	for _, kind := range []Kind{KindAPIKey, KindPAT, KindSessionToken} {
		k, err := File(path, kind).Key(context.Background())
		if err != nil || k.Kind() != kind {
			t.Errorf("File(path, %v): got %v, %v", kind, k, err)
		}
	}
	_, err := File(path, Kind(0)).Key(context.Background())
	if !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Kind(0): error %v, want ErrInvalidKey", err)
	}
}

func TestFileRotationByRename(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		writeFile(t, path, "key-one-0123456789")
		src := File(path, RefreshInterval(10*time.Second))
		wantKey(t, src, "key-one-0123456789")

		replaceFile(t, path, "key-two-0123456789")
		time.Sleep(9 * time.Second)
		wantKey(t, src, "key-one-0123456789") // not re-read within the interval
		time.Sleep(time.Second)
		wantKey(t, src, "key-two-0123456789")

		replaceFile(t, path, "key-three-0123456789")
		time.Sleep(10*time.Second - 1)
		wantKey(t, src, "key-two-0123456789")
		time.Sleep(time.Nanosecond) // synctest: the fake clock reaches the interval exactly
		wantKey(t, src, "key-three-0123456789")
	})
}

// k8sSecretDir builds the layout of a Kubernetes secret volume in dir:
//
//	dir/key   -> ..data/key
//	dir/..data -> ..<ts>
//	dir/..<ts>/key
//
// and returns a function that rotates it the way the kubelet does: write a
// new timestamped directory, point a temporary link at it, rename the link
// over ..data, remove the old directory.
func k8sSecretDir(t *testing.T, dir, content string) (rotate func(content string)) {
	t.Helper()
	n := 0
	writeVersion := func(content string) string {
		n++
		ts := fmt.Sprintf("..2026_01_01_00_00_%02d.%d", n, n)
		if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, ts, "key"), content)
		return ts
	}
	current := writeVersion(content)
	if err := os.Symlink(current, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "key"), filepath.Join(dir, "key")); err != nil {
		t.Fatal(err)
	}
	return func(content string) {
		t.Helper()
		next := writeVersion(content)
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(next, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(dir, current)); err != nil {
			t.Fatal(err)
		}
		current = next
	}
}

func TestFileRotationByKubernetesSymlinkSwap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		rotate := k8sSecretDir(t, dir, "k8s-key-one-0123456789\n")
		src := File(filepath.Join(dir, "key"), RefreshInterval(time.Minute))
		wantKey(t, src, "k8s-key-one-0123456789")

		rotate("k8s-key-two-0123456789\n")
		wantKey(t, src, "k8s-key-one-0123456789")
		time.Sleep(time.Minute)
		wantKey(t, src, "k8s-key-two-0123456789")

		rotate("k8s-key-three-0123456789\n")
		time.Sleep(time.Minute)
		wantKey(t, src, "k8s-key-three-0123456789")
		if err := lastErr(src); err != nil {
			t.Errorf("Err() = %v after clean rotations", err)
		}
	})
}

// TestFileRotationUnderConcurrentReaders has readers hammer Key while the
// file rotates, alternately by rename and by symlink swap: every key any
// reader sees must be one that was written, never empty or torn.
func TestFileRotationUnderConcurrentReaders(t *testing.T) {
	const rotations = 200
	dir := t.TempDir()
	secretFor := func(i int) string { return fmt.Sprintf("rotating-key-%04d-%s", i, strings.Repeat("x", 32)) }
	rotate := k8sSecretDir(t, dir, secretFor(0))
	plain := filepath.Join(dir, "plain")
	writeFile(t, plain, secretFor(0))

	var written sync.Map
	written.Store(secretFor(0), true)
	// A read that resolved ..data just before the kubelet removed the old
	// directory fails with ENOENT: a real race, hidden from callers by the
	// last good key. A rename over the file never makes a read fail.
	var k8sFailures, renameFailures atomic.Int64
	sources := []Source{
		File(filepath.Join(dir, "key"), RefreshInterval(50*time.Microsecond), OnError(func(err error) {
			k8sFailures.Add(1)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("symlink swap: unexpected read failure %v", err)
			}
		})),
		File(plain, RefreshInterval(50*time.Microsecond), OnError(func(err error) {
			renameFailures.Add(1)
			t.Errorf("rename: read failure %v", err)
		})),
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var calls atomic.Int64
	seen := make([]sync.Map, len(sources))
	for g := range 8 {
		readers.Go(func() {
			src := sources[g%len(sources)]
			ctx := context.Background()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k, err := src.Key(ctx)
				calls.Add(1)
				if err != nil {
					t.Errorf("reader %d: Key error during rotation: %v", g, err)
					return
				}
				if _, ok := written.Load(k.Secret()); !ok {
					t.Errorf("reader %d: got a key that was never written (len %d)", g, len(k.Secret()))
					return
				}
				seen[g%len(sources)].Store(k.Secret(), true)
				runtime.Gosched() // let the writer run on a small machine
			}
		})
	}
	for i := 1; i <= rotations; i++ {
		s := secretFor(i)
		written.Store(s, true) // before it can be read
		rotate(s)
		replaceFile(t, plain, s)
	}
	// The last rotation must be picked up.
	deadline := time.Now().Add(5 * time.Second)
	for _, src := range sources {
		for {
			k, _ := src.Key(context.Background())
			if k.Secret() == secretFor(rotations) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never served the last rotation", src)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	readers.Wait()

	for i := range sources {
		n := 0
		seen[i].Range(func(any, any) bool { n++; return true })
		if n < 2 {
			t.Errorf("%s: readers saw %d distinct keys over %d rotations; the test did not exercise rotation", sources[i], n, rotations)
		}
	}
	t.Logf("%d Key calls during %d rotations; %d reads failed during symlink swaps, %d during renames",
		calls.Load(), rotations, k8sFailures.Load(), renameFailures.Load())
}

func TestFileMissingDuringRotationKeepsLastGoodKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		writeFile(t, path, "good-key-0123456789")
		var reported []error
		src := File(path, RefreshInterval(10*time.Second),
			OnError(func(err error) { reported = append(reported, err) }))
		wantKey(t, src, "good-key-0123456789")

		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		wantKey(t, src, "good-key-0123456789")
		if len(reported) != 1 || !errors.Is(reported[0], fs.ErrNotExist) {
			t.Fatalf("OnError got %v, want one error wrapping fs.ErrNotExist", reported)
		}
		if err := lastErr(src); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("Err() = %v, want the missing-file error naming the path", err)
		}

		// Still missing: retried after a second, not on every call.
		for range 100 {
			wantKey(t, src, "good-key-0123456789")
		}
		if len(reported) != 1 {
			t.Errorf("%d failed reads reported before the retry delay, want 1", len(reported))
		}
		time.Sleep(time.Second)
		wantKey(t, src, "good-key-0123456789")
		if len(reported) != 2 {
			t.Errorf("%d failed reads reported after the retry delay, want 2", len(reported))
		}

		// Invalid content during rotation is also hidden, and reported.
		writeFile(t, path, "half written\x00")
		time.Sleep(time.Second)
		wantKey(t, src, "good-key-0123456789")
		if err := lastErr(src); !errors.Is(err, ErrInvalidKey) || len(reported) != 3 {
			t.Errorf("Err() = %v (%d reports), want ErrInvalidKey (3 reports)", err, len(reported))
		}

		// The file comes back rotated: seen after the short retry delay, not
		// a whole interval.
		writeFile(t, path, "new-key-0123456789")
		time.Sleep(time.Second)
		wantKey(t, src, "new-key-0123456789")
		if err := lastErr(src); err != nil {
			t.Errorf("Err() = %v after a good read, want nil", err)
		}
	})
}

func TestFileMissingAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "absent")
		var reported atomic.Int64
		src := File(path, RefreshInterval(time.Minute), OnError(func(error) { reported.Add(1) }))
		k, err := src.Key(context.Background())
		if !errors.Is(err, ErrNoKey) || !errors.Is(err, fs.ErrNotExist) || !k.IsZero() {
			t.Fatalf("got %v, %v; want ErrNoKey and fs.ErrNotExist", k, err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the path", err)
		}
		if !errors.Is(lastErr(src), fs.ErrNotExist) || reported.Load() != 1 {
			t.Errorf("Err() = %v, %d reports; want the error, 1 report", lastErr(src), reported.Load())
		}

		// The file appears; the failure is cached for min(interval, 1s).
		writeFile(t, path, "late-key-0123456789")
		time.Sleep(999 * time.Millisecond)
		if _, err := src.Key(context.Background()); !errors.Is(err, ErrNoKey) {
			t.Errorf("within the retry delay: error %v, want the cached ErrNoKey", err)
		}
		time.Sleep(time.Millisecond)
		wantKey(t, src, "late-key-0123456789")
		if reported.Load() != 1 {
			t.Errorf("%d reports, want 1", reported.Load())
		}
	})
}

func TestFileRetryDelayIsAtMostTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "absent")
		src := File(path, RefreshInterval(100*time.Millisecond))
		if _, err := src.Key(context.Background()); !errors.Is(err, ErrNoKey) {
			t.Fatal(err)
		}
		writeFile(t, path, "late-key-0123456789")
		time.Sleep(100 * time.Millisecond)
		wantKey(t, src, "late-key-0123456789")
	})
}

func TestFileReadFailureIsNotErrNoKey(t *testing.T) {
	dir := t.TempDir()
	t.Run("directory", func(t *testing.T) {
		k, err := File(dir).Key(context.Background())
		if err == nil || !k.IsZero() {
			t.Fatalf("got %v, %v; want an error", k, err)
		}
		if errors.Is(err, ErrNoKey) || errors.Is(err, ErrInvalidKey) {
			t.Errorf("error %v wraps ErrNoKey or ErrInvalidKey; a Chain would treat a broken mount as absent", err)
		}
		if !strings.Contains(err.Error(), dir) {
			t.Errorf("error %q does not name the path", err)
		}
		// A Chain stops on it.
		_, err = Chain(File(dir), staticKey(testSecret)).Key(context.Background())
		if err == nil {
			t.Error("Chain went past an unreadable file")
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(dir, "plain")
		writeFile(t, file, "x")
		_, err := File(filepath.Join(file, "key")).Key(context.Background())
		if err == nil || errors.Is(err, ErrNoKey) {
			t.Errorf("error = %v, want a real failure", err)
		}
	})
	t.Run("permission", func(t *testing.T) {
		path := filepath.Join(dir, "locked")
		writeFile(t, path, testSecret)
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		if f, err := os.Open(path); err == nil {
			f.Close()
			t.Skip("the test runs with privileges that ignore file permissions")
		}
		_, err := File(path).Key(context.Background())
		if !errors.Is(err, fs.ErrPermission) || errors.Is(err, ErrNoKey) {
			t.Errorf("error = %v, want fs.ErrPermission and not ErrNoKey", err)
		}
	})
	t.Run("empty path", func(t *testing.T) {
		_, err := File("").Key(context.Background())
		if err == nil || errors.Is(err, ErrNoKey) {
			t.Errorf("error = %v, want a real failure", err)
		}
	})
}

func TestFileInvalidContent(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"inner space":   testSecret + " " + testSecret,
		"two lines":     testSecret + "\n" + testSecret + "\n",
		"NUL":           testSecret + "\x00",
		"non-ASCII":     testSecret + "é",
		"empty":         "",
		"only newlines": "\n\n",
		"too large":     strings.Repeat(testSecret, 1000),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			writeFile(t, path, content)
			_, err := File(path).Key(context.Background())
			if !errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrNoKey) {
				t.Fatalf("error = %v, want ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the path", err)
			}
			assertNoSecret(t, "File error", err.Error(), testSecret)
		})
	}
}

// TestFileReadsAtMostOncePerInterval counts reads through OnError: with
// the file gone, every read fails and is reported, so the number of reports
// is the number of reads. Many goroutines calling at once when the interval
// has passed must cause one read.
func TestFileReadsAtMostOncePerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		writeFile(t, path, "good-key-0123456789")
		var reads atomic.Int64
		src := File(path, RefreshInterval(5*time.Second), OnError(func(error) { reads.Add(1) }))
		wantKey(t, src, "good-key-0123456789")
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		for round := 1; round <= 3; round++ {
			time.Sleep(5 * time.Second)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					<-start
					for range 100 {
						if k, err := src.Key(context.Background()); err != nil || k.Secret() != "good-key-0123456789" {
							t.Errorf("got %v, %v; want the last good key", k, err)
							return
						}
					}
				})
			}
			close(start)
			wg.Wait()
			if got := reads.Load(); got != int64(round) {
				t.Fatalf("round %d: %d reads in total, want %d (one per interval)", round, got, round)
			}
		}
	})
}

func TestFileConcurrentFirstCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	writeFile(t, path, testSecret)
	src := File(path)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			<-start
			k, err := src.Key(context.Background())
			if err != nil || k.Secret() != testSecret {
				t.Errorf("cold Key = %v, %v", k, err)
			}
		})
	}
	close(start)
	wg.Wait()
}

func TestFileCancelledContextAtFirstRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	writeFile(t, path, testSecret)
	var reported atomic.Int64
	src := File(path, OnError(func(error) { reported.Add(1) }))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k, err := src.Key(ctx)
	if !errors.Is(err, context.Canceled) || !k.IsZero() {
		t.Fatalf("got %v, %v; want context.Canceled", k, err)
	}
	if errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q: want a real failure naming the path", err)
	}
	if lastErr(src) != nil || reported.Load() != 0 {
		t.Errorf("a cancelled call was recorded as a failed read: Err() = %v", lastErr(src))
	}
	// The cancelled call did not poison the source.
	wantKey(t, src, testSecret)

	// Once warm, a done context still gets the cached key.
	k, err = src.Key(ctx)
	if err != nil || k.Secret() != testSecret {
		t.Errorf("warm Key with a done context = %v, %v", k, err)
	}
}

func TestFileWarmKeyDoesNotAllocate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	writeFile(t, path, testSecret)
	src := File(path)
	ctx := context.Background()
	wantKey(t, src, testSecret)
	if n := testing.AllocsPerRun(1000, func() { _, _ = src.Key(ctx) }); n != 0 {
		t.Errorf("warm File.Key allocates %v times per call, want 0", n)
	}
}

// TestFileUnchangedContentKeepsKey checks that re-reading an unchanged file
// keeps the same Key rather than building a new one.
func TestFileUnchangedContentKeepsKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		writeFile(t, path, testSecret+"\n")
		src := File(path)
		k1, _ := src.Key(context.Background())
		time.Sleep(defaultFileRefreshInterval)
		k2, _ := src.Key(context.Background())
		if k1 != k2 { // same NewKey result, not merely Equal
			t.Error("an unchanged file produced a new Key")
		}
	})
}

func TestFileRedaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	writeFile(t, path, testSecret)
	src := File(path)
	wantKey(t, src, testSecret)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assertNoSecret(t, "Sprintf "+verb, fmt.Sprintf(verb, src), testSecret)
	}
}
