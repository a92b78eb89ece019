package throttle

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSweep: a process that sees many keys over time holds the buckets in
// use, not one per key ever seen; a slowed bucket is kept.
func TestSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := Local(1000, 1)
		ctx := context.Background()
		if err := l.Wait(ctx, "slowed", false); err != nil {
			t.Fatal(err)
		}
		l.Done("slowed", true)
		slowed := l.acquire("slowed")
		slowed.users.Add(-1)
		for i := range 10_000 {
			if err := l.Wait(ctx, fmt.Sprint("key-", i), false); err != nil {
				t.Fatal(err)
			}
			if i%100 == 0 {
				time.Sleep(10 * time.Millisecond) // the buckets used so far fill up
			}
		}
		if n := l.held.Load(); n > 2*minSweep {
			t.Errorf("%d bytes of buckets held after 10000 keys, want at most %d", n, 2*minSweep)
		}
		if b := l.acquire("slowed"); b != slowed {
			t.Error("a slowed bucket was dropped")
		}
	})
}

// TestSweepInUse: however many buckets come and go, a bucket with a burst
// of one never grants two calls at once: no sweep drops a bucket a call is
// using. (Before, burst 1 handed out 2 tokens past 1,024 buckets.)
func TestSweepInUse(t *testing.T) {
	l := Local(1e-3, 1) // one call in 1000 s: a second grant is an error
	var granted, keys atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if l.Wait(context.Background(), fmt.Sprint("churn-", keys.Add(1)), false) != nil {
					t.Error("a fresh bucket refused its first call")
					return
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
				if l.Wait(ctx, "one", false) == nil {
					granted.Add(1)
				}
				cancel()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if g := granted.Load(); g != 1 {
		t.Errorf("a bucket of burst 1 at one call in 1000 s granted %d calls while others were swept, want 1", g)
	}
	if l.sweepAt.Load() <= minSweep && l.held.Load() < minSweep {
		t.Log("no sweep ran: the check proves little on this machine")
	}
}

// TestGCRAExtremes: the arithmetic holds at one call a day and a billion a
// second, with bursts from 1 to the largest int, without overflow.
func TestGCRAExtremes(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		burst int
	}{{minRate, 1}, {minRate, 1 << 62}, {1e9, 1}, {1e12, 1 << 62}, {1, 1}} {
		g := newGCRA(c.rate, c.burst, 1e9)
		if g.step < 1 || g.window < g.step || g.window > maxWindow {
			t.Errorf("rate %v burst %d: step %d window %d", c.rate, c.burst, g.step, g.window)
		}
		var tat int64
		now := int64(1e15)
		for i := range 3 {
			newTat, wait, ok := g.reserve(tat, now, minFactor, 1<<62)
			if !ok || newTat < tat || wait < 0 {
				t.Fatalf("rate %v burst %d call %d: tat %d wait %d ok %v", c.rate, c.burst, i, newTat, wait, ok)
			}
			tat = newTat
		}
	}
}

// TestSweepBoundedByBytes: buckets with long names (a caller's own bucket
// names) are bounded by the bytes they hold, not by their count.
func TestSweepBoundedByBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := Local(1000, 1)
		ctx := context.Background()
		long := strings.Repeat("n", 4<<10)
		for i := range 3000 {
			if err := l.Wait(ctx, fmt.Sprint(long, i), false); err != nil {
				t.Fatal(err)
			}
			if i%100 == 0 {
				time.Sleep(10 * time.Millisecond) // the buckets used so far fill up
			}
		}
		var names int64
		l.buckets.Range(func(k, _ any) bool { names += int64(len(k.(string))); return true })
		if names > 2*minSweep+int64(len(long))+8 {
			t.Errorf("buckets hold %d bytes of names, want at most %d", names, 2*minSweep)
		}
	})
}

// TestDirect: the limiter asks Redis in the calling goroutine only with a
// client that ends its requests by their context's deadline
// (ContextTimeoutEnabled).
func TestDirect(t *testing.T) {
	for _, c := range []struct {
		name string
		rdb  redis.UniversalClient
		want bool
	}{
		{"Client", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), false},
		{"Client+ContextTimeoutEnabled", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}), true},
		{"ClusterClient", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}), false},
		{"ClusterClient+ContextTimeoutEnabled", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true}), true},
		{"Ring+ContextTimeoutEnabled", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}, ContextTimeoutEnabled: true}), true},
	} {
		if got := Redis(c.rdb, 1, 1).shared.direct; got != c.want {
			t.Errorf("%s: direct %v, want %v", c.name, got, c.want)
		}
		c.rdb.Close()
	}
}
