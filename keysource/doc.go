// Package keysource holds where a Clarifai credential comes from: the Key
// and the Sources that yield one. File, ClarifaiConfig and Cached keep the
// last good key and refresh it behind one shared fetch (single flight), so
// a call reads it with an atomic load.
//
// A Key is a validated API key, personal access token (PAT) or session
// token that never prints its secret. NewKey makes one, and a Key is itself
// a Source. The other sources are Env (environment variables), File (a
// mounted secret that rotates), ClarifaiConfig (the login Clarifai's CLI
// stores), Cached (a costly source such as a secret manager), and Chain and
// Default (the first source that has a key). WithKey overrides the source
// for one request.
//
// An API key and a PAT look alike and travel alike, so File and a Key made
// as KindKey leave the server to decide what it may call. Declare a PAT
// where you know you hold one (NewKey(KindPAT, s), File(path, KindPAT)), and
// a method it cannot call can be refused before it is sent.
//
// Every Source here is safe for concurrent use. Errors wrap ErrNoKey (no
// key here: Chain tries the next source) or ErrInvalidKey, and never contain
// a secret.
package keysource
