package throttle_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
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

// steady is for tests of what Redis keeps, not of a slow Redis: a loaded
// machine must not make them pace in the process.
var steady = throttle.RedisTimeout(5 * time.Second)

// TestRedisShared: two limiters on one Redis share one budget; the call
// past it fails at once, before its deadline, with ErrLimited. The rate is
// one call in a hundred seconds, so no token comes back during the test.
func TestRedisShared(t *testing.T) {
	r := testutil.Redis(t)
	c1, _ := redisClient(t, r.Addr)
	c2, _ := redisClient(t, r.Addr)
	a, b := throttle.Redis(c1, 0.01, 4, steady), throttle.Redis(c2, 0.01, 4, steady)
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

// TestRedisPaces: past the burst, calls are spaced by 1/rate, a burst of
// one included (redis_rate refused every call at Redis(5, 1)), with one
// request to Redis a call. A busy machine can only make them slower, so
// only the lower bound is checked.
func TestRedisPaces(t *testing.T) {
	r := testutil.Redis(t)
	c, n := redisClient(t, r.Addr)
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
	// The first request may load the script: EVALSHA, then EVAL.
	if got := n.get("evalsha", "eval"); got > 12 {
		t.Errorf("11 calls made %d requests to Redis, want at most 12", got)
	}
}

// TestRedisOneRequestPerCall: a call costs one request to Redis.
func TestRedisOneRequestPerCall(t *testing.T) {
	r := testutil.Redis(t)
	c, n := redisClient(t, r.Addr)
	l := throttle.Redis(c, 1e6, 1)
	ctx := context.Background()
	const calls = 500
	for range calls {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.get("evalsha", "eval"); got > calls+1 {
		t.Errorf("%d calls made %d requests to Redis, want at most %d", calls, got, calls+1)
	}
	if got := n.total(); got > calls+3 {
		t.Errorf("%d calls made %d commands in all, want about one each", calls, got)
	}
}

// TestRedisExtremeRates: one call a day grants one of twenty, and writes no
// time more than a day ahead; a million a second grants calls at once.
func TestRedisExtremeRates(t *testing.T) {
	r := testutil.Redis(t)
	c, _ := redisClient(t, r.Addr)
	ctx := context.Background()
	l := throttle.Redis(c, 1.0/86400, 1, throttle.Logger(nil), steady)
	granted := 0
	for range 20 {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		if l.Wait(ctx, "day", false) == nil {
			granted++
		}
		cancel()
	}
	if granted != 1 {
		t.Errorf("one call a day granted %d of 20 calls, want 1", granted)
	}
	tat, err := c.HGet(ctx, "clarifaiauth:throttle:{day}", "tat").Int64()
	if err != nil {
		t.Fatal(err)
	}
	if ahead := time.Duration(tat-time.Now().UnixMicro()) * time.Microsecond; ahead > 25*time.Hour {
		t.Errorf("the budget's time is %v ahead, want at most a day", ahead)
	}
	fast := throttle.Redis(c, 1e6, 1)
	start := time.Now()
	for range 100 {
		if err := fast.Wait(ctx, "fast", false); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("100 calls at a million a second: %v", time.Since(start))
}

// TestRedisDown: with Redis killed, calls still go (paced in the process),
// the logger hears it once with the rate, Redis is tried again a few times
// (after 0.25, 0.75, 1.75 s), not for every call, and once it answers
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
	before := n.get("evalsha", "eval")
	start := time.Now()
	calls := 0
	for time.Since(start) < 2500*time.Millisecond {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("Redis down: %v", err)
		}
		calls++
	}
	if got := strings.Count(out.String(), "level=WARN"); got != 1 || !strings.Contains(out.String(), "rate=1000") {
		t.Errorf("Redis down: %d warnings, want 1 with the rate:\n%s", got, out.String())
	}
	if got := n.get("evalsha", "eval") - before; got > 12 {
		t.Errorf("%d calls in 2.5 s made %d requests to a dead Redis, want a few probes", calls, got)
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
	if keys, err := c.Keys(ctx, "clarifaiauth:throttle:{k}").Result(); err != nil || len(keys) != 1 {
		t.Errorf("after Redis came back: keys %q, %v; want the budget's", keys, err)
	}
}

// TestRedisStalled: a Redis that accepts connections but does not answer
// makes calls pace locally after a short wait, not after the client's
// read timeout, and says so once.
func TestRedisStalled(t *testing.T) {
	r := testutil.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	var out logs
	l := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()))
	ctx := context.Background()
	if err := l.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	r.Pause()
	t.Cleanup(func() {
		r.Resume()
		c.Close()
	})
	start := time.Now()
	for range 20 {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("Redis stalled: %v", err)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("20 calls with Redis stalled took %v: they waited for the client's read timeout", d)
	}
	if got := strings.Count(out.String(), "level=WARN"); got != 1 {
		t.Errorf("Redis stalled: %d warnings, want 1:\n%s", got, out.String())
	}
}

// TestRedisFar: a Redis 80 ms away (40 ms each way) is used, not bypassed:
// two limiters share its budget and nothing is logged.
func TestRedisFar(t *testing.T) {
	r := testutil.Redis(t)
	p := testutil.NewProxy(t, r.Addr)
	p.SetDelay(40 * time.Millisecond)
	var out logs
	c1, _ := redisClient(t, p.Addr)
	c2, _ := redisClient(t, p.Addr)
	a := throttle.Redis(c1, 0.01, 3, throttle.Logger(out.logger()))
	b := throttle.Redis(c2, 0.01, 3, throttle.Logger(out.logger()))
	ctx := context.Background()
	for i, l := range []*throttle.Limiter{a, b, a} {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for i := range 6 {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := []*throttle.Limiter{a, b}[i%2].Wait(ctx, "k", false)
		cancel()
		if !errors.Is(err, throttle.ErrLimited) {
			t.Fatalf("a call past the shared burst through a distant Redis: %v, want ErrLimited", err)
		}
	}
	if s := out.String(); strings.Contains(s, "Redis is unusable") {
		t.Errorf("a distant Redis was logged as unusable:\n%s", s)
	}
}

// TestRedisSlowDown: a throttled reply in one process slows the budget the
// whole fleet shares: another process's calls go at 0.7 of the rate.
func TestRedisSlowDown(t *testing.T) {
	r := testutil.Redis(t)
	c1, _ := redisClient(t, r.Addr)
	c2, _ := redisClient(t, r.Addr)
	a, b := throttle.Redis(c1, 20, 1, steady), throttle.Redis(c2, 20, 1, steady)
	ctx := context.Background()
	if err := a.Wait(ctx, "k", false); err != nil {
		t.Fatal(err)
	}
	a.Done("k", true)
	if err := a.Wait(ctx, "k", false); err != nil { // tells Redis
		t.Fatal(err)
	}
	if f, err := c1.HGet(ctx, "clarifaiauth:throttle:{k}", "f0").Float64(); err != nil || f != 0.7 {
		t.Fatalf("the shared rate factor after a throttled reply: %v, %v; want 0.7", f, err)
	}
	start := time.Now()
	for range 5 {
		if err := b.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	// The first call may find its slot free; the other 4 are 71 ms apart
	// (50 ms / 0.7): 286 ms, less the climb back (+2 % a second), where the
	// full rate would give 200 ms. A slow machine only lengthens the calls.
	if d := time.Since(start); d < 265*time.Millisecond {
		t.Errorf("another process's 5 calls after a throttled reply took %v, want at least 265ms (4 slots at 0.7 of 20/s)", d)
	}
}

// TestRedisDebtDecays: the calls paced in the process while Redis was away
// are charged to the shared budget only within its burst window: a call
// made after Redis came back, with 500 ms to spare, is sent.
func TestRedisDebtDecays(t *testing.T) {
	r := testutil.Redis(t)
	c, _ := redisClient(t, r.Addr)
	var out logs
	l := throttle.Redis(c, 10, 5, throttle.FallbackRate(1000, 5), throttle.Logger(out.logger()))
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
	for range 200 {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	r.Restart()
	waitLog("level=INFO")
	for i := range 3 {
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		err := l.Wait(ctx, "k", false)
		cancel()
		if err != nil {
			t.Fatalf("call %d after Redis came back, with 500 ms to spare: %v", i, err)
		}
	}
}

// TestRedisFallbackShare: when Redis is lost, each process paces at the
// rate divided by the processes last seen using the budget, and says so.
func TestRedisFallbackShare(t *testing.T) {
	r := testutil.Redis(t)
	var out logs
	var ls []*throttle.Limiter
	for range 3 {
		c, _ := redisClient(t, r.Addr)
		ls = append(ls, throttle.Redis(c, 30, 30, throttle.Logger(out.logger())))
	}
	ctx := context.Background()
	for _, l := range ls {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // each says it uses the budget again, seeing the others
	for _, l := range ls {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	r.Kill()
	for _, l := range ls {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(out.String(), "rate=10 burst=10 processes=3"); got != 3 {
		t.Errorf("%d processes say they pace at 10/s, want 3:\n%s", got, out.String())
	}
}

// TestRedisRefusesScript: a Redis that answers PING but refuses the
// script, or answers it with garbage, is unusable: calls are paced at the
// FallbackRate and the logger hears it once.
func TestRedisRefusesScript(t *testing.T) {
	for _, reply := range []string{
		"-NOPERM User has no permissions to run the 'evalsha' command\r\n",
		"-OOM command not allowed when used memory > 'maxmemory'.\r\n",
		"-READONLY You can't write against a read only replica.\r\n",
		"-NOAUTH Authentication required.\r\n",
		":5\r\n",
		"*2\r\n$3\r\nabc\r\n:1\r\n",
		"*6\r\n:1\r\n:-5\r\n:0\r\n:0\r\n:1000000\r\n:1\r\n",
	} {
		t.Run(strings.Fields(reply)[0], func(t *testing.T) {
			addr := hostileRedis(t, reply)
			c, _ := redisClient(t, addr)
			var out logs
			l := throttle.Redis(c, 1000, 1000, throttle.FallbackRate(10, 1), throttle.Logger(out.logger()))
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			granted := 0
			for l.Wait(ctx, "k", false) == nil {
				granted++
			}
			if granted > 12 {
				t.Errorf("%d calls in a second at a FallbackRate of 10/s", granted)
			}
			if got := strings.Count(out.String(), "level=WARN msg=\"throttle: Redis"); got != 1 {
				t.Errorf("%d warnings that Redis is unusable, want 1:\n%s", got, out.String())
			}
		})
	}
}

// TestRedisErrorTextCleaned: a Redis error's text reaches the log line
// without the control, bidi and format characters that could forge or
// hide text in a terminal or a log viewer, whatever the slog handler.
func TestRedisErrorTextCleaned(t *testing.T) {
	addr := hostileRedis(t, "-ERR a\u202eb\x1b[31mc\u200bd\nforged=1\r\n")
	c, _ := redisClient(t, addr)
	var errText atomic.Value
	h := attrHandler(func(a slog.Attr) {
		if a.Key == "err" {
			errText.Store(a.Value.String())
		}
	})
	l := throttle.Redis(c, 1000, 1000, throttle.Logger(slog.New(h)))
	if err := l.Wait(context.Background(), "k", false); err != nil {
		t.Fatal(err)
	}
	got, _ := errText.Load().(string)
	if got == "" {
		t.Fatal("the limiter logged no err attribute")
	}
	if strings.ContainsAny(got, "\u202e\x1b\u200b\n") {
		t.Errorf("the logged Redis error keeps control or format characters: %q", got)
	}
}

// attrHandler is a slog.Handler that hands every attribute, raw, to f.
type attrHandler func(slog.Attr)

func (attrHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h attrHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool { h(a); return true })
	return nil
}
func (h attrHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h attrHandler) WithGroup(string) slog.Handler      { return h }

// hostileRedis serves RESP on loopback: PING gets PONG, the handshake an
// error, and every other command reply.
func hostileRedis(t *testing.T, reply string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				rd := bufio.NewReader(c)
				for {
					args, err := readCommand(rd)
					if err != nil {
						return
					}
					out := reply
					switch strings.ToUpper(args[0]) {
					case "PING":
						out = "+PONG\r\n"
					case "HELLO", "CLIENT":
						out = "-ERR unknown command\r\n"
					}
					if _, err := c.Write([]byte(out)); err != nil {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

func readCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	var n int
	if _, err := fmt.Sscanf(line, "*%d", &n); err != nil || n < 1 || n > 64 {
		return nil, errors.New("not a command")
	}
	args := make([]string, n)
	for i := range args {
		if line, err = rd.ReadString('\n'); err != nil {
			return nil, err
		}
		var size int
		if _, err := fmt.Sscanf(line, "$%d", &size); err != nil || size < 0 || size > 1<<20 {
			return nil, errors.New("not a bulk string")
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}

// TestRedisClosedClient: a closed client paces in the process, says why
// once, and panics nowhere.
func TestRedisClosedClient(t *testing.T) {
	r := testutil.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	c.Close()
	var out logs
	l := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()))
	for range 20 {
		if err := l.Wait(context.Background(), "k", false); err != nil {
			t.Fatal(err)
		}
		l.Done("k", true)
	}
	if got := strings.Count(out.String(), "level=WARN"); got != 1 || !strings.Contains(out.String(), "closed") {
		t.Errorf("%d warnings, want 1 saying the client is closed:\n%s", got, out.String())
	}
}

// TestRedisCluster: on a Redis Cluster of three masters every key of a
// budget is in one hash slot, and processes share the budget, whether
// their clients have ContextTimeoutEnabled or not.
func TestRedisCluster(t *testing.T) {
	addrs := testutil.RedisCluster(t)
	newClient := func(cte bool) *redis.ClusterClient {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: cte})
		t.Cleanup(func() { c.Close() })
		return c
	}
	var out logs
	// One asks Redis in a goroutine, the other (ContextTimeoutEnabled) in
	// the calling one.
	a := throttle.Redis(newClient(false), 0.01, 2, throttle.Logger(out.logger()), steady)
	b := throttle.Redis(newClient(true), 0.01, 2, throttle.Logger(out.logger()), steady)
	ctx := context.Background()
	for i := range 20 {
		name := fmt.Sprint("budget-", i)
		for j, l := range []*throttle.Limiter{a, b} {
			if err := l.Wait(ctx, name, false); err != nil {
				t.Fatalf("%s call %d: %v", name, j, err)
			}
		}
		short, cancel := context.WithTimeout(ctx, time.Second)
		err := a.Wait(short, name, false)
		cancel()
		if !errors.Is(err, throttle.ErrLimited) {
			t.Fatalf("%s: a call past the shared burst: %v, want ErrLimited", name, err)
		}
		short, cancel = context.WithTimeout(ctx, time.Second)
		err = b.Wait(short, name, false)
		cancel()
		if !errors.Is(err, throttle.ErrLimited) {
			t.Fatalf("%s: a call past the shared burst, ContextTimeoutEnabled: %v, want ErrLimited", name, err)
		}
	}
	if s := out.String(); strings.Contains(s, "Redis is unusable") {
		t.Errorf("the cluster was logged as unusable:\n%s", s)
	}
}

// TestRedisScriptCommands: in a call, the script runs TIME, HMGET and
// HSET; it moves the budget's expiry and says the process uses the budget
// (four commands) only now and then, not on every call. It watches what
// redis-server runs with MONITOR.
func TestRedisScriptCommands(t *testing.T) {
	r := testutil.Redis(t)
	if !r.Real() {
		t.Skip("MONITOR needs redis-server")
	}
	mon := monitor(t, r.Addr)
	c, _ := redisClient(t, r.Addr)
	l := throttle.Redis(c, 1e6, 1<<30, steady)
	ctx := context.Background()
	const calls = 300
	start := time.Now()
	for range calls {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	secs := int(time.Since(start)/time.Second) + 1
	got := mon.until(c, "end-of-test")
	for cmd, want := range map[string]int{"TIME": calls, "HMGET": calls, "HSET": calls} {
		if got[cmd] != want {
			t.Errorf("%s ran %d times in %d calls, want %d", cmd, got[cmd], calls, want)
		}
	}
	// Once a second: ZADD, ZREMRANGEBYSCORE, PEXPIRE and ZCARD of the
	// process set; the budget's PEXPIRE once every 30 s.
	if n := got["ZADD"]; n < 1 || n > secs {
		t.Errorf("the heartbeat ran %d times in %d calls over at most %d s, want 1 to %d", n, calls, secs, secs)
	}
	if n := got["PEXPIRE"]; n > got["ZADD"]+1+secs/30 {
		t.Errorf("PEXPIRE ran %d times in %d calls over at most %d s, want once per heartbeat and every 30 s", n, calls, secs)
	}
}

// monitored counts the commands a redis-server runs, from MONITOR.
type monitored struct {
	t  *testing.T
	rd *bufio.Reader
}

func monitor(t *testing.T, addr string) *monitored {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(8 * time.Second))
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	if line, err := rd.ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("MONITOR: %q, %v", line, err)
	}
	return &monitored{t: t, rd: rd}
}

// until sends ECHO marker with c and counts, by name, the commands run by
// scripts until the marker shows.
func (m *monitored) until(c *redis.Client, marker string) map[string]int {
	m.t.Helper()
	if err := c.Echo(context.Background(), marker).Err(); err != nil {
		m.t.Fatal(err)
	}
	n := map[string]int{}
	for {
		line, err := m.rd.ReadString('\n')
		if err != nil {
			m.t.Fatalf("MONITOR: %v", err)
		}
		if strings.Contains(strings.ToUpper(line), `"ECHO" "`+strings.ToUpper(marker)+`"`) {
			return n
		}
		// +1733450000.123456 [0 lua] "HSET" "key" ...
		if _, rest, ok := strings.Cut(line, " lua] \""); ok {
			name, _, _ := strings.Cut(rest, `"`)
			n[strings.ToUpper(name)]++
		}
	}
}

// TestRedisDeadlineClient: with a client that honours context deadlines
// (ContextTimeoutEnabled), which the limiter asks in the calling
// goroutine, a stalled Redis still holds a call no longer than its
// context's deadline, and no longer than the Redis timeout, not the
// client's 5 s read timeout.
func TestRedisDeadlineClient(t *testing.T) {
	r := testutil.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		ContextTimeoutEnabled: true})
	var out logs
	patient := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()), throttle.RedisTimeout(20*time.Second))
	quick := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()), throttle.RedisTimeout(200*time.Millisecond))
	ctx := context.Background()
	for _, l := range []*throttle.Limiter{patient, quick} {
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatal(err)
		}
	}
	r.Pause()
	t.Cleanup(func() {
		r.Resume()
		c.Close()
	})

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := patient.Wait(short, "k", false)
	if d := time.Since(start); status.Code(err) != codes.DeadlineExceeded || d > 4*time.Second {
		t.Errorf("a call with 300 ms to go on a stalled Redis: %v after %v, want DeadlineExceeded at its deadline", err, d)
	}

	start = time.Now()
	for range 20 {
		if err := quick.Wait(ctx, "k", false); err != nil {
			t.Fatalf("Redis stalled: %v", err)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("20 calls with Redis stalled took %v: they waited for the client's read timeout", d)
	}
	if got := strings.Count(out.String(), "level=WARN"); got != 1 {
		t.Errorf("Redis stalled: %d warnings, want 1 (from the limiter with a 200 ms timeout):\n%s", got, out.String())
	}
}

// TestRedisDeadlineClientCancelled: go-redis watches a context's deadline,
// not its cancellation, so a call whose context can be cancelled waits for
// Redis in a goroutine even with ContextTimeoutEnabled: cancelled while
// Redis is stalled, it returns at once, not after the Redis timeout.
func TestRedisDeadlineClientCancelled(t *testing.T) {
	r := testutil.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr, ContextTimeoutEnabled: true})
	l := throttle.Redis(c, 1000, 10, throttle.RedisTimeout(20*time.Second))
	if err := l.Wait(context.Background(), "k", false); err != nil {
		t.Fatal(err)
	}
	r.Pause()
	t.Cleanup(func() {
		r.Resume()
		c.Close()
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := l.Wait(ctx, "k", false)
	if d := time.Since(start); status.Code(err) != codes.Canceled || d > 4*time.Second {
		t.Errorf("a call cancelled while Redis stalls: %v after %v, want Canceled at once", err, d)
	}
}

// TestRedisDeadlineClientDown: with a client that honours context
// deadlines, a call to a Redis that refuses connections ends within the
// Redis timeout, not after go-redis's dial retries and their waits.
func TestRedisDeadlineClientDown(t *testing.T) {
	r := testutil.Redis(t)
	r.Kill()
	c := redis.NewClient(&redis.Options{Addr: r.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	var out logs
	l := throttle.Redis(c, 1000, 10, throttle.Logger(out.logger()), throttle.RedisTimeout(50*time.Millisecond))
	start := time.Now()
	if err := l.Wait(context.Background(), "k", false); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a call to a dead Redis with a 50 ms timeout took %v", d)
	}
	if !strings.Contains(out.String(), "Redis is unusable") {
		t.Errorf("the limiter did not say Redis is unusable:\n%s", out.String())
	}
}
