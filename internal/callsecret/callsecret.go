// Package callsecret lets the code that puts a credential on a call tell it
// to the code that reports on the call (a stats handler, MyScopes), so that
// what the server echoes of it is cut out: per-RPC credentials' metadata
// never shows in the call's stats.
package callsecret

import (
	"context"
	"sync"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
)

// Key is the context key a *Holder is found under.
var Key any = key{}

type key struct{}

// max bounds the secrets a Holder keeps: a call sends one, a retried call a
// few.
const max = 4

// Holder collects the secrets sent on one call. It is safe for concurrent
// use; the zero Holder is ready.
type Holder struct {
	mu      sync.Mutex
	secrets [max]string
	n       int
}

// With returns ctx carrying a new Holder, and the Holder.
func With(ctx context.Context) (context.Context, *Holder) {
	h := new(Holder)
	return context.WithValue(ctx, Key, h), h
}

// Record tells the Holder on ctx, if any, that secret goes out on its call.
func Record(ctx context.Context, secret string) {
	if h, ok := ctx.Value(Key).(*Holder); ok && secret != "" {
		h.add(secret)
	}
}

func (h *Holder) add(secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.secrets[:h.n] {
		if s == secret {
			return
		}
	}
	if h.n == max {
		copy(h.secrets[:], h.secrets[1:])
		h.n--
	}
	h.secrets[h.n] = secret
	h.n++
}

// Secrets returns the secrets recorded so far.
func (h *Holder) Secrets() []string {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.secrets[:h.n]...)
}

// Scrub returns s with every recorded secret replaced by repl (see
// cleantext.ReplaceSecret). A nil Holder returns s.
func (h *Holder) Scrub(s, repl string) string {
	for _, secret := range h.Secrets() {
		s = cleantext.ReplaceSecret(s, secret, repl)
	}
	return s
}
