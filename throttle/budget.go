package throttle

import "sync/atomic"

// The retry budget, as in gRPC's retry throttling (gRFC A6): ten tokens; a
// throttled reply costs one, any other outcome earns a tenth; retries are
// refused while half or fewer are left. Counted in thousandths.
const (
	budgetTokens = 10_000
	budgetCost   = 1_000
	budgetEarn   = 100
)

// budget is a bucket's retry budget. The zero value is full.
type budget struct {
	spent atomic.Int64
}

// allowsRetry reports whether a retry may be sent.
func (b *budget) allowsRetry() bool {
	return b.spent.Load() < budgetTokens/2
}

// throttled spends a token.
func (b *budget) throttled() {
	for {
		v := b.spent.Load()
		if v >= budgetTokens || b.spent.CompareAndSwap(v, min(v+budgetCost, budgetTokens)) {
			return
		}
	}
}

// succeeded earns a tenth of a token back.
func (b *budget) succeeded() {
	for {
		v := b.spent.Load()
		if v <= 0 || b.spent.CompareAndSwap(v, max(v-budgetEarn, 0)) {
			return
		}
	}
}

// full reports whether no token is spent.
func (b *budget) full() bool { return b.spent.Load() == 0 }
