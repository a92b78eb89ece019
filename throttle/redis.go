package throttle

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

const (
	// redisKeyPrefix begins the Redis key of every budget.
	redisKeyPrefix = "clarifaiauth:throttle:"
	// redisTimeout is how long a call waits for Redis before it is paced
	// locally instead.
	redisTimeout = 50 * time.Millisecond
	// firstTimeout replaces it until Redis first answers: that answer
	// includes connecting and loading the rate script.
	firstTimeout = 500 * time.Millisecond
	// A limiter whose Redis does not answer asks it again after
	// firstProbe, then twice as long after each failure, up to maxProbe.
	firstProbe = 250 * time.Millisecond
	maxProbe   = 5 * time.Second
	// minInterval bounds the rate: Redis's rate algorithm counts time in
	// floating-point seconds, good to about a tenth of a microsecond.
	minInterval = time.Microsecond
	// minRetry is the least a call waits before asking Redis again after
	// a refusal, so that a refusal due now cannot make calls spin.
	minRetry = 10 * time.Microsecond
)

// Redis returns a Limiter whose budgets are kept in Redis and shared by
// every process that uses the same Redis: together they make perSecond
// calls a second with each credential on average, and up to burst at once
// (at least 1); rates above a million a second are kept as a million. Every
// process sharing a budget must give the same rate and burst. It panics if
// client is nil or perSecond is not a positive number.
//
// While Redis fails or takes over 50 ms to answer (500 ms for its first
// answer, which includes connecting), calls are paced in this process at
// the FallbackRate, and Redis is asked again after a quarter second, then
// less often (up to every 5 s); the Logger hears when that starts and ends.
// When Redis answers again, the calls paced locally meanwhile are taken
// from the shared budget.
func Redis(client redis.UniversalClient, perSecond float64, burst int, opts ...Option) *Limiter {
	checkRate(perSecond)
	if client == nil {
		panic("throttle: Redis needs a client")
	}
	burst = max(burst, 1)
	s := &shared{
		rdb:      client,
		rl:       redis_rate.NewLimiter(client),
		interval: max(time.Duration(float64(time.Second)/perSecond), minInterval),
		burst:    burst,
		maxLease: min(max(burst/4, 1), maxLease),
	}
	l := newLimiter(perSecond, burst, s, opts)
	s.fbRate, s.fbBurst = perSecond, burst
	if r := l.opts.fallbackRate; r > 0 {
		checkRate(r)
		s.fbRate, s.fbBurst = r, max(l.opts.fallbackBurst, 1)
	}
	return l
}

// errSlow is why a limiter paces locally when Redis is too slow.
var errSlow = errors.New("no answer in time")

// shared is the Redis side of a Limiter.
type shared struct {
	rdb      redis.UniversalClient
	rl       *redis_rate.Limiter
	interval time.Duration // between two calls at the full rate
	burst    int
	maxLease int
	fbRate   float64
	fbBurst  int

	down     atomic.Bool   // Redis does not answer: pace locally
	answered atomic.Bool   // Redis answered at least once
	episode  atomic.Uint64 // counts the times Redis stopped answering
	probeAt  atomic.Int64  // when to ask a silent Redis again (offset)
	probing  atomic.Bool
	mu       sync.Mutex    // orders the changes of down
	backoff  time.Duration // the wait before the next probe; under mu
}

// limit is the shared budget's limit, slowed to the pace depth: a slowed
// call costs 2^depth times the time of a call at the full rate.
func (s *shared) limit(depth int) redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Period: s.interval << depth, Burst: max(1, s.burst>>depth)}
}

// wait takes a token from b's lease, or from Redis, or from the fallback.
func (s *shared) wait(ctx context.Context, l *Limiter, b *bucket, now time.Time) error {
	if !s.down.Load() && b.lease.take(now.Sub(l.epoch)) {
		return nil
	}
	lz := &b.lease
	lz.mu.Lock()
	lz.waiting++
	lz.mu.Unlock()
	defer func() {
		lz.mu.Lock()
		lz.waiting--
		lz.mu.Unlock()
	}()
	for ; ; now = time.Now() {
		off := now.Sub(l.epoch)
		if s.down.Load() {
			s.probe(l, off)
			err := s.fallback(l, b, now).wait(ctx, now)
			if err == nil && lz.owed.Load() < int64(s.burst) {
				lz.owed.Add(1)
			}
			return err
		}
		lz.mu.Lock()
		if lz.take(off) {
			lz.mu.Unlock()
			return nil
		}
		f := lz.fetch
		if f == nil || off >= f.deadline {
			if off < lz.next {
				// Redis said when the next token comes: wait for it, or
				// fail now if it comes too late.
				d := lz.next - off
				lz.mu.Unlock()
				if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
					return errDeadline
				}
				if err := sleep(ctx, d); err != nil {
					return err
				}
				continue
			}
			f = s.fetch(l, b, off)
		}
		lz.mu.Unlock()
		t := time.NewTimer(f.deadline - off)
		select {
		case <-f.done:
		case <-t.C:
			s.markDown(l, errSlow)
		case <-ctx.Done():
			t.Stop()
			return contextError(ctx)
		}
		t.Stop()
	}
}

// fetch asks Redis for tokens for b's lease. b.lease.mu must be held.
func (s *shared) fetch(l *Limiter, b *bucket, off time.Duration) *fetch {
	lz := &b.lease
	n := min(max(lz.want, lz.waiting, 1), s.maxLease)
	timeout := redisTimeout
	if !s.answered.Load() {
		timeout = firstTimeout
	}
	f := &fetch{done: make(chan struct{}), deadline: off + timeout}
	lz.fetch = f
	depth := b.pace.current(off)
	owed := int(lz.owed.Swap(0))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		res, err := s.rl.AllowAtMost(ctx, b.key, s.limit(depth), owed+n)
		cancel()
		if err == nil {
			s.answered.Store(true)
		}
		off := time.Since(l.epoch)
		lz.mu.Lock()
		if lz.fetch == f {
			lz.fetch = nil
		}
		switch {
		case err != nil:
			lz.owed.Add(int64(owed))
		case res.Allowed > owed:
			lz.add(off, res.Allowed-owed, n, s.maxLease)
		case res.Allowed > 0:
			// The shared budget paid for the calls paced locally and has
			// no token left for this one.
			lz.next = off + s.interval
		default:
			lz.next = off + max(res.RetryAfter, minRetry)
		}
		lz.mu.Unlock()
		if err != nil {
			s.markDown(l, err)
		}
		close(f.done)
	}()
	return f
}

// fallback returns b's local rate for the current time Redis is silent:
// a fresh one each time, holding one token, so that a fleet falling back
// at once does not burst.
func (s *shared) fallback(l *Limiter, b *bucket, now time.Time) *localRate {
	ep := s.episode.Load()
	old := b.local.Load()
	if old != nil && old.episode == ep {
		return old
	}
	r := newLocalRate(s.fbRate, s.fbBurst, b.pace.current(now.Sub(l.epoch)))
	r.episode = ep
	r.lim.AllowN(now, r.lim.Burst()-1)
	if !b.local.CompareAndSwap(old, r) {
		return b.local.Load()
	}
	return r
}

// markDown switches to local pacing, saying so once.
func (s *shared) markDown(l *Limiter, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down.Load() {
		return
	}
	s.episode.Add(1)
	s.backoff = firstProbe
	s.probeAt.Store(int64(time.Since(l.epoch) + firstProbe))
	s.down.Store(true)
	if lg := l.logger(); lg != nil {
		lg.Warn("throttle: Redis does not answer; pacing calls in this process until it does", "err", clip(err.Error(), 200))
	}
}

// probe asks a silent Redis, one at a time and less and less often,
// whether it answers again.
func (s *shared) probe(l *Limiter, off time.Duration) {
	if int64(off) < s.probeAt.Load() || !s.probing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.probing.Store(false)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		err := s.rdb.Ping(ctx).Err()
		cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil || time.Since(start) > redisTimeout {
			s.backoff = min(2*s.backoff, maxProbe)
			s.probeAt.Store(int64(time.Since(l.epoch) + s.backoff))
			return
		}
		s.down.Store(false)
		if lg := l.logger(); lg != nil {
			lg.Info("throttle: Redis answers again; pacing calls with the shared budget")
		}
	}()
}

// logger returns where to say that Redis stopped or started answering.
func (l *Limiter) logger() *slog.Logger {
	if l.opts.loggerOK {
		return l.opts.logger
	}
	return slog.Default()
}

// clip shortens s, text from outside, to at most n bytes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
