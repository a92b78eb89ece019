package throttle

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A Limiter paces calls per credential; make one with Local or Redis and
// give it to the interceptors (interceptor.WithThrottle). It is safe for
// concurrent use.
type Limiter struct {
	perSecond float64
	burst     int
	opts      options
	epoch     time.Time
	shared    *shared // nil for Local

	account *bucket                // the one bucket, with Account
	last    atomic.Pointer[bucket] // the bucket used last
	buckets sync.Map               // name → *bucket
	held    atomic.Int64
	sweepAt atomic.Int64
}

// bucket is the state of one budget in this process.
type bucket struct {
	name   string
	key    string // with Redis, the budget's Redis key
	pace   pace
	budget budget
	local  atomic.Pointer[localRate] // Local: the bucket; Redis: the fallback
	lease  lease                     // Redis only
}

// minSweep is how many buckets a Limiter holds before it drops idle ones.
const minSweep = 1024

func newLimiter(perSecond float64, burst int, s *shared, opts []Option) *Limiter {
	l := &Limiter{perSecond: perSecond, burst: burst, shared: s, epoch: time.Now()}
	for _, o := range opts {
		o(&l.opts)
	}
	l.sweepAt.Store(minSweep)
	if l.opts.account != "" {
		l.account = l.newBucket(l.opts.account)
	}
	return l
}

func (l *Limiter) newBucket(name string) *bucket {
	b := &bucket{name: name, key: redisKeyPrefix + name}
	if l.shared == nil {
		b.local.Store(newLocalRate(l.perSecond, l.burst, 0))
	}
	return b
}

// Wait returns nil when a call with the credential named bucket may be
// sent, after waiting for its token if need be; retry is true for the
// second and later attempts of a call. It fails at once with an error that
// is ErrLimited (errors.Is) and has code ResourceExhausted when the token
// would come after ctx's deadline or the retry budget is spent, and with
// ctx's error (as a gRPC status) if ctx ends while it waits.
func (l *Limiter) Wait(ctx context.Context, bucket string, retry bool) error {
	now := time.Now()
	b := l.bucket(bucket)
	if retry && !b.budget.allowsRetry() {
		return errBudget
	}
	if off := now.Sub(l.epoch); b.pace.isDue(off) {
		l.setDepth(b, now, b.pace.settle(off))
	}
	if l.shared != nil {
		return l.shared.wait(ctx, l, b, now)
	}
	return b.local.Load().wait(ctx, now)
}

// Done records how a sent call with the credential named bucket ended:
// throttled is true when the server answered CONN_THROTTLED.
func (l *Limiter) Done(bucket string, throttled bool) {
	b := l.bucket(bucket)
	if !throttled {
		b.budget.succeeded()
		return
	}
	now := time.Now()
	b.budget.throttled()
	l.setDepth(b, now, b.pace.throttled(now.Sub(l.epoch)))
	b.lease.drop()
}

// setDepth slows b's local rate to the pace depth.
func (l *Limiter) setDepth(b *bucket, now time.Time, depth int) {
	if r := b.local.Load(); r != nil {
		r.slow(now, depth)
	}
}

// bucket returns the bucket named name.
func (l *Limiter) bucket(name string) *bucket {
	if l.account != nil {
		return l.account
	}
	// A process mostly uses one key, whose bucket name is the same string
	// on every call.
	if b := l.last.Load(); b != nil && b.name == name {
		return b
	}
	v, ok := l.buckets.Load(name)
	if !ok {
		var loaded bool
		v, loaded = l.buckets.LoadOrStore(name, l.newBucket(name))
		if !loaded && l.held.Add(1) > l.sweepAt.Load() {
			l.sweep(time.Now())
		}
	}
	b := v.(*bucket)
	l.last.Store(b)
	return b
}

// sweep drops the buckets that are as good as new (full, not slowed, no
// retry token spent, nothing leased), so that a process that sees many
// keys over time holds only those in use.
func (l *Limiter) sweep(now time.Time) {
	off := now.Sub(l.epoch)
	l.buckets.Range(func(name, v any) bool {
		b := v.(*bucket)
		if b != l.last.Load() && b.pace.current(off) == 0 && b.budget.full() && b.lease.empty(off) &&
			(b.local.Load() == nil || b.local.Load().full(now)) {
			if _, ok := l.buckets.LoadAndDelete(name); ok {
				l.held.Add(-1)
			}
		}
		return true
	})
	l.sweepAt.Store(max(minSweep, 2*l.held.Load()))
}
