package throttle

import "sync/atomic"

// The retry budget, as in gRPC's retry throttling (gRFC A6): ten tokens; a
// retry (an attempt after a failed one) costs one and is refused while half
// or fewer are left; a call that ends without a throttled reply earns a
// tenth. Counted in thousandths.
const (
	budgetTokens = 10_000
	budgetCost   = 1_000
	budgetEarn   = 100
)

// budget is a bucket's retry budget. The zero value is full.
type budget struct {
	spent atomic.Int64
}

// spend takes a token for a retry, if more than half are left.
func (b *budget) spend() bool {
	for {
		v := b.spent.Load()
		if v+budgetCost > budgetTokens/2 {
			return false
		}
		if b.spent.CompareAndSwap(v, v+budgetCost) {
			return true
		}
	}
}

// refund gives back the token of a retry that was not sent.
func (b *budget) refund() { b.add(-budgetCost) }

// earn earns a tenth of a token back.
func (b *budget) earn() {
	if b.spent.Load() > 0 {
		b.add(-budgetEarn)
	}
}

func (b *budget) add(d int64) {
	for {
		v := b.spent.Load()
		if b.spent.CompareAndSwap(v, max(v+d, 0)) {
			return
		}
	}
}

// full reports whether no token is spent.
func (b *budget) full() bool { return b.spent.Load() == 0 }
