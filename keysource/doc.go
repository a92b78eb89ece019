// Package keysource answers "which Clarifai credential does this request
// use?".
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
// WithKey puts a per-request override on a context; the
// interceptors in package interceptor let it win over any Source.
//
// Every Source in this package is safe for concurrent use. Errors wrap
// ErrNoKey (no key here: try elsewhere) or ErrInvalidKey (a secret that
// cannot go into a header), and never contain a secret.
package keysource
