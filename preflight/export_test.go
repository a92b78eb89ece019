package preflight

import "time"

// Test access to the Checker's clock, bound and events.

// Clock replaces the Checker's clock.
func Clock(now func() time.Time) Option { return func(c *Checker) { c.now = now } }

// Max replaces the Checker's bound.
func Max(n int) Option { return func(c *Checker) { c.max = n } }

// OnWait sets a function called whenever a caller starts waiting for a
// MyScopes call.
func OnWait(f func()) Option { return func(c *Checker) { c.onWait = f } }

// Sizes returns how many grants the cache holds and how many fetches are in
// flight.
func (c *Checker) Sizes() (grants, inflight int) {
	c.grants.Range(func(any, any) bool { grants++; return true })
	return grants, int(c.inflight.Load())
}

// CachedBytes returns the size of the grants the cache holds, as counted
// for its budget.
func (c *Checker) CachedBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Size is g's size as the cache counts it.
func Size(g Grant) int64 { return g.size() }
