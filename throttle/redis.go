package throttle

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
)

//go:embed gcra.lua
var gcraLua string

// gcraScript runs by EVALSHA, loading itself on NOSCRIPT.
var gcraScript = redis.NewScript(gcraLua)

const (
	// redisKeyPrefix begins the Redis keys of every budget.
	redisKeyPrefix = "clarifaiauth:throttle:"
	// The timeout of a request to Redis follows the round trip: timeoutRTTs
	// times its moving average, within [minTimeout, maxTimeout]; maxTimeout
	// until Redis first answers (connecting and loading the script).
	timeoutRTTs = 4
	minTimeout  = 100 * time.Millisecond
	maxTimeout  = 2 * time.Second
	// An unusable Redis is tried again after firstProbe, then twice as
	// long after each failure, up to maxProbe.
	firstProbe = 250 * time.Millisecond
	maxProbe   = 5 * time.Second
	// beatEvery is how often a process says it uses a budget (with a call).
	beatEvery = int64(time.Second)
	// maxRedisRate is the most a Redis budget keeps: one call a microsecond.
	maxRedisRate = 1e6
)

// Redis returns a Limiter whose budgets are kept in Redis with GCRA, shared
// by every process on that Redis: together they make perSecond calls a
// second per credential on average, up to burst at once. While Redis is
// unusable each process paces itself at FallbackRate (see
// docs/throttling.md). It panics if client is nil or a value is out of range.
func Redis(client redis.UniversalClient, perSecond float64, burst int, opts ...Option) *Limiter {
	if client == nil {
		panic("throttle: Redis needs a client, not nil")
	}
	checkRate("rate", perSecond)
	var id [8]byte
	_, _ = rand.Read(id[:])
	g := newGCRA(min(perSecond, maxRedisRate), burst, 1e6)
	s := &shared{rdb: client, pid: hex.EncodeToString(id[:]), direct: honoursDeadlines(client),
		g: g, step: g.step, window: g.window}
	l := newLimiter(perSecond, burst, s, opts)
	s.timeout = l.opts.redisTimeout
	return l
}

// redisKeys returns the keys of the budget named name, in one hash slot.
func redisKeys(name string) []string {
	k := redisKeyPrefix + "{" + braces.Replace(name) + "}"
	return []string{k, k + ":procs"}
}

var braces = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// shared is the Redis side of a Limiter.
type shared struct {
	rdb     redis.UniversalClient
	direct  bool // rdb honours deadlines: no goroutine for a call that cannot be cancelled
	g       gcra // in microseconds
	pid     any  // this Limiter in the budgets' process sets (a string)
	step    any  // g.step and g.window, as the script's arguments
	window  any
	timeout time.Duration // RedisTimeout; zero: follows rtt
	rtt     atomic.Int64  // moving average of the round trip, ns

	down    atomic.Bool   // Redis is unusable: pace in this process
	episode atomic.Uint64 // counts the times it became so
	probeAt atomic.Int64  // when to try it again
	probing atomic.Bool
	mu      sync.Mutex    // orders the changes of down
	backoff time.Duration // under mu
}

// fallback is a bucket's budget in this process for one episode of an
// unusable Redis.
type fallback struct {
	episode uint64
	slots   slots
}

// reply is the script's answer.
type reply struct {
	ok                 bool
	wait, tat, step    int64 // µs
	procs, factorMilli int64
}

// wait takes a slot of b's shared budget and waits for it, or paces the
// call in this process while Redis is unusable.
func (s *shared) wait(ctx context.Context, l *Limiter, b *bucket) error {
	if s.down.Load() {
		s.probe(l, b)
		return s.fallbackWait(ctx, l, b)
	}
	now := l.now()
	mw := maxWait(ctx, now, l.epoch)
	r, err := s.run(ctx, l, b, "take", mw, 0, 0, s.currentTimeout())
	if err != nil {
		if ctx.Err() != nil {
			return contextError(ctx)
		}
		s.markDown(l, b, err)
		return s.fallbackWait(ctx, l, b)
	}
	if !r.ok {
		l.refused()
		return errDeadline
	}
	send := l.now() + r.wait*1000
	for old := b.reserved.Load(); send > old && !b.reserved.CompareAndSwap(old, send); old = b.reserved.Load() {
	}
	return l.sleep(ctx, r.wait*1000, func() {
		go func() { _, _ = s.run(context.Background(), l, b, "undo", -1, r.tat, r.tat-r.step, s.currentTimeout()) }()
	})
}

// minusOne is the script's argument for no maximum wait, boxed once.
var minusOne any = int64(-1)

var (
	errGarbage = errors.New("the script's answer is not what it returns")
	errTimeout = errors.New("no answer within the timeout")
)

// run runs the script for b, waiting for it up to timeout or ctx's end: in
// a goroutine of its own, unless ctx cannot end and the client ends the
// request at the timeout itself (ContextTimeoutEnabled).
func (s *shared) run(ctx context.Context, l *Limiter, b *bucket, mode string, maxWait, undoAfter, undoBefore int64, timeout time.Duration) (reply, error) {
	now := l.now()
	mwUS := int64(-1)
	if maxWait >= 0 && maxWait < 1<<62 {
		mwUS = maxWait / 1000
	}
	// The process set, KEYS[2], only with a heartbeat.
	keys, beat := b.keys[:1], false
	if at := b.beatAt.Load(); now >= at && b.beatAt.CompareAndSwap(at, now+beatEvery) {
		keys, beat = b.keys, true
	}
	thr := "0"
	if b.throttled.Swap(false) {
		thr = "1"
	}
	debt := b.debt.Load()
	owed := max(0, debt-now) / 1000
	args := make([]any, 7, 9)
	args[0], args[1], args[2], args[3], args[4], args[5], args[6] = s.step, s.window, minusOne, owed, thr, "", mode
	if mwUS >= 0 {
		args[2] = mwUS
	}
	if beat {
		args[5] = s.pid
	}
	if mode == "undo" {
		args = append(args, undoAfter, undoBefore)
	}
	start := time.Now()
	var res result
	if s.direct && ctx.Done() == nil {
		rctx, cancel := context.WithDeadline(ctx, start.Add(timeout))
		res.v, res.err = s.eval(rctx, keys, args)
		cancel()
	} else {
		res = s.evalAsync(ctx, keys, args, timeout)
	}
	r, err := parseReply(res.v, res.err, mwUS)
	if err != nil {
		if thr == "1" {
			b.throttled.Store(true)
		}
		if beat {
			b.beatAt.Store(0)
		}
		return r, err
	}
	s.observe(time.Since(start))
	if owed > 0 {
		b.debt.CompareAndSwap(debt, 0)
	}
	if beat && r.procs > 0 {
		b.procs.Store(r.procs)
	}
	// Mirror the fleet's rate factor, for the fallback.
	now = l.now()
	if f, cur := float64(r.factorMilli)/1e6, b.rate.Load(); f >= 1 && cur != nil {
		b.rate.CompareAndSwap(cur, nil)
	} else if d := f - cur.factor(now); f < 1 && (d > 0.01 || d < -0.01) {
		b.rate.CompareAndSwap(cur, &aimd{f0: f, t0: now})
	}
	return r, nil
}

// result is the script's answer, unchecked.
type result struct {
	v   []int64
	err error
}

// eval runs the script once, in the calling goroutine.
func (s *shared) eval(ctx context.Context, keys []string, args []any) ([]int64, error) {
	return gcraScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
}

// evalAsync runs the script with cache.Run, in a goroutine of its own, and
// waits for it up to timeout or ctx's end: the client may not honour ctx,
// and a stalled Redis must not hold the call.
func (s *shared) evalAsync(ctx context.Context, keys []string, args []any, timeout time.Duration) result {
	v, err := cache.Run(ctx, timeout, func(rctx context.Context) ([]int64, error) {
		return s.eval(rctx, keys, args)
	})
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = errTimeout // Run's timeout, not the caller's end
	}
	return result{v, err}
}

// honoursDeadlines reports whether c ends its requests by their context's
// deadline (ContextTimeoutEnabled).
func honoursDeadlines(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// parseReply checks the script's answer, text from outside.
func parseReply(v []int64, err error, maxWait int64) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	if len(v) != 6 {
		return reply{}, errGarbage
	}
	r := reply{ok: v[0] == 1, wait: v[1], tat: v[2], procs: v[3], factorMilli: v[4], step: v[5]}
	if v[0] != 0 && v[0] != 1 || r.wait < 0 || r.wait > maxWindow || r.step < 1 || r.step > maxWindow ||
		r.procs < 0 || r.factorMilli < 1e6/64 || r.factorMilli > 1e6 || r.ok && maxWait >= 0 && r.wait > maxWait {
		return reply{}, errGarbage
	}
	return r, nil
}

// observe adds a round trip to the moving average.
func (s *shared) observe(d time.Duration) {
	for {
		old := s.rtt.Load()
		n := int64(d)
		if old != 0 {
			n = old + (n-old)/8
		}
		if s.rtt.CompareAndSwap(old, n) {
			return
		}
	}
}

// currentTimeout is how long a call waits for Redis.
func (s *shared) currentTimeout() time.Duration {
	if s.timeout > 0 {
		return s.timeout
	}
	r := time.Duration(s.rtt.Load())
	if r == 0 {
		return maxTimeout
	}
	return min(max(timeoutRTTs*r, minTimeout), maxTimeout)
}

// fallbackWait paces a call in this process, with one budget per bucket
// and episode, starting with one call's worth after the slots Redis gave,
// so that a fleet falling back at once does not burst. The calls it sends are owed to the shared budget.
func (s *shared) fallbackWait(ctx context.Context, l *Limiter, b *bucket) error {
	ep := s.episode.Load()
	fb := b.fallback.Load()
	if fb == nil || fb.episode != ep {
		rate, burst := s.fallbackRate(l, b)
		n := &fallback{episode: ep}
		n.slots.g = newGCRA(rate, burst, 1e9)
		// The first slot comes after the last one Redis gave this process.
		g := n.slots.g
		n.slots.tat.Store(max(l.now()+g.window-g.step, b.reserved.Load()+g.window))
		if b.fallback.CompareAndSwap(fb, n) {
			fb = n
		} else {
			fb = b.fallback.Load()
		}
	}
	if err := l.waitLocal(ctx, b, &fb.slots, 1); err != nil {
		return err
	}
	now := l.now()
	step, window := l.g.at(b.rate.Load().factor(now))
	for {
		d := b.debt.Load()
		if b.debt.CompareAndSwap(d, min(max(d, now)+step, now+window)) {
			return nil
		}
	}
}

// fallbackRate is the rate and burst b is paced at in this process while
// Redis is unusable.
func (s *shared) fallbackRate(l *Limiter, b *bucket) (float64, int) {
	if l.opts.fallbackRate > 0 {
		return l.opts.fallbackRate, l.opts.fallbackBurst
	}
	n := max(1, b.procs.Load())
	return max(l.perSecond/float64(n), minRate), max(1, l.burst/int(n))
}

// markDown switches to pacing in this process, saying so once.
func (s *shared) markDown(l *Limiter, b *bucket, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down.Load() {
		return
	}
	s.episode.Add(1)
	s.backoff = firstProbe
	s.probeAt.Store(l.now() + int64(firstProbe))
	s.down.Store(true)
	if lg := l.logger(); lg != nil {
		rate, burst := s.fallbackRate(l, b)
		lg.Warn("throttle: Redis is unusable; pacing calls in this process until it answers",
			"err", cleantext.String(err.Error(), 200), "rate", rate, "burst", burst,
			"processes", fmt.Sprint(max(1, b.procs.Load())))
	}
}

// probe runs the script (taking nothing) for an unusable Redis, one at a
// time and less and less often; Redis is usable again once it answers.
func (s *shared) probe(l *Limiter, b *bucket) {
	if l.now() < s.probeAt.Load() || !s.probing.CompareAndSwap(false, true) {
		return
	}
	timeout := maxTimeout
	if s.timeout > 0 {
		timeout = s.timeout
	}
	go func() {
		defer s.probing.Store(false)
		_, err := s.run(context.Background(), l, b, "probe", -1, 0, 0, timeout)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.backoff = min(2*s.backoff, maxProbe)
			s.probeAt.Store(l.now() + int64(s.backoff))
			return
		}
		s.down.Store(false)
		if lg := l.logger(); lg != nil {
			lg.Info("throttle: Redis answers again; pacing calls with the shared budget")
		}
	}()
}
