package keysource

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// panicky is a Source whose String panics, as a caller's might.
type panicky struct{ Source }

func (panicky) String() string { panic("String exploded") }

// A panic in a caller's OnError, Source or String is contained: Key answers
// with an error and the process goes on. Before, the OnError panic was
// re-raised on the single flight's goroutine and killed the process.
func TestPanicsInCallersCodeAreContained(t *testing.T) {
	boom := OnError(func(error) { panic("OnError exploded") })
	missing := filepath.Join(t.TempDir(), "missing")
	failing := SourceFunc(func(context.Context) (Key, error) { return Key{}, errors.New("secret manager down") })
	panicking := SourceFunc(func(context.Context) (Key, error) { panic("Key exploded") })
	cases := map[string]struct {
		src  Source
		want error
	}{
		"File with a panicking OnError":           {File(missing, boom), fs.ErrNotExist},
		"ClarifaiConfig with a panicking OnError": {ClarifaiConfig(missing, boom), fs.ErrNotExist},
		"Cached with a panicking OnError":         {Cached(failing, time.Minute, boom), nil},
		"Cached of a panicking Source":            {Cached(panicking, time.Minute), errPanicked},
		"Cached of a Source whose String panics":  {Cached(panicky{failing}, time.Minute, boom), nil},
		"Cached of a panicking Source and String": {Cached(panicky{panicking}, time.Minute, boom), errPanicked},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for range 2 {
				_, err := c.src.Key(context.Background())
				if err == nil || c.want != nil && !errors.Is(err, c.want) {
					t.Fatalf("Key = %v, want an error wrapping %v", err, c.want)
				}
				if strings.Contains(err.Error(), "exploded") {
					t.Errorf("the panic's value reached the error: %v", err)
				}
			}
		})
	}
}

// A read that hangs is given up after RefreshTimeout, and a caller waits
// no longer than its context; the last good key keeps serving meanwhile.
func TestHungReadIsGivenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		writeFile(t, path, testSecret)
		gate := make(chan struct{})
		var hang atomic.Bool
		orig := readFile
		readFile = func(ctx context.Context, p string, limit int64) ([]byte, error) {
			if hang.Load() {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return orig(ctx, p, limit)
		}
		defer func() { readFile = orig }()

		var reported atomic.Int32
		hang.Store(true)
		src := File(path, RefreshInterval(time.Minute), RefreshTimeout(10*time.Second), OnError(func(err error) {
			if errors.Is(err, context.DeadlineExceeded) {
				reported.Add(1)
			}
		}))

		// No key yet: the caller's context ends first.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := src.Key(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Key during a hung first read = %v, want the context's error", err)
		}
		// The refresh itself is given up at its timeout.
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if reported.Load() != 1 {
			t.Fatalf("%d abandoned reads reported, want 1", reported.Load())
		}
		_, err = src.Key(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "abandoned") {
			t.Fatalf("Key after the read was given up = %v", err)
		}

		// With a good key, a hung re-read does not hold callers.
		hang.Store(false)
		time.Sleep(time.Second) // past the retry delay
		wantKey(t, src, testSecret)
		hang.Store(true)
		time.Sleep(time.Minute)
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if k, err := src.Key(ctx); err != nil || k.Secret() != testSecret {
			t.Fatalf("Key during a hung re-read = %v, %v; want the last good key", k, err)
		}
		close(gate)
		synctest.Wait()
	})
}

// TestSourceThatNeverReturns: a Source that ignores its context and never
// returns is given up at each RefreshTimeout; the abandoned calls are
// bounded, so retries over hours hold a few goroutines, not one per retry.
func TestSourceThatNeverReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var running, most atomic.Int32
		deaf := SourceFunc(func(context.Context) (Key, error) {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			defer running.Add(-1)
			<-release
			return Key{}, errors.New("released")
		})
		var reported atomic.Int32
		src := Cached(deaf, time.Minute, RefreshTimeout(time.Second), OnError(func(error) { reported.Add(1) }))
		const attempts = 200
		for range attempts {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			if _, err := src.Key(ctx); err == nil {
				t.Fatal("Key of a source that never returns succeeded")
			}
			cancel()
			time.Sleep(2 * time.Second) // past the timeout and the retry delay
			synctest.Wait()
		}
		if n := most.Load(); n > 4 { // maxAsking
			t.Errorf("%d calls to the source at once after %d refreshes, want at most 4", n, attempts)
		}
		if n := reported.Load(); n < attempts-1 {
			t.Errorf("%d failed refreshes reported, want one per attempt (%d)", n, attempts)
		}
		close(release)
		synctest.Wait()
		if n := running.Load(); n != 0 {
			t.Errorf("%d calls to the source still running after release", n)
		}
	})
}
