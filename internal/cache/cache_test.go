package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sized(_ string, v string) int64 { return int64(len(v)) }

// TestSingleFlight: callers that miss together share one load, and all get
// its value.
func TestSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 100
		var waiting sync.WaitGroup
		waiting.Add(n)
		c := New(Options[string, string]{TTL: time.Minute, MaxBytes: 1 << 10, Size: sized, OnWait: waiting.Done})
		var loads atomic.Int32
		gate := make(chan struct{})
		load := func(context.Context) (string, error) {
			loads.Add(1)
			<-gate
			return "v", nil
		}
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if v, err := c.Get(context.Background(), "k", load); v != "v" || err != nil {
					t.Errorf("Get = %q, %v", v, err)
				}
			})
		}
		waiting.Wait()
		close(gate)
		wg.Wait()
		if got := loads.Load(); got != 1 {
			t.Errorf("%d callers waiting together made %d loads, want 1", n, got)
		}
		if _, err := c.Get(context.Background(), "k", load); err != nil || loads.Load() != 1 {
			t.Errorf("a hit loaded again (%d loads, %v)", loads.Load(), err)
		}
	})
}

// TestTTLs: values are kept for TTL, errors for ErrTTL, and an Uncached
// error not at all.
func TestTTLs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New(Options[string, string]{TTL: time.Minute, ErrTTL: 10 * time.Second, MaxBytes: 1 << 10, Size: sized})
		var loads atomic.Int32
		ctx := context.Background()
		errBoom := errors.New("boom")
		get := func(k string, err error) error {
			_, got := c.Get(ctx, k, func(context.Context) (string, error) { loads.Add(1); return "v", err })
			return got
		}
		for _, tc := range []struct {
			desc string
			err  error
			keep time.Duration
		}{
			{"value", nil, time.Minute},
			{"error", errBoom, 10 * time.Second},
			{"uncached", Uncached(errBoom), 0},
		} {
			loads.Store(0)
			if got := get(tc.desc, tc.err); tc.err != nil && !errors.Is(got, errBoom) {
				t.Fatalf("%s: Get = %v", tc.desc, got)
			}
			if _, isU := got(get(tc.desc, tc.err)); isU {
				t.Fatalf("%s: the Uncached wrapper reached the caller", tc.desc)
			}
			want := int32(1)
			if tc.keep == 0 {
				want = 2
			}
			if loads.Load() != want {
				t.Errorf("%s: %d loads for two Gets, want %d", tc.desc, loads.Load(), want)
			}
			if tc.keep > 0 {
				time.Sleep(tc.keep - time.Nanosecond)
				get(tc.desc, tc.err)
				if loads.Load() != 1 {
					t.Errorf("%s: reloaded before its TTL", tc.desc)
				}
				time.Sleep(time.Nanosecond)
				get(tc.desc, tc.err)
				if loads.Load() != 2 {
					t.Errorf("%s: not reloaded at its TTL", tc.desc)
				}
			}
		}
	})
}

func got(err error) (error, bool) {
	_, ok := err.(*uncached)
	return err, ok
}

// TestBytesBound: whatever the entries' sizes, the cache keeps at most
// MaxBytes, evicting the oldest first; an entry over the whole budget is
// returned but not kept.
func TestBytesBound(t *testing.T) {
	const budget = 1000
	c := New(Options[string, string]{TTL: Forever, MaxBytes: budget, Size: sized})
	ctx := context.Background()
	put := func(k string, size int) {
		t.Helper()
		v := string(make([]byte, size))
		if got, err := c.Get(ctx, k, func(context.Context) (string, error) { return v, nil }); err != nil || len(got) != size {
			t.Fatalf("Get(%s) = %d bytes, %v", k, len(got), err)
		}
	}
	for i := range 2000 {
		put(fmt.Sprint("k", i), 1+i*37%300)
		if _, b, _ := c.Stats(); b > budget {
			t.Fatalf("after %d entries the cache holds %d bytes, over its %d", i+1, b, budget)
		}
	}
	n, b, _ := c.Stats()
	if n == 0 || b == 0 {
		t.Fatalf("the cache keeps nothing (%d entries, %d bytes)", n, b)
	}
	// The newest are kept, the oldest gone.
	if ok, _, _ := c.Peek("k1999"); !ok {
		t.Error("the newest entry was evicted")
	}
	if ok, _, _ := c.Peek("k0"); ok {
		t.Error("the oldest entry is still kept")
	}
	// Entries' sizes add up to what Stats reports.
	var sum int64
	c.entries.Range(func(_, v any) bool { sum += v.(*entry[string]).size; return true })
	if sum != b {
		t.Errorf("entries hold %d bytes, Stats says %d", sum, b)
	}
	put("huge", budget+1)
	if ok, _, _ := c.Peek("huge"); ok {
		t.Error("an entry over the whole budget was kept")
	}
	// A reload that grows an entry evicts others, never itself.
	c.Put("k1999", string(make([]byte, budget)))
	if ok, _, _ := c.Peek("k1999"); !ok {
		t.Error("a reloaded entry within the budget was evicted")
	}
	if n, b, _ := c.Stats(); n != 1 || b != budget {
		t.Errorf("after a full-budget reload: %d entries, %d bytes; want 1, %d", n, b, budget)
	}
}

// TestPanickingLoader: a loader that panics fails every caller sharing it
// with ErrPanicked, the error is kept for ErrTTL, and the cache goes on.
func TestPanickingLoader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New(Options[string, string]{TTL: time.Minute, ErrTTL: time.Second, MaxBytes: 100, Size: sized, Timeout: time.Minute})
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				_, err := c.Get(ctx, "k", func(context.Context) (string, error) { panic("secret") })
				if !errors.Is(err, ErrPanicked) {
					t.Errorf("Get = %v, want ErrPanicked", err)
				}
			})
		}
		wg.Wait()
		time.Sleep(time.Second)
		if v, err := c.Get(ctx, "k", func(context.Context) (string, error) { return "v", nil }); v != "v" || err != nil {
			t.Errorf("after ErrTTL Get = %q, %v", v, err)
		}
		// No timeout: the panic is caught on the load's own goroutine.
		c2 := New(Options[string, int]{})
		if _, err := c2.Get(ctx, "k", func(context.Context) (int, error) { panic(nil) }); !errors.Is(err, ErrPanicked) {
			t.Errorf("Get without timeout = %v, want ErrPanicked", err)
		}
	})
}

// TestHungLoader: a caller leaves when its ctx ends, others still get the
// load's value; past Timeout every caller gets DeadlineExceeded even though
// the loader ignores its context, and MaxLoads bounds such hung loaders.
func TestHungLoader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New(Options[string, string]{TTL: time.Minute, MaxBytes: 100, Size: sized, Timeout: 10 * time.Second, MaxLoads: 2})
		gate := make(chan struct{})
		hung := func(context.Context) (string, error) { <-gate; return "late", nil }

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if _, err := c.Get(ctx, "a", hung); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("Get = %v after %v, want its own deadline after 1s", err, time.Since(start))
		}
		// Another caller joins the same load and gets the timeout at 10s.
		if _, err := c.Get(context.Background(), "a", hung); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 10*time.Second {
			t.Fatalf("joined Get = %v after %v, want the load's timeout at 10s", err, time.Since(start))
		}
		// The loader still hangs: it counts toward MaxLoads.
		go c.Get(context.Background(), "b", hung)
		synctest.Wait()
		if _, _, loads := c.Stats(); loads != 2 {
			t.Fatalf("%d loads running, want 2", loads)
		}
		if _, err := c.Get(context.Background(), "c", hung); !errors.Is(err, ErrBusy) {
			t.Fatalf("Get past MaxLoads = %v, want ErrBusy", err)
		}
		close(gate)
		synctest.Wait()
		if _, _, loads := c.Stats(); loads != 0 {
			t.Errorf("%d loads running after the loaders returned", loads)
		}
	})
}

// TestFailAbandoned: with FailAbandoned, a load given up on fails its later
// callers at once, and at most MaxAbandoned such loads exist.
func TestFailAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New(Options[string, string]{FailAbandoned: true, MaxAbandoned: 2})
		gate := make(chan struct{})
		hung := func(context.Context) (string, error) { <-gate; return "v", nil }
		giveUp := func(k string) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if _, err := c.Get(ctx, k, hung); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Get(%s) = %v", k, err)
			}
		}
		giveUp("a")
		if _, err := c.Get(context.Background(), "a", hung); !errors.Is(err, ErrAbandoned) {
			t.Fatalf("Get of an abandoned load = %v, want ErrAbandoned", err)
		}
		giveUp("b")
		if _, err := c.Get(context.Background(), "c", hung); !errors.Is(err, ErrTooManyAbandoned) {
			t.Fatalf("Get past MaxAbandoned = %v, want ErrTooManyAbandoned", err)
		}
		close(gate)
		synctest.Wait()
		if v, err := c.Get(context.Background(), "a", func(context.Context) (string, error) { return "new", nil }); v != "new" || err != nil {
			t.Errorf("Get after the hung loads returned = %q, %v", v, err)
		}
	})
}

func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		if v, err := Run(ctx, time.Second, func(context.Context) (int, error) { return 1, nil }); v != 1 || err != nil {
			t.Errorf("Run = %d, %v", v, err)
		}
		if _, err := Run(ctx, time.Second, func(context.Context) (int, error) { panic("x") }); !errors.Is(err, ErrPanicked) {
			t.Errorf("Run of a panic = %v", err)
		}
		gate := make(chan struct{})
		start := time.Now()
		if _, err := Run(ctx, time.Second, func(context.Context) (int, error) { <-gate; return 0, nil }); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("Run of a hung f = %v after %v, want DeadlineExceeded after 1s", err, time.Since(start))
		}
		cctx, cancel := context.WithCancel(ctx)
		go func() { time.Sleep(time.Millisecond); cancel() }()
		if _, err := Run(cctx, 0, func(context.Context) (int, error) { <-gate; return 0, nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("Run without timeout = %v, want the caller's Canceled", err)
		}
		close(gate)
		synctest.Wait()
	})
}

// TestCompute: a value is computed once while kept, and Compute is bounded
// like Get.
func TestCompute(t *testing.T) {
	c := New(Options[string, string]{TTL: Forever, MaxBytes: 10, Size: sized})
	calls := 0
	f := func() string { calls++; return "12345" }
	for range 3 {
		if v := c.Compute("a", f); v != "12345" {
			t.Fatalf("Compute = %q", v)
		}
	}
	if calls != 1 {
		t.Errorf("computed %d times, want 1", calls)
	}
	c.Compute("b", f)
	c.Compute("c", f)
	if n, b, _ := c.Stats(); n != 2 || b != 10 {
		t.Errorf("%d entries of %d bytes, want 2 of 10", n, b)
	}
	if ok, _, _ := c.Peek("a"); ok {
		t.Error("the oldest entry was kept past the budget")
	}
}

// TestQueueStaysBounded: a value too big to keep drops its entry; the
// eviction queue must not keep one slot per such round. Before, 100,000
// rounds left 100,000 slots for no entry.
func TestQueueStaysBounded(t *testing.T) {
	c := New(Options[string, string]{TTL: time.Minute, MaxBytes: 100, Size: sized})
	small, big := string(make([]byte, 10)), string(make([]byte, 200))
	for i := range 100_000 {
		c.Put("k", small)
		c.Put("k", big)
		if i%2 == 0 {
			c.Put(fmt.Sprint("other", i%4), small) // live keys between
		}
	}
	entries, bytes, _ := c.Stats()
	c.mu.Lock()
	n := len(c.order)
	c.mu.Unlock()
	if entries != 2 || bytes != 20 {
		t.Errorf("cache holds %d entries of %d bytes, want the 2 others of 20", entries, bytes)
	}
	if n > 4*entries+4 {
		t.Errorf("eviction queue has %d slots for %d entries", n, entries)
	}
}

// TestStaleSlotEvictsNothing: a key dropped (too big) and kept again is at
// the back of the queue; its old slot reaching the front evicts the oldest
// live entry, not the re-added one.
func TestStaleSlotEvictsNothing(t *testing.T) {
	c := New(Options[string, string]{TTL: time.Minute, MaxBytes: 100, Size: sized})
	c.Put("a", string(make([]byte, 10)))
	c.Put("a", string(make([]byte, 200))) // dropped: a's slot goes stale
	c.Put("b", string(make([]byte, 10)))
	c.Put("a", string(make([]byte, 10))) // kept again, after b
	c.Put("c", string(make([]byte, 85))) // over budget by 5: evict b
	if ok, _, _ := c.Peek("a"); !ok {
		t.Error("the re-added a was evicted by its stale slot")
	}
	if ok, _, _ := c.Peek("b"); ok {
		t.Error("b, the oldest live entry, was kept")
	}
	if _, bytes, _ := c.Stats(); bytes != 95 {
		t.Errorf("cache counts %d bytes, want 95", bytes)
	}
}
