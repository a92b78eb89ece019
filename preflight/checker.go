package preflight

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
	"github.com/grpc-keyauth/clarifaiauth/internal/checkerhook"
	"github.com/grpc-keyauth/clarifaiauth/internal/keyfp"
	"github.com/grpc-keyauth/clarifaiauth/internal/redact"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Checker caches what each key may do in each app, learnt with MyScopes,
// so that a call the key cannot make is refused before it is sent. Give it
// to interceptor.WithPreflight; interceptors given one Checker share its
// cache. A Checker is safe for concurrent use.
type Checker struct {
	o      options
	fps    keyfp.Cache
	grants *cache.Cache[grantKey, Grant]
}

// Option configures a Checker.
type Option func(*options)

type options struct {
	ttl, errTTL  time.Duration
	fetchTimeout time.Duration
	onFetchError func(method string, err error)
	catalog      *scopes.Catalog
	maxBytes     int64
	maxFetches   int
	now          func() time.Time // tests
	onWait       func()           // tests: a caller starts waiting for a fetch
}

// CacheTTL sets how long a fetched grant is trusted (default 5 minutes),
// and how long a failed MyScopes call is remembered, calls for that key and
// app going out unchecked meanwhile (default 30 seconds). Values <= 0 keep
// the default.
func CacheTTL(grant, failed time.Duration) Option {
	return func(o *options) {
		if grant > 0 {
			o.ttl = grant
		}
		if failed > 0 {
			o.errTTL = failed
		}
	}
}

// FetchTimeout bounds one MyScopes call; the default is 10 seconds. Values
// <= 0 keep the default.
func FetchTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.fetchTimeout = d
		}
	}
}

// OnFetchError sets a function called once per failed MyScopes call, with
// the method whose check needed it and the error, which holds no secret. It
// may be called from any goroutine; a panic in it is recovered.
func OnFetchError(f func(method string, err error)) Option {
	return func(o *options) { o.onFetchError = f }
}

// WithCatalog names the catalog that says what each method needs; the
// default is the descriptors linked into the program (scopes.NewCatalog(nil)).
func WithCatalog(cat *scopes.Catalog) Option {
	return func(o *options) {
		if cat != nil {
			o.catalog = cat
		}
	}
}

// CacheBytes sets the grant cache's budget in bytes of the names its grants
// and their apps' IDs hold (default 8 MiB); the oldest grants are evicted
// first. Values <= 0 keep the default.
func CacheBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBytes = n
		}
	}
}

const (
	// defaultCacheBytes is the grant cache's default budget in bytes.
	defaultCacheBytes = 8 << 20
	// maxFetches bounds the MyScopes calls in flight, hung ones included.
	maxFetches = 1024
	// hungGrace is how long past its own deadline a MyScopes call (an
	// interceptor on it that ignores its context) may run before the
	// callers waiting for it are released.
	hungGrace = time.Second
)

var (
	// errBusy is reported when maxFetches fetches are in flight at once (a
	// MyScopes that does not answer): the call goes out unchecked.
	errBusy = errors.New("clarifaiauth: preflight: too many MyScopes calls in flight; call sent unchecked")
	// errPanic is what a panic during a MyScopes call (in an interceptor on
	// it) becomes; the value is not kept, since it may hold anything.
	errPanic = errors.New("clarifaiauth: preflight: the MyScopes call panicked; call sent unchecked")
	// errHung is reported when a MyScopes call (an interceptor on it that
	// ignores its context) is given up hungGrace past the fetch timeout.
	errHung = fmt.Errorf("clarifaiauth: preflight: the MyScopes call did not return within the fetch timeout; call sent unchecked: %w", context.DeadlineExceeded)
)

// New returns a Checker.
func New(opts ...Option) *Checker {
	o := options{
		ttl:          5 * time.Minute,
		errTTL:       30 * time.Second,
		fetchTimeout: 10 * time.Second,
		maxBytes:     defaultCacheBytes,
		maxFetches:   maxFetches,
		catalog:      linked,
		now:          time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Checker{o: o}
	c.grants = cache.New(cache.Options[grantKey, Grant]{
		TTL:      o.ttl,
		ErrTTL:   o.errTTL,
		MaxBytes: o.maxBytes,
		Size:     func(k grantKey, g Grant) int64 { return k.size() + g.size() },
		Timeout:  o.fetchTimeout + hungGrace,
		MaxLoads: o.maxFetches,
		Now:      o.now,
		OnWait:   o.onWait,
	})
	return c
}

// linked is the catalog of the descriptors linked into the program.
var linked = scopes.NewCatalog(nil)

func init() {
	checkerhook.Required = (*Checker).required
	checkerhook.Grant = (*Checker).grant
}

// required returns what method needs, from the Checker's catalog.
func (c *Checker) required(method string) (scopes.Requirement, bool) {
	return c.o.catalog.Required(method)
}

// grantKey names one cached grant: a fingerprint of the key (never the
// secret), and the app.
type grantKey struct {
	fp            [16]byte
	userID, appID string
}

// entryOverhead is what one cached grant costs besides its names and the
// app's: the key, the entry and its place in the cache's maps and queue.
const entryOverhead = 256

// size is what the cache counts for k: the app's names come from the
// request, of any length, and stay alive while the grant is kept.
func (k grantKey) size() int64 {
	return int64(len(k.userID)+len(k.appID)) + entryOverhead
}

// grant returns what k may do in the app named by userID and appID: a
// cached grant, or one learnt with one MyScopes call on cc that concurrent
// callers share. opts go to that call; method is the call being checked,
// for OnFetchError. The error is the failed MyScopes call's (remembered for
// the failure TTL), or ctx's when it ends first; either way the server, not
// the Checker, should decide the call.
func (c *Checker) grant(ctx context.Context, cc grpc.ClientConnInterface, k keysource.Key, userID, appID, method string, opts ...grpc.CallOption) (Grant, error) {
	gk := grantKey{fp: c.fps.Of(k).Sum, userID: userID, appID: appID}
	// A hit first: the loader below is a closure that escapes, made only
	// on a miss.
	if ok, g, err := c.grants.Peek(gk); ok {
		return g, err
	}
	g, err := c.grants.Get(ctx, gk, func(ctx context.Context) (Grant, error) {
		return c.fetch(ctx, cc, method, gk, k, opts)
	})
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, cache.ErrBusy):
		c.report(method, errBusy)
		err = errBusy
	case errors.Is(err, cache.ErrPanicked):
		err = errPanic
	}
	return g, err
}

// fetch asks MyScopes, bounded by the fetch timeout, so that a call that
// times out is reported like any failed one. A panic
// (in an interceptor on the call) is reported here, then left to the cache,
// which remembers it as a failure. A call that ignores its context and is
// given up by the cache (ctx's deadline) is reported then, once.
func (c *Checker) fetch(ctx context.Context, cc grpc.ClientConnInterface, method string, gk grantKey, k keysource.Key, opts []grpc.CallOption) (g Grant, err error) {
	var ended atomic.Bool // the outcome is reported, or the fetch returned
	given := ctx          // the cache's: its deadline is when it gives up
	stop := context.AfterFunc(given, func() {
		if errors.Is(given.Err(), context.DeadlineExceeded) && !ended.Swap(true) {
			c.report(method, errHung)
		}
	})
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			if !ended.Swap(true) {
				c.report(method, errPanic)
			}
			panic(p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, c.o.fetchTimeout)
	defer cancel()
	ctx, call := ownCall(ctx)
	g, err = MyScopes(ctx, cc, gk.userID, gk.appID, append(opts[:len(opts):len(opts)], retry.Disable())...)
	if ended.Swap(true) || err == nil {
		return g, err // given up on and reported already, or a grant
	}
	err = redact.Error(err, k)
	if _, refused := call.Last(); refused {
		// The limiter kept the call from being sent: nothing was learnt,
		// and the next check asks again.
		return Grant{}, cache.Uncached(err)
	}
	c.report(method, err)
	return Grant{}, err
}

// report calls OnFetchError, if set, and survives a panic in it.
func (c *Checker) report(method string, err error) {
	if c.o.onFetchError == nil {
		return
	}
	defer func() { _ = recover() }()
	c.o.onFetchError(method, err)
}
