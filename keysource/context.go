package keysource

import "context"

type overrideKey struct{}

// WithKey returns a copy of ctx that carries k as the per-request
// credential; it wins over every Source. A zero k removes an override set
// further up. The override travels with ctx: every call made with ctx, or a
// context derived from it, through any connection that uses this library's
// interceptors carries k.
func WithKey(ctx context.Context, k Key) context.Context {
	if k.IsZero() {
		return context.WithValue(ctx, overrideKey{}, (*Key)(nil))
	}
	return context.WithValue(ctx, overrideKey{}, &k)
}

// fromContext returns the per-request override that WithKey put on ctx; ok
// reports whether ctx carries one. Other packages reach it through
// internal/keyhook.
func fromContext(ctx context.Context) (k Key, ok bool) {
	p, _ := ctx.Value(overrideKey{}).(*Key)
	if p == nil {
		return Key{}, false
	}
	return *p, true
}
