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

// Preflight is the grant cache and check that WithPreflight configures.
type Preflight = preflight

// NewPreflight returns a preflight as WithPreflight(opts...) builds it.
func NewPreflight(catalog *scopes.Catalog, opts ...PreflightOption) *Preflight {
	return newPreflight(catalog, opts)
}

// Check runs the preflight for one call with key k; MyScopes goes out on cc
// with CallKey(k), so cc needs this package's interceptors.
func (p *preflight) Check(ctx context.Context, cc grpc.ClientConnInterface, method string, req any, k keysource.Key) error {
	return p.check(ctx, cc, &options{catalog: p.catalog}, method, req, k)
}

// Sizes returns how many grants the cache holds and how many fetches are in
// flight.
func (p *preflight) Sizes() (grants, inflight int) {
	p.grants.Range(func(any, any) bool { grants++; return true })
	return grants, int(p.inflight.Load())
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
