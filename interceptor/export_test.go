package interceptor

import (
	"context"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// Test access to the preflight, which is otherwise reached only through
// the interceptors.

// Preflight is the grant cache and check that WithPreflight configures,
// with the options of the interceptor that holds it.
type Preflight struct {
	p *preflight
	o *options
}

// NewPreflight returns a preflight as WithCatalog(catalog) and
// WithPreflight(opts...) build it.
func NewPreflight(catalog *scopes.Catalog, opts ...PreflightOption) *Preflight {
	o := newOptions([]Option{WithCatalog(catalog), WithPreflight(opts...)})
	return &Preflight{p: o.preflight, o: o}
}

// Check runs the preflight for one call with key k; MyScopes goes out on cc
// with CallKey(k), so cc needs this package's interceptors.
func (t *Preflight) Check(ctx context.Context, cc grpc.ClientConnInterface, method string, req any, k keysource.Key) error {
	return t.p.check(ctx, cc, t.o, method, req, k)
}

// Sizes returns how many grants the cache holds and how many fetches are in
// flight.
func (t *Preflight) Sizes() (grants, inflight int) {
	t.p.grants.Range(func(any, any) bool { grants++; return true })
	return grants, int(t.p.inflight.Load())
}

// PreflightClock replaces the preflight's clock.
func PreflightClock(now func() time.Time) PreflightOption {
	return func(p *preflight) { p.now = now }
}

// PreflightMax replaces the preflight's bound.
func PreflightMax(n int) PreflightOption { return func(p *preflight) { p.max = n } }

// PreflightOnWait sets a function called whenever a caller starts waiting
// for a MyScopes call.
func PreflightOnWait(f func()) PreflightOption { return func(p *preflight) { p.onWait = f } }

// UserApp is userApp: the app a request names.
var UserApp = userApp
