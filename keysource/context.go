package keysource

import "context"

type overrideKey struct{}

// WithKey returns a copy of ctx that carries k as the per-request
// credential. It wins over every Source. A zero k removes an override set
// further up, so the call falls back to the Source.
//
// The override travels with ctx: every call made with ctx (or a context
// derived from it) through any connection that uses this library's
// interceptors carries k, including calls to other Clarifai connections.
// Derive a fresh context from one without the override where that matters.
//
// k was validated when it was made (NewKey), so the hot path only copies it.
func WithKey(ctx context.Context, k Key) context.Context {
	if k.IsZero() {
		return context.WithValue(ctx, overrideKey{}, (*Key)(nil))
	}
	return context.WithValue(ctx, overrideKey{}, &k)
}

// FromContext returns the per-request override that WithKey put on ctx; ok
// reports whether ctx carries one. It costs one context lookup and does not
// allocate.
func FromContext(ctx context.Context) (k Key, ok bool) {
	p, _ := ctx.Value(overrideKey{}).(*Key)
	if p == nil {
		return Key{}, false
	}
	return *p, true
}
