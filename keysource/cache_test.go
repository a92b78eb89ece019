package keysource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestCachedConcurrentCallersShareOneRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{gate: make(chan struct{})}
		src := Cached(inner, time.Minute)
		const callers = 50
		var wg sync.WaitGroup
		keys := make([]Key, callers)
		for i := range callers {
			wg.Go(func() {
				var err error
				keys[i], err = src.Key(context.Background())
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
			})
		}
		synctest.Wait() // every caller is now blocked waiting for the refresh
		if n := inner.calls.Load(); n != 1 {
			t.Fatalf("%d calls to the inner source with %d callers waiting, want 1", n, callers)
		}
		close(inner.gate)
		wg.Wait()
		for i, k := range keys {
			if k.Secret() != "key-1-0123456789abcdef" {
				t.Errorf("caller %d got %q", i, k.Secret())
			}
		}
		// Fresh now: no more calls.
		for range 100 {
			wantCached(t, src, 1)
		}
		if n := inner.calls.Load(); n != 1 {
			t.Errorf("%d inner calls, want 1", n)
		}
	})
}

func TestCachedRefreshAfterTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{}
		src := Cached(inner, 10*time.Second)
		wantCached(t, src, 1)
		time.Sleep(10*time.Second - time.Nanosecond)
		wantCached(t, src, 1)
		time.Sleep(time.Nanosecond)
		// Expired but inside the grace window (default: ttl): the call that
		// starts the refresh does not wait for it and gets the old key.
		wantCached(t, src, 1)
		synctest.Wait() // the refresh ends
		wantCached(t, src, 2)
		wantCached(t, src, 2)
		time.Sleep(10 * time.Second)
		wantCached(t, src, 2)
		synctest.Wait()
		wantCached(t, src, 3)
		if n := inner.calls.Load(); n != 3 {
			t.Errorf("%d inner calls, want 3", n)
		}
	})
}

func TestCachedGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{}
		var reported []error
		var mu sync.Mutex
		src := Cached(inner, 10*time.Second, Grace(5*time.Second), OnError(func(err error) {
			mu.Lock()
			defer mu.Unlock()
			reported = append(reported, err)
		}))
		reports := func() int {
			synctest.Wait() // OnError runs on the refresh goroutine
			mu.Lock()
			defer mu.Unlock()
			return len(reported)
		}
		wantCached(t, src, 1)

		boom := errors.New("secret manager unavailable")
		inner.setFail(boom)
		time.Sleep(10 * time.Second) // expired, within grace
		wantCached(t, src, 1)
		if n := reports(); n != 1 || !errors.Is(reported[0], boom) {
			t.Fatalf("reports = %v, want the one failure", reported)
		}
		// A failure is not retried at once: within a second, no new call.
		time.Sleep(999 * time.Millisecond)
		wantCached(t, src, 1)
		if n := inner.calls.Load(); n != 2 {
			t.Errorf("%d inner calls within the retry delay, want 2", n)
		}
		time.Sleep(time.Millisecond)
		wantCached(t, src, 1)
		if r, n := reports(), inner.calls.Load(); n != 3 || r != 2 {
			t.Errorf("after the retry delay: %d inner calls, %d reports; want 3, 2", n, r)
		}

		// Past the grace window (expiry + 5s): the error is returned.
		time.Sleep(4*time.Second - time.Nanosecond)
		wantCached(t, src, 1) // still within grace, answered from the cached failure
		time.Sleep(time.Nanosecond)
		k, err := src.Key(context.Background())
		if !errors.Is(err, boom) || !k.IsZero() {
			t.Fatalf("past grace: got %v, %v; want the failure", k, err)
		}
		if errors.Is(err, ErrNoKey) {
			t.Errorf("error %v wraps ErrNoKey; a Chain would skip a broken source", err)
		}
		if !strings.Contains(err.Error(), "cached(counting)") {
			t.Errorf("error %q does not describe the source", err)
		}

		// Recovery.
		inner.setFail(nil)
		time.Sleep(time.Second)
		k, err = src.Key(context.Background())
		if err != nil || !strings.HasPrefix(k.Secret(), "key-") {
			t.Errorf("after recovery: %v, %v", k, err)
		}
	})
}

func TestCachedNoGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{}
		src := Cached(inner, time.Second, Grace(0))
		wantCached(t, src, 1)
		inner.setFail(errors.New("down"))
		time.Sleep(time.Second)
		if _, err := src.Key(context.Background()); err == nil {
			t.Error("expired key served with Grace(0)")
		}
	})
}

func TestCachedErrNoKeyWithoutPreviousKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{}
		inner.setFail(fmt.Errorf("%w: secret not provisioned", ErrNoKey))
		src := Cached(inner, time.Minute)
		_, err := src.Key(context.Background())
		if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "secret not provisioned") {
			t.Fatalf("error = %v, want the inner ErrNoKey", err)
		}
		// So a Chain moves on.
		k, err := Chain(src, staticKey(testSecret)).Key(context.Background())
		if err != nil || k.Secret() != testSecret {
			t.Errorf("Chain: %v, %v; want the static key", k, err)
		}
	})
}

func TestCachedZeroKeyIsNoKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := Cached(SourceFunc(func(context.Context) (Key, error) { return Key{}, nil }), time.Minute)
		if _, err := src.Key(context.Background()); !errors.Is(err, ErrNoKey) {
			t.Errorf("error = %v, want ErrNoKey", err)
		}
	})
}

// TestCachedCancelledWaiter: a caller whose context ends returns at once
// with its context's error, while the refresh it started goes on, with its
// values but not its cancellation, and answers the others.
func TestCachedCancelledWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{gate: make(chan struct{}), ctxs: make(chan context.Context, 1)}
		src := Cached(inner, time.Minute)

		type ctxKey struct{}
		starterCtx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace-id"))
		starterDone := make(chan error, 1)
		go func() {
			_, err := src.Key(starterCtx)
			starterDone <- err
		}()
		refreshCtx := <-inner.ctxs
		otherDone := make(chan Key, 1)
		go func() {
			k, err := src.Key(context.Background())
			if err != nil {
				t.Errorf("other caller: %v", err)
			}
			otherDone <- k
		}()
		synctest.Wait()

		cancel()
		synctest.Wait()
		select {
		case err := <-starterDone:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled caller got %v, want context.Canceled", err)
			}
		default:
			t.Fatal("cancelled caller still waiting for the refresh")
		}
		if err := refreshCtx.Err(); err != nil {
			t.Errorf("the refresh's context ended with the starting caller's: %v", err)
		}
		if v := refreshCtx.Value(ctxKey{}); v != "trace-id" {
			t.Errorf("the refresh's context lost the starting caller's values: %v", v)
		}
		if _, ok := refreshCtx.Deadline(); !ok {
			t.Error("the refresh's context has no deadline")
		}

		close(inner.gate)
		if k := <-otherDone; k.Secret() != "key-1-0123456789abcdef" {
			t.Errorf("other caller got %q", k.Secret())
		}
		wantCached(t, src, 1)
		if n := inner.calls.Load(); n != 1 {
			t.Errorf("%d inner calls, want 1", n)
		}
	})
}

func TestCachedRefreshTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{gate: make(chan struct{})} // never opened
		var reported atomic.Int64
		src := Cached(inner, time.Minute, RefreshTimeout(2*time.Second), OnError(func(error) { reported.Add(1) }))
		start := time.Now()
		_, err := src.Key(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("refresh gave up after %v, want 2s", d)
		}
		synctest.Wait()
		if reported.Load() != 1 {
			t.Errorf("%d reports, want 1", reported.Load())
		}
	})
}

func TestCachedDoneContext(t *testing.T) {
	inner := &countingSource{}
	src := Cached(inner, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Key(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if inner.calls.Load() != 0 {
		t.Error("a refresh started for a caller that had already given up")
	}
	wantCached(t, src, 1)
	// Fresh: a done context still gets the cached key.
	if k, err := src.Key(ctx); err != nil || k.IsZero() {
		t.Errorf("fresh Key with a done context = %v, %v", k, err)
	}
}

func TestCachedZeroTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inner := &countingSource{}
		src := Cached(inner, 0)
		wantCached(t, src, 1)
		wantCached(t, src, 2)
	})
}

func TestCachedFreshKeyDoesNotAllocate(t *testing.T) {
	src := Cached(staticKey(testSecret), time.Hour)
	ctx := context.Background()
	if _, err := src.Key(ctx); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = src.Key(ctx) }); n != 0 {
		t.Errorf("fresh Cached.Key allocates %v times per call, want 0", n)
	}
}

func TestCachedDescription(t *testing.T) {
	src := Cached(staticKey(testSecret), time.Hour)
	if got := describe(src); got != "cached(key(…WXYZ))" {
		t.Errorf("describe = %q", got)
	}
	bad := Cached(staticKey(testSecret+" x"), time.Hour)
	_, err := bad.Key(context.Background())
	if !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("error = %v, want ErrInvalidKey", err)
	}
	assertNoSecret(t, "Cached error", err.Error(), testSecret)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assertNoSecret(t, "Sprintf "+verb, fmt.Sprintf(verb, src), testSecret)
	}
}

func TestCachedNilSourcePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Cached(nil) did not panic")
		}
	}()
	Cached(nil, time.Minute)
}

// TestCachedGraceCallsDoNotPileUp: while a slow refresh runs, callers served
// the expired key inside its grace window neither wait nor register with
// the refresh: they cost no allocation, and the source is asked once.
func TestCachedGraceCallsDoNotPileUp(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	src := Cached(SourceFunc(func(ctx context.Context) (Key, error) {
		if calls.Add(1) > 1 {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return NewKey(KindKey, testSecret)
	}), time.Millisecond, Grace(time.Hour))
	ctx := context.Background()
	wantKey(t, src, testSecret)
	time.Sleep(2 * time.Millisecond) // expired, inside the grace window
	wantKey(t, src, testSecret)      // starts the refresh, does not wait
	if n := testing.AllocsPerRun(1000, func() { _, _ = src.Key(ctx) }); n != 0 {
		t.Errorf("Key during a refresh allocates %v times per call, want 0", n)
	}
	for deadline := time.Now().Add(5 * time.Second); calls.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // the refresh goroutine reaches the source
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls to the source, want 2", n)
	}
	close(release)
}

// TestCachedInvalidateDuringRefresh: a refresh that started before the key
// was rejected may bring back the rejected key (fetched before the rotation);
// it serves the callers waiting, but is not kept for a whole TTL: the next
// call fetches again and finds the rotated key.
func TestCachedInvalidateDuringRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		old := mustKey(t, KindKey, "old-key-0123456789abcdef")
		rotated := mustKey(t, KindKey, "rotated-key-0123456789abcdef")
		var (
			current = old
			release chan struct{}
		)
		src := Cached(SourceFunc(func(context.Context) (Key, error) {
			k := current // read before waiting: a fetch that predates the rotation
			if release != nil {
				<-release
			}
			return k, nil
		}), time.Minute, Grace(time.Hour))
		ctx := context.Background()
		if k, _ := src.Key(ctx); !k.Equal(old) {
			t.Fatalf("first key %v", k)
		}
		time.Sleep(61 * time.Second) // expired, inside the grace window
		release = make(chan struct{})
		if k, _ := src.Key(ctx); !k.Equal(old) { // serves the old key, starts a refresh
			t.Fatalf("grace key %v", k)
		}
		synctest.Wait() // the refresh has read the old key and waits
		src.(invalidator).Invalidate(old)
		current = rotated
		close(release)
		synctest.Wait() // the refresh ends with the old key
		release = nil
		src.Key(ctx)    // may still serve the old key, and refreshes
		synctest.Wait() // that refresh ends
		if k, _ := src.Key(ctx); !k.Equal(rotated) {
			t.Errorf("after the rotation the cache serves %v, want the rotated key", k)
		}
	})
}
