package scopes

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// userAppIDSet is the full name of the message naming the app a request is for.
const userAppIDSet protoreflect.FullName = "clarifai.api.UserAppIDSet"

// Defaults of [NewPreflight].
const (
	DefaultGrantTTL     = 5 * time.Minute
	DefaultErrorTTL     = 30 * time.Second
	DefaultFetchTimeout = 10 * time.Second
)

// maxGrants is the cache size past which expired grants are swept out.
const maxGrants = 1024

// Preflight refuses, before sending, calls that the key's scopes do not
// allow, so that a call that would fail with CONN_INSUFFICIENT_SCOPES fails
// early and says what is missing. It learns the key's grant with [MyScopes],
// once per key and app, and caches it. A Preflight is safe for concurrent use
// and is meant to be shared by all calls of a client.
type Preflight struct {
	catalog      *Catalog
	ttl          time.Duration
	errTTL       time.Duration
	fetchTimeout time.Duration
	onFetchError func(method string, err error)
	now          func() time.Time // for tests

	shapes sync.Map // request MessageDescriptor → *requestShape

	mu     sync.Mutex
	grants map[grantKey]*grantEntry // every entry, fetched or in flight; guarded by mu

	// fresh holds the entries whose fetch is done, for the lock-free path
	// of grant. Expired ones are replaced by the next fetch for their key
	// or dropped by sweepLocked.
	fresh sync.Map // grantKey → *grantEntry
}

// PreflightOption configures a [Preflight].
type PreflightOption func(*Preflight)

// WithCatalog sets where requirements come from; the default is
// [DefaultCatalog] (the descriptors linked into the program).
func WithCatalog(c *Catalog) PreflightOption {
	return func(p *Preflight) {
		if c != nil {
			p.catalog = c
		}
	}
}

// WithGrantTTL sets how long a fetched grant is trusted; the default is
// [DefaultGrantTTL]. Values <= 0 keep the default.
func WithGrantTTL(d time.Duration) PreflightOption {
	return func(p *Preflight) {
		if d > 0 {
			p.ttl = d
		}
	}
}

// WithErrorTTL sets how long a failed MyScopes fetch is remembered, during
// which calls for that key and app go out unchecked without asking again;
// the default is [DefaultErrorTTL]. Values <= 0 keep the default.
func WithErrorTTL(d time.Duration) PreflightOption {
	return func(p *Preflight) {
		if d > 0 {
			p.errTTL = d
		}
	}
}

// WithFetchTimeout bounds one MyScopes call; the default is
// [DefaultFetchTimeout]. Values <= 0 keep the default.
func WithFetchTimeout(d time.Duration) PreflightOption {
	return func(p *Preflight) {
		if d > 0 {
			p.fetchTimeout = d
		}
	}
}

// OnFetchError sets a function called once per failed MyScopes fetch, with
// the method whose check needed it and the error. It may be called from any
// goroutine and must not block for long.
func OnFetchError(f func(method string, err error)) PreflightOption {
	return func(p *Preflight) { p.onFetchError = f }
}

// NewPreflight returns a Preflight configured by opts.
func NewPreflight(opts ...PreflightOption) *Preflight {
	p := &Preflight{
		catalog:      defaultCatalog,
		ttl:          DefaultGrantTTL,
		errTTL:       DefaultErrorTTL,
		fetchTimeout: DefaultFetchTimeout,
		now:          time.Now,
		grants:       make(map[grantKey]*grantEntry),
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

type grantKey struct{ keyID, userID, appID string }

// grantEntry is one fetch, shared by every caller that needs it: done is
// closed when grant and err are set.
type grantEntry struct {
	done    chan struct{}
	grant   Grant
	err     error
	expires time.Time
}

// Check returns a *Error (code CONN_INSUFFICIENT_SCOPES, gRPC
// PermissionDenied, Local set) when the key identified by keyID may not call
// method with req, and nil otherwise.
//
// keyID is an opaque fingerprint of the key chosen by the caller (never the
// secret itself); grants are cached per keyID and the user_id/app_id found in
// req's field user_app_id. opts are passed to the MyScopes call and must
// carry the key.
//
// Check returns nil without any network call when method's requirement is
// unknown or has no scopes, when method is MyScopes itself, or when a cached
// grant allows it. Concurrent checks for the same key and app share one
// MyScopes call, which runs detached from any single caller's cancellation
// (bounded by the fetch timeout); each caller waits only as long as its own
// ctx allows, and returns its ctx's error as a gRPC status if that ends first.
// When the grant cannot be fetched, Check reports the error to OnFetchError
// and returns nil: the call goes out and the server stays the authority.
func (p *Preflight) Check(ctx context.Context, cc grpc.ClientConnInterface, method string, req any, keyID string, opts ...grpc.CallOption) error {
	if method == MyScopesMethod {
		return nil
	}
	need, ok := p.catalog.Required(method)
	if !ok || len(need.Scopes) == 0 {
		return nil
	}
	userID, appID := p.userApp(req)
	g, err := p.grant(ctx, cc, method, grantKey{keyID, userID, appID}, opts)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return nil
	}
	if g.Allows(need) {
		return nil
	}
	missing, endpoints := g.Missing(need)
	return &Error{
		Method:           method,
		Code:             CodeConnInsufficientScopes,
		Description:      "refused locally before sending: the key's scopes (from MyScopes) do not allow this method",
		Missing:          missing,
		MissingEndpoints: endpoints,
		Required:         need,
		Local:            true,
	}
}

// grant returns the cached grant for k, fetching it if needed. A fresh
// cached grant is found without a lock (p.fresh); only a miss, which starts
// or joins a fetch, takes p.mu.
func (p *Preflight) grant(ctx context.Context, cc grpc.ClientConnInterface, method string, k grantKey, opts []grpc.CallOption) (Grant, error) {
	now := p.now()
	if v, ok := p.fresh.Load(k); ok {
		if e := v.(*grantEntry); now.Before(e.expires) {
			return e.grant, e.err
		}
	}
	p.mu.Lock()
	e, ok := p.grants[k]
	if ok {
		select {
		case <-e.done:
			if now.After(e.expires) {
				ok = false
			}
		default: // in flight: wait for it
		}
	}
	if !ok {
		p.sweepLocked(now)
		e = &grantEntry{done: make(chan struct{})}
		p.grants[k] = e
		// The fetch outlives the caller that started it, so that its
		// cancellation does not fail the callers sharing the fetch; it keeps
		// the caller's context values (outgoing metadata) but not its
		// deadline or cancellation.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.fetchTimeout)
		go p.fetch(fctx, cancel, cc, method, k, e, opts)
	}
	p.mu.Unlock()

	select {
	case <-e.done:
		return e.grant, e.err
	case <-ctx.Done():
		return Grant{}, ctx.Err()
	}
}

func (p *Preflight) fetch(ctx context.Context, cancel context.CancelFunc, cc grpc.ClientConnInterface, method string, k grantKey, e *grantEntry, opts []grpc.CallOption) {
	defer cancel()
	g, err := MyScopes(ctx, cc, k.userID, k.appID, opts...)
	ttl := p.ttl
	if err != nil {
		ttl = p.errTTL
	}
	p.mu.Lock()
	e.grant, e.err, e.expires = g, err, p.now().Add(ttl)
	close(e.done)
	p.fresh.Store(k, e) // entries are immutable once done: readers need no lock
	p.mu.Unlock()
	if err != nil && p.onFetchError != nil {
		p.onFetchError(method, err)
	}
}

// sweepLocked bounds the cache once it holds maxGrants entries: it drops
// the expired ones and, if that does not bring it under three quarters
// full, finished ones in map order (in effect at random) until it does, so
// a client that sees many keys or apps keeps a bounded cache and each miss
// pays for a sweep only once in maxGrants/4 misses. In-flight fetches are
// kept. p.mu is held.
func (p *Preflight) sweepLocked(now time.Time) {
	if len(p.grants) < maxGrants {
		return
	}
	drop := func(k grantKey, e *grantEntry) {
		delete(p.grants, k)
		p.fresh.CompareAndDelete(k, e)
	}
	for k, e := range p.grants {
		if e.finished() && now.After(e.expires) {
			drop(k, e)
		}
	}
	for k, e := range p.grants {
		if len(p.grants) < maxGrants*3/4 {
			break
		}
		if e.finished() {
			drop(k, e)
		}
	}
}

// finished reports whether e's fetch is done.
func (e *grantEntry) finished() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// requestShape locates user_app_id in one request message type.
type requestShape struct {
	field  protoreflect.FieldDescriptor // nil: the type has none
	userID protoreflect.FieldDescriptor
	appID  protoreflect.FieldDescriptor
}

// userApp returns the user_id and app_id of req's user_app_id field, or ""
// when req has none.
func (p *Preflight) userApp(req any) (userID, appID string) {
	m, ok := reflectMessage(req)
	if !ok {
		return "", ""
	}
	md := m.Descriptor()
	var sh *requestShape
	if v, ok := p.shapes.Load(md); ok {
		sh = v.(*requestShape)
	} else {
		v, _ := p.shapes.LoadOrStore(md, resolveRequestShape(md))
		sh = v.(*requestShape)
	}
	if sh.field == nil || !m.Has(sh.field) {
		return "", ""
	}
	set := m.Get(sh.field).Message()
	return readString(set, sh.userID), readString(set, sh.appID)
}

func resolveRequestShape(md protoreflect.MessageDescriptor) *requestShape {
	sh := &requestShape{}
	fd := md.Fields().ByName("user_app_id")
	if fd == nil || fd.IsList() || fd.IsMap() || fd.Message() == nil || fd.Message().FullName() != userAppIDSet {
		return sh
	}
	str := func(name protoreflect.Name) protoreflect.FieldDescriptor {
		if f := fd.Message().Fields().ByName(name); f != nil && !f.IsList() && f.Kind() == protoreflect.StringKind {
			return f
		}
		return nil
	}
	sh.field, sh.userID, sh.appID = fd, str("user_id"), str("app_id")
	return sh
}

// String describes the preflight by the number of grants it holds. Grants
// are keyed by the caller's key fingerprint, never by the key.
func (p *Preflight) String() string {
	p.mu.Lock()
	n := len(p.grants)
	p.mu.Unlock()
	return "scopes.Preflight(" + strconv.Itoa(n) + " grants cached)"
}

// Format prints String for every verb, so that printing a Preflight never
// reads its cache without its lock.
func (p *Preflight) Format(f fmt.State, _ rune) { fmt.Fprint(f, p.String()) }
