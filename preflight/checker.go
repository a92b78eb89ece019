package preflight

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/internal/keyfp"
	"github.com/grpc-keyauth/clarifaiauth/internal/redact"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Checker caches what each key may do in each app, learnt with MyScopes,
// so that a call the key cannot make is refused before it is sent. Give it
// to interceptor.WithPreflight; the interceptors built with one Checker
// share its cache. A Checker is safe for concurrent use.
type Checker struct {
	ttl          time.Duration
	errTTL       time.Duration
	fetchTimeout time.Duration
	onFetchError func(method string, err error)
	now          func() time.Time
	max          int
	maxBytes     int64  // budget of the grants kept, as grantEntry.size counts
	onWait       func() // tests: called when a caller starts waiting for a fetch
	catalog      *scopes.Catalog

	fps    keyfp.Cache
	grants sync.Map // grantKey → *grantEntry, finished fetches only
	group  singleflight.Group

	inflight atomic.Int32 // fetches running; at most max

	mu    sync.Mutex // guards order, head and bytes; held for O(1) work only
	order []grantKey // the keys in grants, oldest first: the eviction queue
	head  int        // order[head:] are live
	bytes int64      // the size of the grants kept
}

// Option configures a Checker.
type Option func(*Checker)

// GrantTTL sets how long a fetched grant is trusted; the default is five
// minutes. Values <= 0 keep the default.
func GrantTTL(d time.Duration) Option {
	return func(c *Checker) {
		if d > 0 {
			c.ttl = d
		}
	}
}

// ErrorTTL sets how long a failed MyScopes call is remembered, during which
// calls for that key and app go out unchecked without asking again; the
// default is 30 seconds. Values <= 0 keep the default.
func ErrorTTL(d time.Duration) Option {
	return func(c *Checker) {
		if d > 0 {
			c.errTTL = d
		}
	}
}

// FetchTimeout bounds one MyScopes call; the default is 10 seconds. Values
// <= 0 keep the default.
func FetchTimeout(d time.Duration) Option {
	return func(c *Checker) {
		if d > 0 {
			c.fetchTimeout = d
		}
	}
}

// OnFetchError sets a function called once per failed MyScopes call, with
// the method whose check needed it and the error, which holds no secret. It
// may be called from any goroutine; a panic in it is recovered.
func OnFetchError(f func(method string, err error)) Option {
	return func(c *Checker) { c.onFetchError = f }
}

// WithCatalog names the catalog that says what each method needs; the
// default is the descriptors linked into the program (scopes.NewCatalog(nil)).
// Give one built from a descriptor set to a program that does not link
// Clarifai's client.
func WithCatalog(cat *scopes.Catalog) Option {
	return func(c *Checker) {
		if cat != nil {
			c.catalog = cat
		}
	}
}

// maxGrants bounds the grant cache: fetched grants plus fetches in flight.
const maxGrants = 1024

// defaultCacheBytes is the grant cache's default budget in bytes.
const defaultCacheBytes = 8 << 20

// CacheBytes sets the budget of the grant cache, in bytes of memory its
// grants hold (names and their indexes); the default is 8 MiB. The oldest
// grants are evicted to make room; a grant larger than the budget is used
// for the call that fetched it and not kept. Values <= 0 keep the default.
func CacheBytes(n int64) Option {
	return func(c *Checker) {
		if n > 0 {
			c.maxBytes = n
		}
	}
}

var (
	// errBusy is reported when maxGrants fetches are in flight at once (a
	// MyScopes that does not answer): the call goes out unchecked.
	errBusy = errors.New("clarifaiauth: preflight: too many MyScopes calls in flight; call sent unchecked")
	// errPanic is what a panic during a MyScopes call (in an interceptor on
	// it) becomes; the value is not kept, since it may hold anything.
	errPanic = errors.New("clarifaiauth: preflight: the MyScopes call panicked; call sent unchecked")
)

// New returns a Checker.
func New(opts ...Option) *Checker {
	c := &Checker{
		ttl:          5 * time.Minute,
		errTTL:       30 * time.Second,
		fetchTimeout: 10 * time.Second,
		now:          time.Now,
		max:          maxGrants,
		maxBytes:     defaultCacheBytes,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.catalog == nil {
		c.catalog = linked
	}
	return c
}

// linked is the catalog of the descriptors linked into the program.
var linked = scopes.NewCatalog(nil)

// Required returns what method needs, from the Checker's catalog (see
// scopes.Catalog.Required).
func (c *Checker) Required(method string) (scopes.Requirement, bool) {
	return c.catalog.Required(method)
}

// grantKey names one cached grant: a fingerprint of the key (never the
// secret), and the app.
type grantKey struct {
	fp            [16]byte
	userID, appID string
}

// grantEntry is one finished fetch; it never changes once stored.
type grantEntry struct {
	grant   Grant
	err     error
	expires time.Time
	size    int64 // bytes it holds, for the cache's budget
}

// Grant returns what k may do in the app named by userID and appID: a
// cached grant, or one learnt with one MyScopes call on cc that concurrent
// callers share. opts go to that call (interceptor.CallKey(k) puts k on
// it). method is the call being checked, for OnFetchError.
//
// The error is the failed MyScopes call's (remembered for ErrorTTL), or
// ctx's when it ends first; either way the server, not the Checker, should
// decide the call.
func (c *Checker) Grant(ctx context.Context, cc grpc.ClientConnInterface, k keysource.Key, userID, appID, method string, opts ...grpc.CallOption) (Grant, error) {
	gk := grantKey{fp: c.fps.Of(k).Sum, userID: userID, appID: appID}
	if e := c.fresh(gk); e != nil {
		return e.grant, e.err
	}
	if err := ctx.Err(); err != nil {
		return Grant{}, err
	}
	// The fetch outlives the caller that starts it, so that its
	// cancellation does not fail the callers sharing it: it keeps the
	// caller's context values but not its deadline or cancellation.
	fctx := context.WithoutCancel(ctx)
	ch := c.group.DoChan(gk.flightKey(), func() (v any, err error) {
		// singleflight re-panics on a goroutine of its own, where no one
		// could recover: a panic ends here.
		defer func() {
			if r := recover(); r != nil {
				v, err = c.store(gk, &grantEntry{err: errPanic, expires: c.now().Add(c.errTTL)}), nil
				c.report(method, errPanic)
			}
		}()
		if e := c.fresh(gk); e != nil { // a fetch finished since the miss
			return e, nil
		}
		if c.inflight.Add(1) > int32(c.max) {
			c.inflight.Add(-1)
			c.report(method, errBusy)
			return nil, errBusy
		}
		defer c.inflight.Add(-1)
		return c.fetch(fctx, cc, method, gk, k, opts), nil
	})
	if c.onWait != nil {
		c.onWait()
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return Grant{}, r.Err
		}
		e := r.Val.(*grantEntry)
		return e.grant, e.err
	case <-ctx.Done():
		return Grant{}, ctx.Err()
	}
}

// fresh returns gk's cached entry if it has not expired.
func (c *Checker) fresh(gk grantKey) *grantEntry {
	if v, ok := c.grants.Load(gk); ok {
		if e := v.(*grantEntry); c.now().Before(e.expires) {
			return e
		}
	}
	return nil
}

// fetch asks MyScopes, bounded by the fetch timeout, and stores the answer.
func (c *Checker) fetch(ctx context.Context, cc grpc.ClientConnInterface, method string, gk grantKey, k keysource.Key, opts []grpc.CallOption) *grantEntry {
	ctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
	defer cancel()
	ctx, call := ownCall(ctx)
	g, err := MyScopes(ctx, cc, gk.userID, gk.appID, append(opts[:len(opts):len(opts)], retry.Disable())...)
	if _, refused := call.Last(); err != nil && refused {
		// The limiter kept the call from being sent: nothing was learnt,
		// and the next check asks again.
		return &grantEntry{err: redact.Error(err, k)}
	}
	ttl := c.ttl
	if err != nil {
		ttl = c.errTTL
		err = redact.Error(err, k)
		c.report(method, err)
	}
	return c.store(gk, &grantEntry{grant: g, err: err, expires: c.now().Add(ttl)})
}

// store puts e in the cache and returns it. A new key goes to the back of
// the eviction queue, evicting the oldest keys first while the cache is
// over its count or its byte budget: O(1) per store, amortised over the
// queue's compaction. An entry larger than the whole budget is not kept.
func (c *Checker) store(gk grantKey, e *grantEntry) *grantEntry {
	e.size = e.grant.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.size > c.maxBytes {
		if v, ok := c.grants.LoadAndDelete(gk); ok {
			c.bytes -= v.(*grantEntry).size // its place in the queue goes stale
		}
		return e
	}
	if v, loaded := c.grants.Swap(gk, e); loaded {
		c.bytes += e.size - v.(*grantEntry).size
		if c.bytes <= c.maxBytes {
			return e // a refresh keeps its place in the queue
		}
	} else {
		c.bytes += e.size
		c.order = append(c.order, gk)
	}
	// Fetches in flight count toward the bound, so that a MyScopes that
	// hangs cannot make the cache grow past it.
	for (len(c.order)-c.head+int(c.inflight.Load()) > c.max || c.bytes > c.maxBytes) && c.head < len(c.order) {
		old := c.order[c.head]
		if old == gk && c.bytes <= c.maxBytes {
			break
		}
		if v, ok := c.grants.LoadAndDelete(old); ok {
			c.bytes -= v.(*grantEntry).size
		}
		c.order[c.head] = grantKey{}
		c.head++
	}
	if c.head > len(c.order)/2 { // compact: each key is copied O(1) times
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
	return e
}

// report calls OnFetchError, if set, and survives a panic in it.
func (c *Checker) report(method string, err error) {
	if c.onFetchError == nil {
		return
	}
	defer func() { _ = recover() }()
	c.onFetchError(method, err)
}

// flightKey is gk as singleflight's string key; the user ID's length keeps
// two different (user, app) pairs from making the same key.
func (gk grantKey) flightKey() string {
	return string(gk.fp[:]) + strconv.Itoa(len(gk.userID)) + ":" + gk.userID + gk.appID
}
