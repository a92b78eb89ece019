package throttle_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// BenchmarkLocal: the cost of a call that gets its slot at once (Wait and
// Done), side by side with x/time/rate's Allow, from 1 and 8 goroutines.
func BenchmarkLocal(b *testing.B) {
	ctx := context.Background()
	for _, g := range []int{1, 8} {
		b.Run("Local/goroutines="+itoa(g), func(b *testing.B) {
			l := throttle.Local(1e12, 1<<30)
			run(b, g, func() {
				if err := l.Wait(ctx, "bucket-fingerprint", false); err != nil {
					b.Fatal(err)
				}
				l.Done("bucket-fingerprint", false)
			})
		})
		b.Run("xtimerate.Allow/goroutines="+itoa(g), func(b *testing.B) {
			l := rate.NewLimiter(1e12, 1<<30)
			run(b, g, func() {
				if !l.Allow() {
					b.Fatal("no token")
				}
			})
		})
	}
}

// run runs f b.N times from g goroutines.
func run(b *testing.B, g int, f func()) {
	b.ReportAllocs()
	if g == 1 {
		for b.Loop() {
			f()
		}
		return
	}
	b.SetParallelism(max(1, g/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f()
		}
	})
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// BenchmarkRedis: a Redis limiter's call (one script run: EVALSHA), with
// a plain client and with one that has ContextTimeoutEnabled, side by side
// with one PING to the same Redis, one EVALSHA of a script that returns 1
// (the floor of any script call), and redis_rate's request for one token.
// The limiter's timeout is long and a fall back to pacing in the process
// fails the benchmark: on a loaded machine a short one would make some
// calls local, and cheap.
func BenchmarkRedis(b *testing.B) {
	r := testutil.Redis(b)
	ctx := context.Background()
	for _, cte := range []bool{false, true} {
		name := "Limiter"
		if cte {
			name += "+ContextTimeoutEnabled"
		}
		b.Run(name, func(b *testing.B) {
			c := redis.NewClient(&redis.Options{Addr: r.Addr, ContextTimeoutEnabled: cte})
			b.Cleanup(func() { c.Close() })
			var out logs
			l := throttle.Redis(c, 1e6, 1<<30, throttle.Logger(out.logger()), throttle.RedisTimeout(10*time.Second))
			b.ReportAllocs()
			for b.Loop() {
				if err := l.Wait(ctx, "bucket-fingerprint", false); err != nil {
					b.Fatal(err)
				}
				l.Done("bucket-fingerprint", false)
			}
			if s := out.String(); s != "" {
				b.Fatalf("the limiter did not use Redis for every call:\n%s", s)
			}
		})
	}
	b.Run("PING", func(b *testing.B) {
		c := redisClientB(b, r.Addr)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EVALSHA", func(b *testing.B) {
		c := redisClientB(b, r.Addr)
		trivial := redis.NewScript("return 1")
		b.ReportAllocs()
		for b.Loop() {
			if err := trivial.Run(ctx, c, nil).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis_rate", func(b *testing.B) {
		rl := redis_rate.NewLimiter(redisClientB(b, r.Addr))
		limit := redis_rate.Limit{Rate: 1, Period: time.Microsecond, Burst: 1 << 30}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rl.Allow(ctx, "bench", limit); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBaselineXTimeRate measures what issue golang/go#71360 reports: 50
// goroutines asking a limiter of 100/s and burst 10 for a token with a 1 ms
// deadline, with x/time/rate's Reserve and Cancel, and with Local. Run with
// -throttle.baseline.
func TestBaselineXTimeRate(t *testing.T) {
	if !*baseline {
		t.Skip("a comparison, not a check: run with -throttle.baseline")
	}
	const d = time.Second
	count := func(try func(ctx context.Context) bool) (int64, time.Duration) {
		var n atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range 50 {
			wg.Go(func() {
				for time.Since(start) < d {
					ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
					if try(ctx) {
						n.Add(1)
					}
					cancel()
				}
			})
		}
		wg.Wait()
		return n.Load(), time.Since(start)
	}
	xr := rate.NewLimiter(100, 10)
	got, el := count(func(ctx context.Context) bool {
		r := xr.Reserve()
		dl, _ := ctx.Deadline()
		if !r.OK() || time.Now().Add(r.Delay()).After(dl) {
			r.Cancel()
			return false
		}
		return true
	})
	t.Logf("BASELINE x/time/rate Reserve+Cancel: %d granted in %v, at most %d may be", got, el.Round(time.Millisecond), 10+int(100*el.Seconds()))
	l := throttle.Local(100, 10, throttle.Logger(nil))
	got, el = count(func(ctx context.Context) bool { return l.Wait(ctx, "k", false) == nil })
	t.Logf("BASELINE throttle.Local: %d granted in %v, at most %d may be", got, el.Round(time.Millisecond), 10+int(100*el.Seconds()))
}

// TestBaselineRedisRate measures redis_rate with a burst of one at 5/s:
// how many calls in a second it allows, and with how many requests. Run
// with -throttle.baseline.
func TestBaselineRedisRate(t *testing.T) {
	if !*baseline {
		t.Skip("a comparison, not a check: run with -throttle.baseline")
	}
	r := testutil.Redis(t)
	c, n := redisClient(t, r.Addr)
	rl := redis_rate.NewLimiter(c)
	ctx := context.Background()
	allowed := 0
	start := time.Now()
	for time.Since(start) < time.Second {
		res, err := rl.Allow(ctx, "one", redis_rate.PerSecond(5))
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed > 0 {
			allowed++
		} else {
			time.Sleep(max(res.RetryAfter, 10*time.Microsecond))
		}
	}
	t.Logf("BASELINE redis_rate PerSecond(5) (burst 5): %d allowed in 1 s with %d requests", allowed, n.get("evalsha", "eval"))
	rl2 := redis_rate.NewLimiter(c)
	allowed, before := 0, n.get("evalsha", "eval")
	start = time.Now()
	for time.Since(start) < time.Second {
		res, err := rl2.Allow(ctx, "burst1", redis_rate.Limit{Rate: 5, Period: time.Second, Burst: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed > 0 {
			allowed++
		} else {
			time.Sleep(max(res.RetryAfter, 10*time.Microsecond))
		}
	}
	t.Logf("BASELINE redis_rate 5/s burst 1: %d allowed in 1 s with %d requests", allowed, n.get("evalsha", "eval")-before)
	l := throttle.Redis(c, 5, 1)
	allowed, before = 0, n.get("evalsha", "eval")
	ctx1, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for l.Wait(ctx1, "ours", false) == nil {
		allowed++
	}
	t.Logf("BASELINE throttle.Redis(5, 1): %d allowed in 1 s with %d requests", allowed, n.get("evalsha", "eval")-before)
}

// TestBaselineRedisCost measures what BenchmarkRedis does, interleaved:
// rounds of 20 calls of each kind in turn, so that a machine whose load
// changes during the run weighs on every kind alike. It logs each kind's
// median time per call and its ratio to PING's. Run with
// -throttle.baseline.
func TestBaselineRedisCost(t *testing.T) {
	if !*baseline {
		t.Skip("a comparison, not a check: run with -throttle.baseline")
	}
	r := testutil.Redis(t)
	ctx := context.Background()
	plain, _ := redisClient(t, r.Addr)
	cte := redis.NewClient(&redis.Options{Addr: r.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { cte.Close() })
	var out logs
	opts := []throttle.Option{throttle.Logger(out.logger()), throttle.RedisTimeout(10 * time.Second)}
	l1, l2 := throttle.Redis(plain, 1e6, 1<<30, opts...), throttle.Redis(cte, 1e6, 1<<30, opts...)
	trivial := redis.NewScript("return 1")
	// The least a GCRA in Redis's time does: read the budget, write it back.
	floor := redis.NewScript(`local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local v = redis.call('HMGET', KEYS[1], 'tat', 'f0', 't0', 'x')
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', now))
return {1, 0, now, 0, 1000000, 1}`)
	rl := redis_rate.NewLimiter(plain)
	limit := redis_rate.Limit{Rate: 1, Period: time.Microsecond, Burst: 1 << 30}
	kinds := []struct {
		name string
		call func() error
	}{
		{"PING", func() error { return plain.Ping(ctx).Err() }},
		{"EVALSHA of return 1", func() error { return trivial.Run(ctx, plain, nil).Err() }},
		{"EVALSHA of TIME, HMGET, HSET", func() error {
			return floor.Run(ctx, plain, []string{"clarifaiauth:throttle:{floor}"}, 1, 1<<30, -1, 0, "0", "", "take").Err()
		}},
		{"Limiter", func() error { return l1.Wait(ctx, "k", false) }},
		{"Limiter, ContextTimeoutEnabled", func() error { return l2.Wait(ctx, "k", false) }},
		{"redis_rate Allow", func() error { _, err := rl.Allow(ctx, "k", limit); return err }},
	}
	const rounds, per = 300, 20
	took := make([][]time.Duration, len(kinds))
	for i := range rounds {
		for j := range kinds {
			k := (i + j) % len(kinds)
			start := time.Now()
			for range per {
				if err := kinds[k].call(); err != nil {
					t.Fatalf("%s: %v", kinds[k].name, err)
				}
			}
			took[k] = append(took[k], time.Since(start)/per)
		}
	}
	if s := out.String(); s != "" {
		t.Fatalf("the limiters did not use Redis for every call:\n%s", s)
	}
	var ping time.Duration
	for k, kind := range kinds {
		slices.Sort(took[k])
		med := took[k][len(took[k])/2]
		if k == 0 {
			ping = med
		}
		t.Logf("BASELINE %-34s median %7.1f µs a call, %.2f PINGs", kind.name, float64(med)/1e3, float64(med)/float64(ping))
	}
}
