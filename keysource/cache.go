package keysource

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCacheRefreshTimeout bounds one refresh of a Cached source unless
// CacheRefreshTimeout says otherwise.
const DefaultCacheRefreshTimeout = 30 * time.Second

// maxCacheRetry caps the delay before a failed refresh is retried.
const maxCacheRetry = time.Second

// CacheOption configures a Cached source.
type CacheOption func(*cacheOptions)

type cacheOptions struct {
	grace    time.Duration
	graceSet bool
	timeout  time.Duration
	onError  func(error)
}

// CacheGrace sets how long after its ttl has run out a key is still served
// when refreshing it fails (default: the ttl). Zero serves no expired key.
func CacheGrace(d time.Duration) CacheOption {
	return func(o *cacheOptions) { o.grace, o.graceSet = max(d, 0), true }
}

// CacheRefreshTimeout bounds each refresh: the inner source is called with a
// context that carries the values of the call that started the refresh, is
// not cancelled with it, and times out after d (default
// DefaultCacheRefreshTimeout). A d of zero or less keeps the default.
func CacheRefreshTimeout(d time.Duration) CacheOption {
	return func(o *cacheOptions) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// CacheOnError sets a function called with the error of every failed
// refresh, including those hidden from callers because an expired key is
// still within its grace window. It runs on the refresh's own goroutine,
// after waiting callers have been answered.
func CacheOnError(fn func(error)) CacheOption {
	return func(o *cacheOptions) { o.onError = fn }
}

// Cached returns a Source that keeps the key src gives for ttl, for a source
// too slow or costly to ask on every RPC (a secret manager behind a
// SourceFunc). It is safe for concurrent use if src is.
//
// While the key is fresh, Key costs an atomic load and a clock reading, with
// no lock and no allocation. Once it has expired, the first call starts a
// refresh, and src is asked once however many callers there are. While the
// refresh runs, calls keep getting the expired key as long as it is inside
// its grace window (CacheGrace), so an expiry adds no latency; calls with no
// usable key (the first ones, or past the window) wait for the refresh. The refresh runs on its
// own goroutine with a context that keeps the starting call's values but not
// its cancellation, bounded by CacheRefreshTimeout; a caller whose own
// context ends stops waiting and returns its context's error, wrapped, while
// the refresh goes on for the others.
//
// When a refresh fails, the previous key is still served until the grace
// window (CacheGrace) after its expiry ends, and the error goes to
// CacheOnError. Past the window, or with no previous key, the error is
// returned, wrapped and naming the source; an error wrapping ErrNoKey still
// does, so a Chain moves on. A failure is cached too: src is not asked again
// for the shorter of ttl and one second, so a failing src is not hammered.
// A src answering a zero Key with a nil error counts as failing with
// ErrNoKey.
//
// A ttl of zero or less makes every key stale at once: each call waits for a
// refresh, which concurrent calls still share. Cached panics if src is nil;
// a panic in src, which runs on the refresh goroutine, ends the program.
func Cached(src Source, ttl time.Duration, opts ...CacheOption) Source {
	if src == nil {
		panic("keysource: Cached with a nil Source")
	}
	ttl = max(ttl, 0)
	o := cacheOptions{timeout: DefaultCacheRefreshTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if !o.graceSet {
		o.grace = ttl
	}
	return &cached{
		src:     src,
		ttl:     ttl,
		grace:   o.grace,
		retry:   min(ttl, maxCacheRetry),
		timeout: o.timeout,
		onError: o.onError,
		start:   time.Now(),
	}
}

type cached struct {
	src     Source
	ttl     time.Duration
	grace   time.Duration
	retry   time.Duration
	timeout time.Duration
	onError func(error)
	start   time.Time // times are durations since start, on the monotonic clock

	state atomic.Pointer[cacheState] // nil until the first refresh ends

	mu       sync.Mutex
	inflight *flight // the refresh in progress, if any; guarded by mu
}

// cacheState is an immutable snapshot; each refresh replaces it whole.
type cacheState struct {
	key     Key           // the last good key; zero if there has never been one
	fresh   time.Duration // key is served without refreshing until then
	stale   time.Duration // key is served when a refresh fails until then
	err     error         // the last refresh's error; nil after a success
	retryAt time.Duration // after a failure, no refresh before then
}

// answer is what a call at now gets from s without refreshing: the key if
// the last refresh succeeded or the key is within its grace window, else the
// last refresh's error.
func (s *cacheState) answer(now time.Duration) (Key, error) {
	if s.err == nil || (!s.key.IsZero() && now < s.stale) {
		return s.key, nil
	}
	return Key{}, s.err
}

// flight is one refresh; key and err are set before done is closed.
type flight struct {
	done chan struct{}
	key  Key
	err  error
}

// Key returns the cached key, refreshing it first if it has expired; see
// Cached.
func (c *cached) Key(ctx context.Context) (Key, error) {
	if s := c.state.Load(); s != nil {
		// time.Since reads only the monotonic clock, one vDSO call.
		now := time.Since(c.start)
		if now < s.fresh {
			return s.key, nil
		}
		if s.err != nil && now < s.retryAt {
			return s.answer(now)
		}
	}
	return c.wait(ctx)
}

// wait is Key's slow path: join the refresh in progress or start one, then
// wait for it or for ctx.
func (c *cached) wait(ctx context.Context) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, fmt.Errorf("keysource: %s: %w", c, err)
	}
	c.mu.Lock()
	// A refresh may have ended since Key loaded the state.
	if s := c.state.Load(); s != nil {
		now := time.Since(c.start)
		if now < s.fresh || (s.err != nil && now < s.retryAt) {
			c.mu.Unlock()
			return s.answer(now)
		}
	}
	fl := c.inflight
	if fl == nil {
		fl = &flight{done: make(chan struct{})}
		c.inflight = fl
		go c.refresh(context.WithoutCancel(ctx), fl)
	}
	// An expired key still inside its grace window keeps serving while the
	// refresh runs, so an expiry costs no caller the secret manager's
	// latency; only a caller with no usable key waits.
	if s := c.state.Load(); s != nil && !s.key.IsZero() && time.Since(c.start) < s.stale {
		c.mu.Unlock()
		return s.key, nil
	}
	c.mu.Unlock()

	select {
	case <-fl.done:
		return fl.key, fl.err
	case <-ctx.Done():
		return Key{}, fmt.Errorf("keysource: %s: %w", c, ctx.Err())
	}
}

// refresh asks src for a key, stores the outcome and answers fl's waiters.
func (c *cached) refresh(ctx context.Context, fl *flight) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	k, err := c.src.Key(ctx)
	cancel()
	if err == nil && k.IsZero() {
		err = fmt.Errorf("%w: source returned a zero key", ErrNoKey)
	}
	now := time.Since(c.start)

	c.mu.Lock()
	prev := c.state.Load()
	var next *cacheState
	if err == nil {
		next = &cacheState{key: k, fresh: now + c.ttl, stale: now + c.ttl + c.grace}
	} else {
		err = fmt.Errorf("keysource: %s: %w", c, err)
		next = &cacheState{err: err, retryAt: now + c.retry}
		if prev != nil {
			next.key, next.fresh, next.stale = prev.key, prev.fresh, prev.stale
		}
	}
	c.state.Store(next)
	c.inflight = nil
	c.mu.Unlock()

	fl.key, fl.err = next.answer(now)
	close(fl.done)
	if err != nil && c.onError != nil {
		c.onError(err)
	}
}

// String describes the source by the one it caches: "cached(<inner>)".
func (c *cached) String() string { return "cached(" + describe(c.src) + ")" }
