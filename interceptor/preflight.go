package interceptor

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// WithPreflight makes the interceptors refuse, before sending, a call that
// the key's scopes do not allow, so that a call that would fail with
// CONN_INSUFFICIENT_SCOPES fails early, locally, with a *scopes.Error
// (PermissionDenied, Local set) that says what is missing.
//
// The interceptor learns a key's grant with scopes.MyScopes, once per key
// and app (the app named by the request's user_app_id), and caches it. A
// call whose method needs no scopes, or whose method the catalog (see
// WithCatalog) does not know, is never checked. When the grant cannot be
// fetched the call goes out unchecked (see OnFetchError): the server stays
// the authority. Concurrent calls for the same key and app share one
// MyScopes call; each waits only as long as its own context allows.
//
// Off by default: it costs one extra call per key and app. With a cached
// grant a check costs a few lock-free lookups and does not allocate. Only
// when building. The grant cache belongs to the Option: the unary and
// stream interceptors built with the same WithPreflight Option (as
// clarifaiauth.DialOptions builds them) share it, so a key and app cost one
// MyScopes call for both.
func WithPreflight(opts ...PreflightOption) Option {
	p := newPreflight(opts)
	return &option{name: "WithPreflight", build: func(o *options) { o.preflight = p }}
}

// PreflightOption configures WithPreflight.
type PreflightOption func(*preflight)

// GrantTTL sets how long a fetched grant is trusted; the default is five
// minutes. Values <= 0 keep the default.
func GrantTTL(d time.Duration) PreflightOption {
	return func(p *preflight) {
		if d > 0 {
			p.ttl = d
		}
	}
}

// FetchErrorTTL sets how long a failed MyScopes call is remembered, during
// which calls for that key and app go out unchecked without asking again;
// the default is 30 seconds. Values <= 0 keep the default.
func FetchErrorTTL(d time.Duration) PreflightOption {
	return func(p *preflight) {
		if d > 0 {
			p.errTTL = d
		}
	}
}

// FetchTimeout bounds one MyScopes call; the default is 10 seconds. Values
// <= 0 keep the default.
func FetchTimeout(d time.Duration) PreflightOption {
	return func(p *preflight) {
		if d > 0 {
			p.fetchTimeout = d
		}
	}
}

// OnFetchError sets a function called once per failed MyScopes call, with
// the method whose check needed it and the error (which holds no secret).
// It may be called from any goroutine and must not block for long.
func OnFetchError(f func(method string, err error)) PreflightOption {
	return func(p *preflight) { p.onFetchError = f }
}

// maxGrants bounds the grant cache: fetched grants plus fetches in flight.
const maxGrants = 1024

// errBusy is reported when maxGrants fetches are in flight at once (a
// MyScopes that does not answer): the call goes out unchecked.
var errBusy = errors.New("clarifaiauth: preflight: too many MyScopes calls in flight; call sent unchecked")

// preflight is the grant cache and the check. Fetched grants are read
// without a lock (grants); a miss joins or starts a fetch through
// singleflight and takes mu only to account for the cache's bound.
type preflight struct {
	ttl          time.Duration
	errTTL       time.Duration
	fetchTimeout time.Duration
	onFetchError func(method string, err error)
	now          func() time.Time
	max          int
	onWait       func() // tests: called when a caller starts waiting for a fetch

	grants sync.Map // grantKey → *grantEntry, finished fetches only
	group  singleflight.Group

	inflight atomic.Int32 // fetches running; at most max

	mu    sync.Mutex // guards order; held for O(1) work only
	order []grantKey // the keys in grants, oldest first: the eviction queue
	head  int        // order[head:] are live
}

func newPreflight(opts []PreflightOption) *preflight {
	p := &preflight{
		ttl:          5 * time.Minute,
		errTTL:       30 * time.Second,
		fetchTimeout: 10 * time.Second,
		now:          time.Now,
		max:          maxGrants,
	}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// grantKey names one cached grant: a fingerprint of the key (never the
// secret), and the app.
type grantKey struct {
	fp            [16]byte
	userID, appID string
}

// grantEntry is one finished fetch; it never changes once stored.
type grantEntry struct {
	grant   scopes.Grant
	err     error
	expires time.Time
}

// check returns a *scopes.Error when k may not call method with req, and
// nil otherwise: when the method needs no scopes or is unknown, when the
// grant allows it, or when the grant cannot be had. A caller whose ctx ends
// while it waits for a fetch gets its context's error as a gRPC status.
func (p *preflight) check(ctx context.Context, cc grpc.ClientConnInterface, o *options, method string, req any, k keysource.Key) error {
	need, ok := o.required(method)
	if err := refuseAuthType(method, need, ok, k); err != nil {
		return err
	}
	if !ok || len(need.Scopes) == 0 || method == scopes.MyScopesMethod || cc == nil {
		return nil
	}
	userID, appID := userApp(req)
	gk := grantKey{fp: o.fps.of(k).fp, userID: userID, appID: appID}
	e, err := p.grant(ctx, cc, method, gk, k)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return nil
	}
	if e.err != nil || e.grant.Allows(need) {
		return nil
	}
	missing, endpoints := e.grant.Missing(need)
	return &scopes.Error{
		Method:           method,
		Code:             scopes.CodeConnInsufficientScopes,
		Description:      "refused locally before sending: the key's scopes (from MyScopes) do not allow this method",
		Missing:          missing,
		MissingEndpoints: endpoints,
		Required:         need,
		Local:            true,
	}
}

// codeAuthMethodDisabled is CONN_AUTH_METHOD_DISABLED, the code of a local
// refusal for the credential's kind.
const codeAuthMethodDisabled scopes.Code = 11200

// refuseAuthType returns a local *scopes.Error when k's kind can never
// satisfy what method accepts: a key declared an app-specific API key
// (keysource.KindAPIKey) on a method for personal access tokens only
// (PATAuth), or anything but a session token on a method for session tokens
// only (SessionTokenAuth). A keysource.KindKey, which may be an API key or a
// PAT, is never refused on a PATAuth method.
//
// The error's code is CONN_AUTH_METHOD_DISABLED, its gRPC code
// PermissionDenied and errors.Is(err, scopes.ErrAuthMethodDisabled) holds:
// the credential is valid, only not accepted for this method, so it is not
// Unauthenticated, which would tell a caller (or its retry and key
// rotation) that the credential itself is bad.
func refuseAuthType(method string, need scopes.Requirement, known bool, k keysource.Key) error {
	if !known {
		return nil
	}
	var why string
	switch {
	case need.AuthType == scopes.PATAuth && k.Kind() == keysource.KindAPIKey:
		why = "accepts only personal access tokens (PATAuth); the key was declared an app-specific API key"
	case need.AuthType == scopes.SessionTokenAuth && k.Kind() != keysource.KindSessionToken:
		why = "accepts only session tokens (SessionTokenAuth); the credential is a key or a personal access token"
	default:
		return nil
	}
	return &scopes.Error{
		Method:      method,
		Code:        codeAuthMethodDisabled,
		Description: "refused locally before sending: the method " + why,
		Required:    need,
		Local:       true,
	}
}

// grant returns the cached entry for gk, fetching it if needed. A fresh
// entry is found with one lock-free map read; a miss joins the fetch in
// flight for gk or starts one, and waits for it as long as ctx allows. The
// error is ctx's, or errBusy; a failed fetch is an entry with err set.
func (p *preflight) grant(ctx context.Context, cc grpc.ClientConnInterface, method string, gk grantKey, k keysource.Key) (*grantEntry, error) {
	if e := p.fresh(gk); e != nil {
		return e, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// The fetch outlives the caller that starts it, so that its
	// cancellation does not fail the callers sharing it: it keeps the
	// caller's context values but not its deadline or cancellation.
	fctx := context.WithoutCancel(ctx)
	ch := p.group.DoChan(gk.flightKey(), func() (any, error) {
		if e := p.fresh(gk); e != nil { // a fetch finished since the miss
			return e, nil
		}
		if p.inflight.Add(1) > int32(p.max) {
			p.inflight.Add(-1)
			p.report(method, errBusy)
			return nil, errBusy
		}
		defer p.inflight.Add(-1)
		return p.fetch(fctx, cc, method, gk, k), nil
	})
	if p.onWait != nil {
		p.onWait()
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*grantEntry), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fresh returns gk's cached entry if it has not expired.
func (p *preflight) fresh(gk grantKey) *grantEntry {
	if v, ok := p.grants.Load(gk); ok {
		if e := v.(*grantEntry); p.now().Before(e.expires) {
			return e
		}
	}
	return nil
}

// fetch asks MyScopes, bounded by the fetch timeout, and stores the answer.
func (p *preflight) fetch(ctx context.Context, cc grpc.ClientConnInterface, method string, gk grantKey, k keysource.Key) *grantEntry {
	ctx, cancel := context.WithTimeout(ctx, p.fetchTimeout)
	defer cancel()
	g, err := scopes.MyScopes(ctx, cc, gk.userID, gk.appID, CallKey(k))
	ttl := p.ttl
	if err != nil {
		ttl = p.errTTL
		p.report(method, scrub(err, k))
	}
	e := &grantEntry{grant: g, err: err, expires: p.now().Add(ttl)}
	p.store(gk, e)
	return e
}

// store puts e in the cache. A new key goes to the back of the eviction
// queue, evicting the oldest key first when the cache is full: O(1) per
// store, amortised over the queue's compaction.
func (p *preflight) store(gk grantKey, e *grantEntry) {
	if _, loaded := p.grants.Swap(gk, e); loaded {
		return // a refresh keeps its place in the queue
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// Fetches in flight count toward the bound, so that a MyScopes that
	// hangs cannot make the cache grow past it.
	for len(p.order)-p.head+int(p.inflight.Load()) > p.max && p.head < len(p.order) {
		p.grants.Delete(p.order[p.head])
		p.order[p.head] = grantKey{}
		p.head++
	}
	if p.head > len(p.order)/2 { // compact: each key is copied O(1) times
		p.order = append(p.order[:0], p.order[p.head:]...)
		p.head = 0
	}
	p.order = append(p.order, gk)
}

func (p *preflight) report(method string, err error) {
	if p.onFetchError != nil {
		p.onFetchError(method, err)
	}
}

// flightKey is gk as singleflight's string key; the user ID's length keeps
// two different (user, app) pairs from making the same key.
func (gk grantKey) flightKey() string {
	return string(gk.fp[:]) + strconv.Itoa(len(gk.userID)) + ":" + gk.userID + gk.appID
}

// required returns what method needs, from the catalog given to WithCatalog
// or the program's linked descriptors.
func (o *options) required(method string) (scopes.Requirement, bool) {
	if o.catalog != nil {
		return o.catalog.Required(method)
	}
	return scopes.Required(method)
}
