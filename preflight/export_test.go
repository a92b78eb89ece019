package preflight

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Test access to the Checker's clock, bound and events.

// Clock replaces the Checker's clock.
func Clock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Max replaces the bound on MyScopes calls in flight.
func Max(n int) Option { return func(o *options) { o.maxFetches = n } }

// OnWait sets a function called whenever a caller starts waiting for a
// MyScopes call.
func OnWait(f func()) Option { return func(o *options) { o.onWait = f } }

// Sizes returns how many grants the cache holds and how many fetches are in
// flight.
func (c *Checker) Sizes() (grants, inflight int) {
	grants, _, inflight = c.grants.Stats()
	return grants, inflight
}

// CachedBytes returns the size of the grants the cache holds, as counted
// for its budget.
func (c *Checker) CachedBytes() int64 {
	_, b, _ := c.grants.Stats()
	return b
}

// Size is g's size as the cache counts it.
func Size(g Grant) int64 { return g.size() }

// Grant and Required are the hooks the interceptors use.
func (c *Checker) Grant(ctx context.Context, cc grpc.ClientConnInterface, k keysource.Key, userID, appID, method string, opts ...grpc.CallOption) (Grant, error) {
	return c.grant(ctx, cc, k, userID, appID, method, opts...)
}

func (c *Checker) Required(method string) (scopes.Requirement, bool) { return c.required(method) }
