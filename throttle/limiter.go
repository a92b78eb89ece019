package throttle

import (
	"context"
	"math"
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
	g         gcra // in nanoseconds
	opts      options
	epoch     time.Time
	shared    *shared // nil for Local

	account *bucket                // the one bucket, with Account
	last    atomic.Pointer[bucket] // the bucket used last
	buckets sync.Map               // name → *bucket
	held    atomic.Int64           // bytes of the buckets in buckets, as bucket.size counts them
	sweepAt atomic.Int64           // bytes held past which the next new bucket sweeps

	longWaits, refusals episodes
}

// bucket is the state of one budget in this process.
type bucket struct {
	name  string
	users atomic.Int32 // calls using it; -1 once swept
	rate  atomic.Pointer[aimd]
	retry budget
	slots slots // Local only

	// Redis only.
	keys      []string                 // the budget's keys
	fallback  atomic.Pointer[fallback] // while Redis is unusable
	debt      atomic.Int64             // GCRA tat of the calls paced meanwhile
	throttled atomic.Bool              // a throttled reply to tell Redis
	procs     atomic.Int64             // processes sharing it, last seen
	beatAt    atomic.Int64             // when to say it is used again
	reserved  atomic.Int64             // the last slot Redis gave
}

// The buckets are bounded by bytes, the module's one bound policy; they
// are not in internal/cache because a call takes its bucket without a lock
// (a sync.Map read and an atomic count), and a bucket in use or holding
// state (a slot ahead, a slowdown, a spent retry budget) must not be
// evicted. Past the budget, a new bucket sweeps out every idle one.
const (
	// bucketOverhead is what a bucket holds besides its name and keys.
	bucketOverhead = 320
	// minSweep is how many bytes of buckets a Limiter holds before it
	// drops idle ones: a thousand buckets of ordinary names.
	minSweep = 1024 * (bucketOverhead + 64)
)

// size counts the bytes b holds, for the Limiter's bound.
func (b *bucket) size() int64 {
	n := int64(bucketOverhead + len(b.name))
	for _, k := range b.keys {
		n += int64(len(k)) + 16
	}
	return n
}

func newLimiter(perSecond float64, burst int, s *shared, opts []Option) *Limiter {
	checkRate("rate", perSecond)
	checkBurst("burst", burst)
	l := &Limiter{perSecond: perSecond, burst: burst, shared: s, epoch: time.Now(),
		g: newGCRA(perSecond, burst, 1e9)}
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
	b := &bucket{name: name}
	b.slots.g = l.g
	if l.shared != nil {
		b.keys = redisKeys(name)
	}
	return b
}

// now returns the monotonic time since the Limiter's epoch.
func (l *Limiter) now() int64 { return int64(time.Since(l.epoch)) }

// Wait returns nil when a call with the credential named bucket may be
// sent, after waiting for its slot if need be; retry is true when the
// call's previous attempt failed. It fails at once with an error that is
// ErrLimited (errors.Is) and has code ResourceExhausted when the slot
// would come after ctx's deadline or the retry budget is spent, and with
// ctx's error (as a gRPC status) if ctx ends while it waits.
func (l *Limiter) Wait(ctx context.Context, bucket string, retry bool) error {
	b := l.acquire(bucket)
	defer b.users.Add(-1)
	if retry && !b.retry.spend() {
		l.refused()
		return errBudget
	}
	var err error
	if l.shared != nil {
		err = l.shared.wait(ctx, l, b)
	} else {
		err = l.waitLocal(ctx, b, &b.slots, 1)
	}
	if err != nil && retry {
		b.retry.refund()
	}
	return err
}

// waitLocal takes a slot of s, paced at rate × b's factor, and waits for it.
func (l *Limiter) waitLocal(ctx context.Context, b *bucket, s *slots, rate float64) error {
	now := l.now()
	sl, ok := s.take(now, rate*b.rate.Load().factor(now), maxWait(ctx, now, l.epoch))
	if !ok {
		l.refused()
		return errDeadline
	}
	return l.sleep(ctx, sl.send-now, func() { s.give(sl, l.now()) })
}

// sleep waits d for a slot, or calls give and fails if ctx ends first.
func (l *Limiter) sleep(ctx context.Context, d int64, give func()) error {
	if d <= 0 {
		return nil
	}
	if d > int64(time.Second) {
		l.longWaits.note(l, "throttle: calls wait over a second for their rate-limit slot", d)
	}
	t := time.NewTimer(time.Duration(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		give()
		return contextError(ctx)
	}
}

func (l *Limiter) refused() {
	l.refusals.note(l, "throttle: calls refused: their rate-limit slot comes after their deadline, or the retry budget is spent", 0)
}

// maxWait returns how long a call on ctx may wait for its slot, from now.
func maxWait(ctx context.Context, now int64, epoch time.Time) int64 {
	d, ok := ctx.Deadline()
	if !ok {
		return math.MaxInt64
	}
	return int64(d.Sub(epoch)) - now
}

// Done records how a sent call with the credential named bucket ended:
// throttled is true when the server answered CONN_THROTTLED, which slows
// the budget (and with Redis, the fleet's); any other end earns a tenth of
// a retry.
func (l *Limiter) Done(bucket string, throttled bool) {
	// The common case changes nothing: a success with no retry spent.
	if b := l.last.Load(); !throttled && b != nil && b.name == bucket && b.retry.full() {
		return
	}
	b := l.acquire(bucket)
	defer b.users.Add(-1)
	if !throttled {
		b.retry.earn()
		return
	}
	now := l.now()
	for {
		old := b.rate.Load()
		if n := old.slowed(now); n == old || b.rate.CompareAndSwap(old, n) {
			break
		}
	}
	if l.shared != nil {
		b.throttled.Store(true)
	}
}

// acquire returns the bucket named name, counted as used until its users
// count is decremented, so that no sweep drops it meanwhile.
func (l *Limiter) acquire(name string) *bucket {
	if b := l.account; b != nil {
		b.users.Add(1) // never swept
		return b
	}
	// A process mostly uses one key, whose bucket name is the same string
	// on every call.
	if b := l.last.Load(); b != nil && b.name == name && b.use() {
		return b
	}
	for {
		v, ok := l.buckets.Load(name)
		if !ok {
			var loaded bool
			v, loaded = l.buckets.LoadOrStore(name, l.newBucket(name))
			if !loaded && l.held.Add(v.(*bucket).size()) > l.sweepAt.Load() {
				l.sweep()
			}
		}
		if b := v.(*bucket); b.use() {
			l.last.Store(b)
			return b
		}
	}
}

// use counts a call as using b, unless b was swept.
func (b *bucket) use() bool {
	for {
		n := b.users.Load()
		if n < 0 {
			return false
		}
		if b.users.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// idle reports whether b is as good as new at now: no slot ahead, nothing
// slowed, spent or owed.
func (b *bucket) idle(now int64) bool {
	return b.slots.idle(now) && b.rate.Load().factor(now) >= 1 &&
		b.retry.full() && b.debt.Load() <= now && !b.throttled.Load() &&
		(b.fallback.Load() == nil || b.fallback.Load().slots.idle(now))
}

// sweep drops the idle buckets, so that a process that sees many keys over
// time holds only those in use. A bucket is marked swept (users -1) before
// it is dropped, and only while no call uses it.
func (l *Limiter) sweep() {
	now := l.now()
	l.buckets.Range(func(name, v any) bool {
		b := v.(*bucket)
		if b.users.Load() != 0 || !b.idle(now) || !b.users.CompareAndSwap(0, -1) {
			return true
		}
		if !b.idle(now) { // a call came and went meanwhile
			b.users.Store(0)
			return true
		}
		if l.buckets.CompareAndDelete(name, b) {
			l.held.Add(-b.size())
		}
		return true
	})
	l.sweepAt.Store(max(minSweep, 2*l.held.Load()))
}
