package keysource

import (
	"context"
	"fmt"
	"time"
)

// Cached returns a Source that keeps the key src gives for ttl, for a source
// too slow or costly to ask on every call (a secret manager behind a
// SourceFunc). src is asked once however many callers want a key.
//
// Once the key has expired, the next call starts a refresh in the
// background and the expired key keeps serving while it runs, and while
// refreshes fail, within its Grace (default: ttl). Callers with no usable key
// wait for the refresh or for their context. A refresh keeps the values of
// the context of the call that started it but not its cancellation, and is
// given up after RefreshTimeout. A failure goes to OnError, and is answered
// for up to a second before src is asked again; past the grace window it is
// returned, wrapped, naming the source (an error wrapping ErrNoKey still
// does, so a Chain moves on). A panic in src becomes an error. A zero Key
// with a nil error counts as ErrNoKey.
//
// The source implements Invalidator. A ttl of zero or less makes every
// call wait for a refresh. Cached panics if src is nil.
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
