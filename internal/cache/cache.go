package cache

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

var (
	// ErrBusy is returned instead of starting a load while Options.MaxLoads
	// loads run (hung ones included).
	ErrBusy = errors.New("too many loads in flight")
	// ErrAbandoned is returned, with Options.FailAbandoned, instead of
	// joining a load that a caller gave up waiting for.
	ErrAbandoned = errors.New("an earlier load was given up on and has not returned")
	// ErrTooManyAbandoned wraps ErrAbandoned; with Options.FailAbandoned it
	// is returned instead of starting a load while MaxAbandoned loads that
	// callers gave up on have not returned.
	ErrTooManyAbandoned = errors.New("too many loads given up on have not returned")
)

// Forever is a TTL that never expires.
const Forever = time.Duration(math.MaxInt64)

// Options configures a Cache. The zero Options keeps nothing: the Cache
// only shares loads (single flight).
type Options[K comparable, V any] struct {
	TTL      time.Duration // how long a value is kept; <= 0: not kept
	ErrTTL   time.Duration // how long an error is kept; <= 0: not kept
	MaxBytes int64         // budget of kept entries, as Size counts them
	Size     func(K, V) int64
	Timeout  time.Duration // bounds each load; <= 0: no bound
	MaxLoads int           // loads running at once, hung ones included; <= 0: no bound

	// FailAbandoned makes a caller fail with ErrAbandoned rather than join
	// a load another caller gave up on, and, while MaxAbandoned such loads
	// have not returned, fail with ErrTooManyAbandoned rather than start
	// one: for loads that may block for good (a hung file read).
	FailAbandoned bool
	MaxAbandoned  int

	Now    func() time.Time // the clock; time.Now if nil
	OnWait func()           // tests: called when a caller starts waiting for a load
}

// Cache maps keys to values loaded once and kept for a while. Hits are a
// lock-free read. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	o       Options[K, V]
	entries sync.Map // K → *entry[V], finished loads only

	mu        sync.Mutex // guards what follows; held for O(1) work
	flights   map[K]*flight[V]
	order     []slot[K] // kept keys, oldest first: the eviction queue
	head      int       // order[head:] are in the queue
	stale     int       // slots in order[head:] whose entry is gone or newer
	seq       uint64    // numbers the slots
	bytes     int64
	loads     int // loader goroutines running
	abandoned int // flights given up on that have not finished
}

type entry[V any] struct {
	v       V
	err     error
	expires time.Time // zero: never
	size    int64
	seq     uint64 // the entry's slot in the eviction queue
}

// slot is a place in the eviction queue: k's entry if it still has seq.
type slot[K comparable] struct {
	k   K
	seq uint64
}

type flight[V any] struct {
	done      chan struct{} // closed once v and err are set
	v         V
	err       error
	abandoned bool // guarded by Cache.mu
}

// New returns a Cache configured by o.
func New[K comparable, V any](o Options[K, V]) *Cache[K, V] {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cache[K, V]{o: o, flights: make(map[K]*flight[V])}
}

// Get returns k's kept value or error, or loads it: one load per key at a
// time, shared by every caller that asks meanwhile. A caller whose ctx
// ends first gets ctx's error; the load goes on for the others. An error
// wrapped with Uncached goes to the callers of that load but is not kept.
func (c *Cache[K, V]) Get(ctx context.Context, k K, load func(context.Context) (V, error)) (V, error) {
	var zero V
	if e := c.fresh(k); e != nil {
		return e.v, e.err
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	c.mu.Lock()
	f := c.flights[k]
	switch {
	case f == nil:
		if e := c.fresh(k); e != nil { // a load ended since the miss
			c.mu.Unlock()
			return e.v, e.err
		}
		if c.o.FailAbandoned && c.o.MaxAbandoned > 0 && c.abandoned >= c.o.MaxAbandoned {
			c.mu.Unlock()
			return zero, ErrTooManyAbandoned
		}
		if c.o.MaxLoads > 0 && c.loads >= c.o.MaxLoads {
			c.mu.Unlock()
			return zero, ErrBusy
		}
		f = &flight[V]{done: make(chan struct{})}
		c.flights[k] = f
		c.loads++
		go c.run(context.WithoutCancel(ctx), k, f, load)
	case f.abandoned && c.o.FailAbandoned:
		c.mu.Unlock()
		return zero, ErrAbandoned
	}
	c.mu.Unlock()
	if c.o.OnWait != nil {
		c.o.OnWait()
	}
	select {
	case <-f.done:
		return f.v, f.err
	case <-ctx.Done():
		c.mu.Lock()
		select {
		case <-f.done: // ended meanwhile: nothing was given up on
		default:
			if !f.abandoned {
				f.abandoned = true
				c.abandoned++
			}
		}
		c.mu.Unlock()
		return zero, ctx.Err()
	}
}

// run loads k for flight f, bounded by the timeout, and ends the flight.
func (c *Cache[K, V]) run(ctx context.Context, k K, f *flight[V], load func(context.Context) (V, error)) {
	counted := func(ctx context.Context) (V, error) {
		defer func() {
			c.mu.Lock()
			c.loads--
			c.mu.Unlock()
		}()
		return load(ctx)
	}
	var v V
	var err error
	if c.o.Timeout > 0 {
		v, err = Run(ctx, c.o.Timeout, counted)
	} else {
		v, err = protect(ctx, counted)
	}
	keep := true
	if u, ok := err.(*uncached); ok {
		err, keep = u.err, false
	}
	c.mu.Lock()
	delete(c.flights, k)
	if f.abandoned {
		c.abandoned--
	}
	if keep {
		c.store(k, v, err)
	}
	f.v, f.err = v, err
	close(f.done)
	c.mu.Unlock()
}

// fresh returns k's kept entry if it has not expired.
func (c *Cache[K, V]) fresh(k K) *entry[V] {
	v, ok := c.entries.Load(k)
	if !ok {
		return nil
	}
	e := v.(*entry[V])
	if !e.expires.IsZero() && !c.o.Now().Before(e.expires) {
		return nil
	}
	return e
}

// store keeps v and err for k, evicting the oldest entries while the cache
// is over its byte budget; O(1) amortised. An entry larger than the whole
// budget is not kept. c.mu is held.
func (c *Cache[K, V]) store(k K, v V, err error) {
	ttl := c.o.TTL
	if err != nil {
		ttl = c.o.ErrTTL
	}
	var size int64
	if c.o.Size != nil {
		size = c.o.Size(k, v)
	}
	if ttl <= 0 || size > c.o.MaxBytes {
		if old, ok := c.entries.LoadAndDelete(k); ok {
			c.bytes -= old.(*entry[V]).size
			c.dropped()
		}
		return
	}
	e := &entry[V]{v: v, err: err, size: size}
	if ttl != Forever {
		e.expires = c.o.Now().Add(ttl)
	}
	if old, ok := c.entries.Load(k); ok {
		e.seq = old.(*entry[V]).seq // a reload keeps its place
		c.bytes += size - old.(*entry[V]).size
	} else {
		c.seq++
		e.seq = c.seq
		c.bytes += size
		c.order = append(c.order, slot[K]{k, e.seq})
	}
	c.entries.Store(k, e)
	for c.bytes > c.o.MaxBytes && c.head < len(c.order) {
		s := c.order[c.head]
		c.order[c.head] = slot[K]{}
		c.head++
		if !c.holds(s) {
			c.stale--
			continue
		}
		if s.k == k {
			c.order = append(c.order, s) // the newest stays; evict older ones
			continue
		}
		if v, ok := c.entries.LoadAndDelete(s.k); ok {
			c.bytes -= v.(*entry[V]).size
		}
	}
	if c.head > len(c.order)/2 { // each slot is copied O(1) times
		c.order = append(c.order[:0], c.order[c.head:]...)
		clear(c.order[len(c.order):cap(c.order)])
		c.head = 0
	}
}

// holds reports whether s is the place of k's entry in the queue. c.mu is
// held.
func (c *Cache[K, V]) holds(s slot[K]) bool {
	v, ok := c.entries.Load(s.k)
	return ok && v.(*entry[V]).seq == s.seq
}

// dropped counts a slot whose entry is gone without leaving the queue, and
// drops the stale slots once they outnumber the live ones, so that the
// queue stays within twice the entries kept: O(1) amortised. c.mu is held.
func (c *Cache[K, V]) dropped() {
	c.stale++
	if c.stale <= len(c.order)-c.head-c.stale {
		return
	}
	live := c.order[:0]
	for _, s := range c.order[c.head:] {
		if c.holds(s) {
			live = append(live, s)
		}
	}
	clear(c.order[len(live):])
	c.order, c.head, c.stale = live, 0, 0
}

// Compute returns k's kept value, or computes it with f on the caller's
// goroutine and keeps it; a value kept meanwhile wins, so every caller sees
// one value. It is for cheap, pure computations that need no single flight.
func (c *Cache[K, V]) Compute(k K, f func() V) V {
	if e := c.fresh(k); e != nil {
		return e.v
	}
	v := f()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.fresh(k); e != nil {
		return e.v
	}
	c.store(k, v, nil)
	return v
}

// Put keeps v for k, as a successful load would.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	c.store(k, v, nil)
	c.mu.Unlock()
}

// Peek returns k's kept value or error, if it is there and fresh (ok),
// without loading.
func (c *Cache[K, V]) Peek(k K) (ok bool, v V, err error) {
	if e := c.fresh(k); e != nil {
		return true, e.v, e.err
	}
	return false, v, nil
}

// Stats returns how many entries the cache keeps, their size, and how many
// loads run.
func (c *Cache[K, V]) Stats() (entries int, bytes int64, loads int) {
	c.entries.Range(func(any, any) bool { entries++; return true })
	c.mu.Lock()
	defer c.mu.Unlock()
	return entries, c.bytes, c.loads
}

// Uncached wraps err so that Get returns err to the callers of the load
// that returned it, and does not keep it.
func Uncached(err error) error {
	if err == nil {
		return nil
	}
	return &uncached{err}
}

type uncached struct{ err error }

func (u *uncached) Error() string { return u.err.Error() }
func (u *uncached) Unwrap() error { return u.err }
