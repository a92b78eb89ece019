package throttle

import (
	"sync"
	"sync/atomic"
	"time"
)

// A process takes tokens from Redis in batches (a lease) when its calls
// use them up fast, so that most calls need no round trip. A leased token
// unused after leaseTTL is dropped: it was counted in the shared budget
// when it was taken, and a call sent much later could overrun the server's
// limit.
const (
	leaseTTL = 100 * time.Millisecond
	maxLease = 64
)

// lease is a bucket's tokens taken from Redis and not used yet.
type lease struct {
	// v packs the tokens left (low 16 bits) and when they expire
	// (milliseconds from the Limiter's epoch, the bits above).
	v atomic.Int64

	mu      sync.Mutex
	fetch   *fetch        // the request to Redis under way, if any
	next    time.Duration // after a refusal: no token before then
	want    int           // tokens to ask for next
	waiting int           // calls waiting for a token

	// owed counts the calls paced locally while Redis was silent: the
	// next request to Redis takes as many tokens from the shared budget,
	// so that the fleet does not spend them twice.
	owed atomic.Int64
}

// fetch is one request to Redis for tokens.
type fetch struct {
	done     chan struct{} // closed when it ended
	deadline time.Duration // when to stop waiting for it
}

func unpack(v int64) (n, exp int64) { return v & 0xffff, v >> 16 }

// take takes a leased token, if one is left and fresh at now.
func (lz *lease) take(now time.Duration) bool {
	ms := int64(now / time.Millisecond)
	for {
		v := lz.v.Load()
		if n, exp := unpack(v); n == 0 || ms >= exp {
			return false
		}
		if lz.v.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

// add adds granted tokens, of asked, fresh from Redis, and sizes the next
// request: larger when the last lease was used up before it expired,
// smaller when tokens expired unused. lz.mu must be held.
func (lz *lease) add(now time.Duration, granted, asked, most int) {
	ms := int64(now / time.Millisecond)
	exp := int64((now + leaseTTL) / time.Millisecond)
	var v int64
	for {
		v = lz.v.Load()
		n, old := unpack(v)
		if ms >= old {
			n = 0
		}
		if lz.v.CompareAndSwap(v, exp<<16|min(n+int64(granted), 0xffff)) {
			break
		}
	}
	switch n, old := unpack(v); {
	case v != 0 && ms < old && n == 0 && granted == asked:
		lz.want = min(max(lz.want, 1)*2, most)
	case ms >= old && n > 0:
		lz.want = max(lz.want/2, 1)
	}
}

// drop drops the leased tokens.
func (lz *lease) drop() { lz.v.Store(0) }

// empty reports whether no token is leased and no request is under way.
func (lz *lease) empty(now time.Duration) bool {
	if n, exp := unpack(lz.v.Load()); n > 0 && int64(now/time.Millisecond) < exp {
		return false
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	return lz.fetch == nil && lz.waiting == 0
}
