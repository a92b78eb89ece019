// Package callsecret lets the code that puts a credential on a call tell it
// to the code that reports on the call (a stats handler, MyScopes), so that
// what the server echoes of it is cut out: per-RPC credentials' metadata
// never shows in the call's stats.
package callsecret

import (
	"context"
	"sync"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// Key is the context key a *Holder is found under.
var Key any = key{}

type key struct{}

// max bounds the keys a Holder keeps: a call sends one, a retried call a
// few.
const max = 4

// Holder collects the keys sent on one call. It is safe for concurrent
// use; the zero Holder is ready.
type Holder struct {
	mu   sync.Mutex
	keys [max]keysource.Key
	n    int
}

// With returns ctx carrying a new Holder, and the Holder.
func With(ctx context.Context) (context.Context, *Holder) {
	h := new(Holder)
	return context.WithValue(ctx, Key, h), h
}

// Record tells the Holder on ctx, if any, that k goes out on its call.
func Record(ctx context.Context, k keysource.Key) {
	if h, ok := ctx.Value(Key).(*Holder); ok && !k.IsZero() {
		h.add(k)
	}
}

func (h *Holder) add(k keysource.Key) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, have := range h.keys[:h.n] {
		if have.Equal(k) {
			return
		}
	}
	if h.n == max {
		copy(h.keys[:], h.keys[1:])
		h.n--
	}
	h.keys[h.n] = k
	h.n++
}

// Keys returns the keys recorded so far.
func (h *Holder) Keys() []keysource.Key {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]keysource.Key(nil), h.keys[:h.n]...)
}

// Scrub returns s with every recorded key's secret replaced by repl (see
// cleantext.ReplaceSecret). A nil Holder returns s.
func (h *Holder) Scrub(s, repl string) string {
	for _, k := range h.Keys() {
		s = cleantext.ReplaceSecret(s, k.Secret(), repl)
	}
	return s
}
