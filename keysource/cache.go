package keysource

import (
	"context"
	"fmt"
	"time"
)

// Cached returns a Source that asks src once per ttl, however many callers
// want a key (single flight), for a costly source such as a secret manager.
// The old key keeps serving while a refresh runs or fails, within its Grace
// (default ttl); a refresh is given up after RefreshTimeout. It panics if
// src is nil. See docs/client.md for the details.
func Cached(src Source, ttl time.Duration, opts ...Option) Source {
	if src == nil {
		panic("keysource: Cached with a nil Source")
	}
	ttl = max(ttl, 0)
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	o.interval = 0 // the ttl is the interval
	c := &cached{src: src}
	c.r = newRefresher(c.String, c.fetch, o, ttl, ttl, false)
	return c
}

type cached struct {
	src Source
	r   *refresher
}

func (c *cached) Key(ctx context.Context) (Key, error) { return c.r.Key(ctx) }

// Invalidate makes the next call wait for a refresh if k is the key the
// cache serves; if the refresh fails, k keeps serving within its grace.
func (c *cached) Invalidate(k Key) { c.r.Invalidate(k) }

// String describes the source by the one it caches: "cached(<inner>)".
func (c *cached) String() string { return "cached(" + describe(c.src) + ")" }

// fetch asks src; every error is a failure that keeps the last key serving
// within its grace.
func (c *cached) fetch(ctx context.Context, _ *state) fetched {
	k, err := c.src.Key(ctx)
	if err != nil {
		return fetched{err: fmt.Errorf("keysource: %s: %w", c, err), failed: true}
	}
	return fetched{key: k}
}
