package throttle_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// redisClient returns a client of the server at addr, closed when the test
// ends, counting the commands it sends.
func redisClient(t *testing.T, addr string) (*redis.Client, *counter) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	n := &counter{m: map[string]int{}}
	c.AddHook(n)
	t.Cleanup(func() { c.Close() })
	return c, n
}

// redisClientB is a plain client of the server at addr, closed when the
// benchmark ends.
func redisClientB(b *testing.B, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { c.Close() })
	return c
}

// counter is a go-redis hook counting the commands sent, by name.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) get(names ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, name := range names {
		n += c.m[name]
	}
	return n
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.mu.Lock()
		c.m[cmd.Name()]++
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// logs is a slog handler's output, safe for concurrent use.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// TestRedisShared: two limiters on one Redis share one budget; the call
// past it fails at once, before its deadline, with ErrLimited. The rate is
// one call in a hundred seconds, so no token comes back during the test.
func TestRedisShared(t *testing.T) {
	r := testutil.Redis(t)
	c1, _ := redisClient(t, r.Addr)
	c2, _ := redisClient(t, r.Addr)
	a, b := throttle.Redis(c1, 0.01, 4), throttle.Redis(c2, 0.01, 4)
	ctx := context.Background()
	for i, l := range []*throttle.Limiter{a, b, a, b} {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("call %d of the burst: %v", i, err)
		}
	}
	for _, l := range []*throttle.Limiter{a, b} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := l.Wait(ctx, "k", false)
		cancel()
		if !errors.Is(err, throttle.ErrLimited) || status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("a call past the shared burst: %v, want ErrLimited", err)
		}
	}
	if err := a.Wait(ctx, "another key", false); err != nil {
		t.Fatalf("another credential: %v", err)
	}
}

// TestRedisPaces: past the burst, calls are spaced by 1/rate. A busy
// machine can only make them slower, so only the lower bound is checked.
func TestRedisPaces(t *testing.T) {
	r := testutil.Redis(t)
	c, _ := redisClient(t, r.Addr)
	l := throttle.Redis(c, 20, 1)
	ctx := context.Background()
	start := time.Now()
	for range 11 {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("11 calls at 20/s with a burst of 1 took %v, want at least 500ms", d)
	}
}

// TestRedisLease: a process that uses its tokens fast takes them from
// Redis in batches, so most calls need no round trip.
func TestRedisLease(t *testing.T) {
	r := testutil.Redis(t)
	c, n := redisClient(t, r.Addr)
	l := throttle.Redis(c, 1e6, 1e6)
	ctx := context.Background()
	const calls = 2000
	for range calls {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.get("evalsha", "eval"); got == 0 || got > calls/4 {
		t.Errorf("%d calls made %d requests to Redis, want some and at most %d", calls, got, calls/4)
	}
}

// TestRedisDown: with Redis killed, calls still get tokens (at the local
// rate), the logger hears it once, Redis is asked again less and less
// often (after 0.25, 0.75, 1.75 s), not for every call, and once it answers
// again the budget is back in Redis.
func TestRedisDown(t *testing.T) {
	r := testutil.Redis(t)
	c, n := redisClient(t, r.Addr)
	var out logs
	l := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()))
	ctx := context.Background()
	if err := l.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	r.Kill()
	start := time.Now()
	for time.Since(start) < 2500*time.Millisecond {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("Redis down: %v", err)
		}
	}
	if got := strings.Count(out.String(), "level=WARN"); got != 1 {
		t.Errorf("Redis down: %d warnings, want 1:\n%s", got, out.String())
	}
	if got := n.get("ping"); got == 0 || got > 5 {
		t.Errorf("Redis was probed %d times in 2.5 s, want about 3", got)
	}

	r.Restart()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "level=INFO") {
		if time.Now().After(deadline) {
			t.Fatalf("Redis answers again, but the limiter did not notice:\n%s", out.String())
		}
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := l.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	if keys, err := c.Keys(ctx, "*clarifaiauth:throttle:k").Result(); err != nil || len(keys) != 1 {
		t.Errorf("after Redis came back: keys %q, %v; want the budget's", keys, err)
	}
}

// TestRedisStalled: a Redis that accepts connections but does not answer
// makes calls pace locally after a short wait, not after the client's
// read timeout, and says so.
func TestRedisStalled(t *testing.T) {
	r := testutil.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr, ReadTimeout: time.Minute, WriteTimeout: time.Minute})
	var out logs
	l := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()))
	ctx := context.Background()
	if err := l.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	r.Pause()
	t.Cleanup(func() {
		// Let the limiter's request, still waiting for its answer, end.
		r.Resume()
		c.Close()
	})
	start := time.Now()
	for range 20 {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("Redis stalled: %v", err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("20 calls with Redis stalled took %v: they waited for the client's read timeout", d)
	}
	if got := strings.Count(out.String(), "level=WARN"); got != 1 {
		t.Errorf("Redis stalled: %d warnings, want 1:\n%s", got, out.String())
	}
}

// TestRedisSlowDown: a throttled reply halves this process's rate from the
// shared budget. Unslowed, six calls at 20/s with a burst of 1 take 250 ms.
func TestRedisSlowDown(t *testing.T) {
	r := testutil.Redis(t)
	c, _ := redisClient(t, r.Addr)
	l := throttle.Redis(c, 20, 1)
	ctx := context.Background()
	if err := l.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	l.Done("k", true)
	start := time.Now()
	for range 5 {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("5 calls after a throttled reply took %v, want at least 500ms (10/s)", d)
	}
}

// TestRedisChargesFallback: once Redis answers again, the calls paced
// locally while it was silent are taken from the shared budget, so a fleet
// does not spend them twice. Here the restarted Redis holds a full burst of
// 5, which the 5 calls made meanwhile use up: the next call must wait 10 s.
func TestRedisChargesFallback(t *testing.T) {
	r := testutil.Redis(t)
	c, _ := redisClient(t, r.Addr)
	var out logs
	l := throttle.Redis(c, 0.1, 5, throttle.FallbackRate(1000, 5), throttle.Logger(out.logger()))
	ctx := context.Background()
	if err := l.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	r.Kill()
	waitLog := func(level string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), level) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the limiter's logs:\n%s", level, out.String())
			}
			if err := l.Wait(ctx, "k", false); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitLog("level=WARN")
	for range 10 {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	r.Restart() // empty: a full burst
	waitLog("level=INFO")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := l.Wait(ctx, "k", false); !errors.Is(err, throttle.ErrLimited) {
		t.Fatalf("first call after Redis came back: %v, want ErrLimited (the burst was spent while it was away)", err)
	}
}
