package keysource

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// defaultCacheRefreshTimeout bounds one refresh of a Cached source unless
// CacheRefreshTimeout says otherwise.
const defaultCacheRefreshTimeout = 30 * time.Second

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

// CacheRefreshTimeout bounds each refresh (default 30s): the inner source is
// called with a context that carries the values of the call that started
// the refresh, is not cancelled with it, and times out after d. A refresh
// still running then is abandoned: it fails with an error wrapping
// context.DeadlineExceeded, and the next refresh may start while the
// abandoned call, which ignored its context, goes on. A d of zero or less
// keeps the default.
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
// usable key (the first ones, or past the window) wait for the refresh. The
// refresh runs on its own goroutine with a context that keeps the starting
// call's values but not its cancellation, bounded by CacheRefreshTimeout; a
// caller whose own context ends stops waiting and returns its context's
// error, wrapped, while the refresh goes on for the others. A refresh that
// outlives CacheRefreshTimeout is abandoned (see there), so a source that
// hangs and ignores its context cannot wedge the cache; a panic in src
// becomes an error (which says only that src panicked) for the callers
// waiting on it.
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
// The source implements Invalidator: after Invalidate with the key it
// serves (at most once per 5 seconds), the next call waits for a refresh
// instead of being served that key; if the refresh fails, the key keeps
// serving within its grace window.
//
// A ttl of zero or less makes every key stale at once: each call waits for a
// refresh, which concurrent calls still share. Cached panics if src is nil.
func Cached(src Source, ttl time.Duration, opts ...CacheOption) Source {
	if src == nil {
		panic("keysource: Cached with a nil Source")
	}
	ttl = max(ttl, 0)
	o := cacheOptions{timeout: defaultCacheRefreshTimeout}
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
		live:    new(cachedLive),
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

	// live is what changes; behind a pointer, so that fmt's %#v and other
	// reflection-based printers show an address instead of reading it
	// while another goroutine writes it.
	live *cachedLive
}

type cachedLive struct {
	state       atomic.Pointer[cacheState] // nil until the first read ends
	refreshes   singleflight.Group
	started     atomic.Pointer[cacheState] // the state a refresh was last started for by a caller that does not wait
	invalidated rateLimit
}

// cacheState is an immutable snapshot; each refresh replaces it whole.
type cacheState struct {
	key     Key           // the last good key; zero if there has never been one
	fresh   time.Duration // key is served without refreshing until then
	stale   time.Duration // key is served when a refresh fails until then
	err     error         // the last refresh's error; nil after a success
	retryAt time.Duration // after a failure, no refresh before then
	waitFor bool          // invalidated: callers wait for the refresh
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

// Key returns the cached key, refreshing it first if it has expired; see
// Cached.
func (c *cached) Key(ctx context.Context) (Key, error) {
	if s := c.live.state.Load(); s != nil {
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
	// An expired key still inside its grace window keeps serving while the
	// refresh runs, so an expiry costs no caller the secret manager's
	// latency; only a caller with no usable key waits. Such a caller only
	// makes sure a refresh is running: joining it would register one more
	// waiter per RPC for as long as the refresh takes.
	if s := c.live.state.Load(); s != nil && !s.waitFor && !s.key.IsZero() && time.Since(c.start) < s.stale {
		if old := c.live.started.Load(); old != s && c.live.started.CompareAndSwap(old, s) {
			c.start1(ctx)
		}
		return s.key, nil
	}
	ch := c.start1(ctx)
	select {
	case r := <-ch:
		return r.Val.(*cacheState).answer(time.Since(c.start))
	case <-ctx.Done():
		return Key{}, fmt.Errorf("keysource: %s: %w", c, ctx.Err())
	}
}

// start1 starts a refresh, or joins the one running, and returns the channel
// its outcome comes on. The refresh keeps ctx's values (a trace) but not its
// cancellation: other callers still want its answer.
func (c *cached) start1(ctx context.Context) <-chan singleflight.Result {
	ctx = context.WithoutCancel(ctx)
	return c.live.refreshes.DoChan("", func() (any, error) { return c.refresh(ctx), nil })
}

// refresh asks src for a key, unless a refresh that ended since the caller
// looked already did, and publishes the outcome. Only one runs at a time.
func (c *cached) refresh(ctx context.Context) *cacheState {
	prev := c.live.state.Load()
	if now := time.Since(c.start); prev != nil && (now < prev.fresh || prev.err != nil && now < prev.retryAt) {
		return prev
	}
	k, err := c.ask(ctx)
	if err == nil && k.IsZero() {
		err = fmt.Errorf("%w: source returned a zero key", ErrNoKey)
	}
	now := time.Since(c.start)
	var next *cacheState
	if err == nil {
		next = &cacheState{key: k, fresh: now + c.ttl, stale: now + c.ttl + c.grace}
		if cur := c.live.state.Load(); cur != prev && cur != nil && cur.waitFor {
			// The key was invalidated while this refresh ran: what it
			// fetched may predate the rotation. It serves the callers
			// waiting now, and the next call fetches again.
			next.fresh = now
		}
	} else {
		err = fmt.Errorf("keysource: %s: %w", c, err)
		next = &cacheState{err: err, retryAt: now + c.retry}
		if prev != nil {
			next.key, next.fresh, next.stale = prev.key, prev.fresh, prev.stale
		}
	}
	c.live.state.Store(next)
	if err != nil && c.onError != nil {
		c.onError(err)
	}
	return next
}

// errPanicked is what callers get when src panics; the panic's value is not
// in it, as it could hold anything.
var errPanicked = errors.New("the source panicked")

// ask calls src on its own goroutine, bounded by the refresh timeout. A call
// still running at the timeout is abandoned: its goroutine ends when src
// returns, and its answer is dropped.
func (c *cached) ask(ctx context.Context) (Key, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	type answer struct {
		key Key
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- answer{err: errPanicked}
			}
		}()
		k, err := c.src.Key(ctx)
		done <- answer{k, err}
	}()
	select {
	case a := <-done:
		return a.key, a.err
	case <-ctx.Done():
		return Key{}, fmt.Errorf("refresh abandoned after %v: %w", c.timeout, ctx.Err())
	}
}

// Invalidate makes the next call wait for a refresh if k is the key the
// cache serves; see Cached.
func (c *cached) Invalidate(k Key) {
	s := c.live.state.Load()
	now := time.Since(c.start)
	if s == nil || k.IsZero() || !s.key.Equal(k) || !c.live.invalidated.allow(now) {
		return
	}
	next := *s
	next.fresh, next.retryAt, next.waitFor = 0, 0, true
	if next.err == nil {
		// The key stays the fallback of a failed refresh, within its grace
		// window from now.
		next.stale = now + c.grace
	}
	c.live.state.CompareAndSwap(s, &next)
}

// String describes the source by the one it caches: "cached(<inner>)".
func (c *cached) String() string { return "cached(" + describe(c.src) + ")" }
