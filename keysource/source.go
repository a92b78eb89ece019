package keysource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// Source supplies the Clarifai credential for a request. Key is called for
// every call: it must be safe for concurrent use, answer from memory (see
// Cached), wrap ErrNoKey when it has no key, and never put the secret in an
// error. A Source may also have a method Invalidate(Key), which the
// interceptors call with a key the server rejected (see docs/client.md).
type Source interface {
	Key(ctx context.Context) (Key, error)
}

// SourceFunc adapts a function to Source. Wrap a costly one (a call to a
// secret manager) in Cached.
type SourceFunc func(ctx context.Context) (Key, error)

// Key calls f(ctx).
func (f SourceFunc) Key(ctx context.Context) (Key, error) { return f(ctx) }

// invalidator is a Source that can fetch a fresh key: File,
// ClarifaiConfig, Cached, and Chain and Default for their members. They act
// on Invalidate at most once per invalidateEvery and ignore a key they no
// longer serve.
type invalidator interface {
	Invalidate(k Key)
}

// Env returns a Source that reads, at every call, the first non-empty
// environment variable among names (default CLARIFAI_PAT, CLARIFAI_API_KEY,
// CLARIFAI_SESSION_TOKEN). The name's suffix says the Kind (_PAT, _API_KEY,
// SESSION_TOKEN; otherwise KindKey). Errors name variables, never values.
func Env(names ...string) Source {
	if len(names) == 0 {
		names = []string{cliconfig.EnvPAT, cliconfig.EnvAPIKey, cliconfig.EnvSessionToken}
	}
	e := &env{names: append([]string(nil), names...)}
	e.noKey = fmt.Errorf("%w: environment variables %s are unset or empty", ErrNoKey, strings.Join(e.names, ", "))
	return e
}

type env struct {
	names []string
	noKey error
	last  atomic.Pointer[envKey] // the value last seen and what it parsed to
}

type envKey struct {
	name, raw string
	key       Key
	err       error
}

func (e *env) Key(context.Context) (Key, error) {
	for _, name := range e.names {
		raw := os.Getenv(name)
		if raw == "" {
			continue
		}
		if last := e.last.Load(); last != nil && last.name == name && last.raw == raw {
			return last.key, last.err
		}
		kind := envKind(name)
		ek := &envKey{name: name, raw: raw}
		ek.key, ek.err = NewKey(kind, raw)
		if ek.err != nil {
			ek.err = fmt.Errorf("environment variable %s: %w", name, ek.err)
		}
		e.last.Store(ek)
		return ek.key, ek.err
	}
	return Key{}, e.noKey
}

// envKind tells from a variable's name what its key is: names ending in
// SESSION_TOKEN hold session tokens, _PAT personal access tokens, _API_KEY
// app-specific API keys; any other name holds a KindKey.
func envKind(name string) Kind {
	switch {
	case strings.HasSuffix(name, "SESSION_TOKEN"):
		return KindSessionToken
	case strings.HasSuffix(name, "_PAT"):
		return KindPAT
	case strings.HasSuffix(name, "_API_KEY"):
		return KindAPIKey
	}
	return KindKey
}

// String describes the source by the variables it reads.
func (e *env) String() string { return "env " + strings.Join(e.names, ", ") }

// Chain returns a Source that asks each source in turn and returns the first
// key found. A source that answers ErrNoKey is passed over; any other error
// stops the chain and is returned, since skipping a broken source could send
// another credential. When every source answers ErrNoKey, the error wraps
// ErrNoKey and each answer, and lists the sources with their answers. Nil
// sources are left out.
func Chain(sources ...Source) Source {
	c := make(chain, 0, len(sources))
	for _, s := range sources {
		if s != nil {
			c = append(c, s)
		}
	}
	return c
}

type chain []Source

func (c chain) Key(ctx context.Context) (Key, error) {
	// Misses are collected on the stack: a chain whose first sources
	// usually miss (an unset variable before a mounted file) is asked once
	// per RPC and must not allocate when a later source has the key.
	var buf [8]error
	misses := buf[:0]
	for i, s := range c {
		k, err := s.Key(ctx)
		if err == nil {
			return k, nil
		}
		if !errors.Is(err, ErrNoKey) {
			return Key{}, fmt.Errorf("keysource: chain source %d (%s): %w", i+1, describe(s), err)
		}
		misses = append(misses, err)
	}
	if len(misses) == 0 {
		return Key{}, fmt.Errorf("%w: empty chain", ErrNoKey)
	}
	e := &chainError{misses: slices.Clone(misses), names: make([]string, len(c))}
	for i, s := range c {
		e.names[i] = describe(s)
	}
	return Key{}, e
}

// chainError lists every source of a chain and why each had no key.
type chainError struct {
	names  []string // describe(source), in chain order
	misses []error  // each source's ErrNoKey answer, in chain order
}

func (e *chainError) Error() string {
	var b strings.Builder
	b.WriteString("keysource: no key in any source:")
	listMisses(&b, e.names, e.misses, "")
	return b.String()
}

func (e *chainError) Unwrap() []error { return append([]error{ErrNoKey}, e.misses...) }

// listMisses writes one line per source: its number (or bullet), its
// description and why it had no key, without the "keysource: no key: "
// prefix every miss repeats, and without the description when the miss
// starts with it. A miss of several lines (a Chain in a Chain)
// is indented under its source.
func listMisses(b *strings.Builder, names []string, misses []error, bullet string) {
	for i, m := range misses {
		b.WriteString("\n  ")
		if bullet == "" {
			fmt.Fprintf(b, "%d. ", i+1)
		} else {
			b.WriteString(bullet[2:])
		}
		msg := m.Error()
		for _, p := range []string{ErrNoKey.Error() + ": ", "keysource: "} {
			msg = strings.TrimPrefix(msg, p)
		}
		// This package's misses start by naming their source ("file /x:
		// …", "environment variables …"); say it once.
		if word, _, _ := strings.Cut(names[i], " "); !strings.HasPrefix(msg, word) {
			b.WriteString(names[i])
			b.WriteString(": ")
		}
		b.WriteString(strings.ReplaceAll(msg, "\n", "\n     "))
	}
}

// Invalidate passes the call to every source of the chain that has an
// Invalidate method; each ignores a key it does not serve.
func (c chain) Invalidate(k Key) {
	for _, s := range c {
		if inv, ok := s.(invalidator); ok {
			inv.Invalidate(k)
		}
	}
}

// String describes the chain by its sources.
func (c chain) String() string {
	parts := make([]string, len(c))
	for i, s := range c {
		parts[i] = describe(s)
	}
	return "chain(" + strings.Join(parts, " → ") + ")"
}

// describe names a source for error messages: its String method if it has
// one (every source in this package does, and none prints a secret), else
// its type.
func describe(s Source) (name string) {
	st, ok := s.(fmt.Stringer)
	if !ok {
		return fmt.Sprintf("%T", s)
	}
	// A caller's String method is as hostile as its Key: a panic in it
	// must not escape from a refresh, where nothing could recover it.
	defer func() {
		if recover() != nil {
			name = fmt.Sprintf("%T", s)
		}
	}()
	return st.String()
}
