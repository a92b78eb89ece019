package keysource

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
)

// Option configures File, ClarifaiConfig, Cached and Default. Each option
// says which of them it applies to; the others ignore it. A Kind is an
// Option too: File(path, KindPAT) reads a PAT.
type Option interface{ apply(*options) }

type options struct {
	interval time.Duration // 0: the source's default
	timeout  time.Duration
	grace    time.Duration
	graceSet bool
	onError  func(error)
	kind     Kind
	context  string
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// apply makes a Kind an Option: File reads its file as a key of that kind
// (default KindKey).
func (k Kind) apply(o *options) { o.kind = k }

// RefreshInterval sets how long File and ClarifaiConfig use what they read
// before reading their file again (defaults 30s and 5s). A d of zero or less
// keeps the default. Cached refreshes after its ttl.
func RefreshInterval(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.interval = d
		}
	})
}

// RefreshTimeout bounds each refresh (default 30s): a read of the file, or
// Cached's call to its source, still running after d is given up and fails
// with an error wrapping context.DeadlineExceeded. While four refreshes
// given up on have not returned, a refresh fails at once the same way. A d
// of zero or less keeps the default.
func RefreshTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	})
}

// Grace sets how long after a refresh was due the last good key is still
// served while refreshes fail (defaults: File and ClarifaiConfig without
// limit, Cached its ttl). Zero serves no key past its time.
func Grace(d time.Duration) Option {
	return optionFunc(func(o *options) { o.grace, o.graceSet = max(d, 0), true })
}

// OnError sets a function called with the error of every refresh that
// fails, including those hidden from callers because the last good key keeps
// serving. Calls come one at a time; fn should return quickly. A panic in fn
// is recovered.
func OnError(fn func(error)) Option {
	return optionFunc(func(o *options) { o.onError = fn })
}

// ConfigContext makes ClarifaiConfig (and Default) use the named context
// instead of the file's current_context, like the CLI's --context flag.
func ConfigContext(name string) Option {
	return optionFunc(func(o *options) { o.context = name })
}

// Defaults of the refresher's knobs.
const (
	defaultRefreshTimeout = 30 * time.Second
	// maxRetry caps the delay before a failed refresh is tried again, so a
	// file briefly absent during a rotation is picked up soon after.
	maxRetry = time.Second
	// invalidateEvery is how often, at most, a source acts on Invalidate.
	invalidateEvery = 5 * time.Second
	// maxAsking bounds the fetches that have not returned, the running one
	// and those given up on at the timeout (a source that never returns):
	// each holds a goroutine.
	maxAsking = 4
	// forever is a grace without limit.
	forever = time.Duration(math.MaxInt64)
)

// fetched is the outcome of one fetch.
type fetched struct {
	key Key
	// err says why there is no key. Unless failed, it is an answer (the
	// config names no credential) that replaces the last good key.
	err error
	// failed marks a fetch that could not get an answer (an unreadable
	// file, a failing source): the last good key keeps serving within its
	// grace, and the fetch is retried soon.
	failed bool
	memo   any // kept with the state and handed to the next fetch
}

// fetchFunc fetches a key. last is the state being replaced (nil at first),
// so that a fetch can reuse what has not changed.
type fetchFunc func(ctx context.Context, last *state) fetched

// refresher is the one machine behind File, ClarifaiConfig and Cached: it
// serves the last fetched key from memory, fetches again once per interval
// (once however many callers want it, bounded by a timeout, a panic turned
// into an error), keeps serving the last good key while fetches fail, and
// acts on Invalidate at most every invalidateEvery.
type refresher struct {
	name      func() string // describes the source in errors
	fetch     fetchFunc
	interval  time.Duration
	retry     time.Duration // delay before retrying a failed fetch
	grace     time.Duration
	timeout   time.Duration
	onError   func(error)
	waitStale bool      // callers wait for a due fetch even while a key is usable
	start     time.Time // times are durations since start, on the monotonic clock

	// live is what changes; behind a pointer, so that fmt's %#v and other
	// reflection-based printers show an address instead of reading it
	// while another goroutine writes it.
	live *refresherLive
}

type refresherLive struct {
	state       atomic.Pointer[state]          // nil until the first fetch ends
	flight      *cache.Cache[struct{}, *state] // single flight only; the state lives in state
	kicked      atomic.Pointer[state]          // the state a fetch was last started for by a caller that did not wait
	invalidated atomic.Int64                   // 1 + the time of the last Invalidate acted on; 0 for never
	asking      atomic.Int32                   // fetches that have not returned, given up on or not
}

// state is an immutable snapshot; each fetch replaces it whole, so one
// atomic load sees a consistent answer.
type state struct {
	key     Key           // the last good key; zero if none
	err     error         // why there is no key, or the last failure
	fresh   time.Duration // served without fetching until then
	stale   time.Duration // after fresh, key still served while fetches fail, until then
	retryAt time.Duration // after a failed fetch, no new one before then
	failed  bool          // the last fetch failed
	waitFor bool          // invalidated: callers wait for the next fetch
	memo    any
}

// newRefresher builds a refresher from o; interval and grace are the
// source's own when o does not set them.
func newRefresher(name func() string, fetch fetchFunc, o options, interval, grace time.Duration, waitStale bool) *refresher {
	if o.interval > 0 {
		interval = o.interval
	}
	if o.graceSet {
		grace = o.grace
	}
	timeout := defaultRefreshTimeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	return &refresher{
		name:      name,
		fetch:     fetch,
		interval:  interval,
		retry:     min(interval, maxRetry),
		grace:     grace,
		timeout:   timeout,
		onError:   o.onError,
		waitStale: waitStale,
		start:     time.Now(),
		live:      &refresherLive{flight: cache.New(cache.Options[struct{}, *state]{})},
	}
}

// answer is what a call at now gets from s without fetching: the key while
// it is good (fresh, or within its grace after a failure), else the error.
func (s *state) answer(now time.Duration) (Key, error) {
	if !s.key.IsZero() && (!s.failed || now < s.stale) {
		return s.key, nil
	}
	return Key{}, s.err
}

// usable reports whether s has a key that may be served at now while a
// fetch runs.
func (s *state) usable(now time.Duration) bool {
	return s != nil && !s.waitFor && !s.key.IsZero() && now < s.stale
}

// Key answers from memory while the state is fresh, else fetches.
func (r *refresher) Key(ctx context.Context) (Key, error) {
	if s := r.live.state.Load(); s != nil {
		// time.Since reads only the monotonic clock.
		now := time.Since(r.start)
		if now < s.fresh || s.failed && now < s.retryAt {
			return s.answer(now)
		}
	}
	return r.wait(ctx)
}

// wait is Key's slow path: join the fetch in progress or start one, then
// wait for it or for ctx.
func (r *refresher) wait(ctx context.Context) (Key, error) {
	s := r.live.state.Load()
	if !s.usable(time.Since(r.start)) {
		if err := ctx.Err(); err != nil {
			return Key{}, fmt.Errorf("keysource: %s: %w", r.name(), err)
		}
	} else if !r.waitStale {
		// The usable key keeps serving while the fetch runs; the caller
		// only makes sure one is running, rather than wait as one more
		// caller for as long as it takes.
		if old := r.live.kicked.Load(); old != s && r.live.kicked.CompareAndSwap(old, s) {
			go r.begin(context.WithoutCancel(ctx))
		}
		return s.key, nil
	}
	next, err := r.begin(ctx)
	if err != nil { // ctx ended first
		if s.usable(time.Since(r.start)) {
			return s.key, nil
		}
		return Key{}, fmt.Errorf("keysource: %s: %w", r.name(), err)
	}
	return next.answer(time.Since(r.start))
}

// begin starts a fetch, or joins the one running, and waits for its
// outcome or for ctx. The fetch keeps ctx's values (a trace) but not its
// cancellation: other callers still want its answer.
func (r *refresher) begin(ctx context.Context) (*state, error) {
	return r.live.flight.Get(ctx, struct{}{}, func(ctx context.Context) (*state, error) { return r.refresh(ctx), nil })
}

// refresh fetches, unless a fetch that ended since the caller looked already
// did, and publishes the outcome. Only one runs at a time. Nothing in it may
// panic: a panicking fetch is contained by ask.
func (r *refresher) refresh(ctx context.Context) *state {
	prev := r.live.state.Load()
	if now := time.Since(r.start); prev != nil && (now < prev.fresh || prev.failed && now < prev.retryAt) {
		return prev
	}
	f := r.ask(ctx, prev)
	if f.err == nil && f.key.IsZero() {
		f.err, f.failed = fmt.Errorf("%w: %s: the source gave a zero key", ErrNoKey, r.name()), true
	}
	now := time.Since(r.start)
	next := &state{key: f.key, err: f.err, memo: f.memo, fresh: now + r.interval, stale: addSat(now+r.interval, r.grace)}
	if f.failed {
		next = &state{err: f.err, failed: true, retryAt: now + r.retry}
		if prev != nil {
			next.key, next.stale, next.memo = prev.key, prev.stale, prev.memo
		}
	} else if cur := r.live.state.Load(); cur != prev && cur != nil && cur.waitFor {
		// Invalidated while this fetch ran: what it got may predate the
		// rotation. It serves the callers waiting now; the next call
		// fetches again.
		next.fresh = now
	}
	r.live.state.Store(next)
	if f.err != nil && r.onError != nil {
		r.report(f.err)
	}
	return next
}

// report hands err to the OnError function, containing a panic in it.
func (r *refresher) report(err error) {
	defer func() { _ = recover() }()
	r.onError(err)
}

// errPanicked is wrapped by what callers get when a fetch panics; the
// panic's value is not in it, as it could hold anything.
var errPanicked = cache.ErrPanicked

// ask runs the fetch bounded by the refresh timeout (cache.Run): a fetch
// still running at the timeout is abandoned, its answer dropped, and a
// panic becomes a failure whose value is not kept. While maxAsking fetches
// have not returned, ask fails at once rather than start another.
func (r *refresher) ask(ctx context.Context, prev *state) fetched {
	if r.live.asking.Add(1) > maxAsking {
		r.live.asking.Add(-1)
		return fetched{err: fmt.Errorf("keysource: %s: %d refreshes abandoned after %v have not returned; not starting another: %w",
			r.name(), maxAsking, r.timeout, context.DeadlineExceeded), failed: true}
	}
	f, err := cache.Run(ctx, r.timeout, func(ctx context.Context) (fetched, error) {
		defer r.live.asking.Add(-1)
		return r.fetch(ctx, prev), nil
	})
	switch {
	case errors.Is(err, errPanicked):
		return fetched{err: fmt.Errorf("keysource: %s: the source %w", r.name(), err), failed: true}
	case err != nil:
		return fetched{err: fmt.Errorf("keysource: %s: refresh abandoned after %v: %w", r.name(), r.timeout, err), failed: true}
	}
	return f
}

// Invalidate makes the next call wait for a fetch if k is the key served;
// at most once per invalidateEvery.
func (r *refresher) Invalidate(k Key) {
	s := r.live.state.Load()
	now := time.Since(r.start)
	if s == nil || k.IsZero() || !s.key.Equal(k) || !r.allowInvalidate(now) {
		return
	}
	next := *s
	next.fresh, next.retryAt, next.waitFor = 0, 0, true
	if !next.failed {
		// The key stays the fallback of a failed fetch, within its grace
		// from now.
		next.stale = addSat(now, r.grace)
	}
	r.live.state.CompareAndSwap(s, &next)
}

// allowInvalidate reports whether an Invalidate at now may act, and
// records it if so.
func (r *refresher) allowInvalidate(now time.Duration) bool {
	last := r.live.invalidated.Load()
	if last != 0 && now-time.Duration(last-1) < invalidateEvery {
		return false
	}
	return r.live.invalidated.CompareAndSwap(last, int64(now)+1)
}

// memo returns what the last fetch kept, or nil.
func (r *refresher) memo() any {
	if s := r.live.state.Load(); s != nil {
		return s.memo
	}
	return nil
}

// addSat adds d to t, stopping at forever.
func addSat(t, d time.Duration) time.Duration {
	if d >= forever-t {
		return forever
	}
	return t + d
}
