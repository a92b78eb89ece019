// Package keysource holds where a Clarifai credential comes from: the Key
// type and the Sources that yield one.
//
// A Source yields a Key: a validated API key, personal access token (PAT) or
// session token that never prints its secret. The package provides the
// sources a Go service needs:
//
//   - Static: a fixed secret; a Key built with NewKey is a Source too.
//   - Env: CLARIFAI_PAT, CLARIFAI_API_KEY or CLARIFAI_SESSION_TOKEN, or
//     variables you name.
//   - File: a mounted secret (Kubernetes, Docker), re-read when it rotates.
//   - ClarifaiConfig: the login that Clarifai's CLI stores.
//   - Cached: any expensive Source (a secret manager) behind a shared,
//     refreshed cache.
//   - Chain and Default: the first source that has a key.
//
// # Kinds: say what your secret is
//
// An app-specific API key and a PAT look alike and travel alike
// ("authorization: Key <secret>"), but some methods accept only PATs. A
// secret of unknown kind (KindKey: what Static and File yield by default) is
// never refused for its kind: the server decides. Declare a PAT where you
// know you hold one, and the interceptors can refuse a method it cannot
// call before it is sent, and tell an API key from a PAT in reports:
//
//   - a fixed PAT: pat, err := keysource.NewKey(keysource.KindPAT, secret),
//     and use pat itself as the Source;
//   - a mounted PAT: keysource.File(path, keysource.FileKind(keysource.KindPAT));
//   - the environment: Env reads CLARIFAI_PAT (or any name ending in _PAT)
//     as a KindPAT key, CLARIFAI_API_KEY (_API_KEY) as KindAPIKey and
//     CLARIFAI_SESSION_TOKEN (SESSION_TOKEN) as KindSessionToken;
//   - ClarifaiConfig yields the context's CLARIFAI_PAT as KindPAT and its
//     CLARIFAI_SESSION_TOKEN as KindSessionToken.
//
// Give the secret alone: the "Key " that goes before it on the wire is
// added when the key is sent, and a secret that starts with it is refused
// with a hint to drop it.
//
// # Overrides and rejected keys
//
// WithKey puts a per-request override on a context; the interceptors in
// package interceptor let it win over any Source. Sources that can fetch a
// fresh key (Cached, File, ClarifaiConfig, and Chain and Default for their
// members) implement Invalidator, which the interceptors call when the
// server rejects the key a source gave.
//
// Every Source in this package is safe for concurrent use. Errors wrap
// ErrNoKey (no key here: try elsewhere) or ErrInvalidKey (a secret that
// cannot go into a header), and never contain a secret.
package keysource
