package throttle

import (
	"sync"
	"sync/atomic"
	"time"
)

// How a bucket slows after throttled replies: its rate and burst are
// divided by 2^depth. A throttled reply deepens it by one, unless it did so
// less than slowHold ago (replies of calls already in flight repeat the
// news); each recoverStep without a throttled reply takes one back.
const (
	maxDepth    = 6 // 1/64 of the rate
	slowHold    = 250 * time.Millisecond
	recoverStep = time.Second
)

// pace is how slowed a bucket is. Times are offsets from the Limiter's
// epoch.
type pace struct {
	// due is when depth next falls, or 0 when the bucket is not slowed:
	// the one thing a call reads on its way.
	due atomic.Int64

	mu       sync.Mutex
	depth    int           // as of at
	at       time.Duration // the last throttled reply
	deepened time.Duration // when depth last grew
}

// throttled records a throttled reply at now and returns the new depth.
func (p *pace) throttled(now time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.depthAt(now)
	if d == 0 || now-p.deepened >= slowHold {
		d = min(d+1, maxDepth)
		p.deepened = now
	}
	p.depth, p.at = d, now
	p.due.Store(int64(now + recoverStep))
	return d
}

// settle brings depth up to date at now, when due has passed, and returns
// it.
func (p *pace) settle(now time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.depthAt(now)
	if d == 0 {
		p.due.Store(0)
	} else {
		p.due.Store(int64(p.at + time.Duration(p.depth-d+1)*recoverStep))
	}
	return d
}

// current returns the depth at now.
func (p *pace) current(now time.Duration) int {
	if p.due.Load() == 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.depthAt(now)
}

// depthAt returns the depth at now. p.mu must be held.
func (p *pace) depthAt(now time.Duration) int {
	if p.depth == 0 {
		return 0
	}
	return max(0, p.depth-int((now-p.at)/recoverStep))
}

// due reports whether the depth may have fallen by now.
func (p *pace) isDue(now time.Duration) bool {
	d := p.due.Load()
	return d != 0 && int64(now) >= d
}
