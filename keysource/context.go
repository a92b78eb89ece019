package keysource

import "context"

type overrideKey struct{}

// override is what WithKey stores: the validated key, or why it is invalid.
// An invalid override still wins over every Source, so a bad per-request key
// fails the request instead of silently falling back to another credential.
type override struct {
	key Key
	err error
}

// WithKey returns a copy of ctx that carries secret as the per-request
// credential, sent as "authorization: Key <secret>". It always wins over any
// Source. The secret is validated here, once; an invalid one makes the
// request fail with an error wrapping ErrInvalidKey.
func WithKey(ctx context.Context, secret string) context.Context {
	k, err := NewKey(KindAPIKey, secret)
	return context.WithValue(ctx, overrideKey{}, &override{key: k, err: err})
}

// WithSessionToken is WithKey for a session token, sent as
// "x-clarifai-session-token: <token>".
func WithSessionToken(ctx context.Context, token string) context.Context {
	k, err := NewKey(KindSessionToken, token)
	return context.WithValue(ctx, overrideKey{}, &override{key: k, err: err})
}

// WithKeyValue returns a copy of ctx that carries k as the per-request
// credential. A zero k removes an override set further up.
func WithKeyValue(ctx context.Context, k Key) context.Context {
	if k.IsZero() {
		return context.WithValue(ctx, overrideKey{}, (*override)(nil))
	}
	return context.WithValue(ctx, overrideKey{}, &override{key: k})
}

// FromContext returns the per-request override that WithKey,
// WithSessionToken or WithKeyValue put on ctx. ok reports whether ctx carries
// one; err is non-nil (wrapping ErrInvalidKey) when the override was not a
// valid key. It costs one context lookup and does not allocate.
func FromContext(ctx context.Context) (k Key, ok bool, err error) {
	o, _ := ctx.Value(overrideKey{}).(*override)
	if o == nil {
		return Key{}, false, nil
	}
	return o.key, true, o.err
}
