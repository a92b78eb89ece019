package throttle

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
)

// The generic cell rate algorithm (GCRA) with reservations, in integer
// nanoseconds from the Limiter's epoch. A budget is its theoretical arrival
// time (tat): a call takes the slot tat+step, is sent at that slot less the
// burst window, and moves tat there; a call whose send time is past its
// deadline takes nothing. gcra.lua is the same arithmetic in Redis, in
// microseconds; keep the two alike.

// gcra is a budget's rate: step is the time a call costs at the full rate,
// window the burst (burst × step), both at least one unit.
type gcra struct {
	step, window int64
}

// maxWindow caps the burst window, so that times stay far from overflow
// (and exact in the script's doubles).
const maxWindow = 1 << 50

// newGCRA returns the GCRA of perSecond calls a second, burst at once, in
// units of unit a second (1e9: nanoseconds).
func newGCRA(perSecond float64, burst int, unit float64) gcra {
	step := int64(max(1, math.Round(unit/perSecond)))
	w := int64(maxWindow)
	if int64(burst) <= maxWindow/step {
		w = int64(burst) * step
	}
	return gcra{step: step, window: w}
}

// at returns the step and window at rate factor f (0 < f <= 1): a slowed
// budget's calls cost more and its burst is the same length of time.
func (g gcra) at(f float64) (step, window int64) {
	step = g.step
	if f < 1 {
		step = int64(min(float64(g.step)/f, maxWindow))
	}
	return step, max(g.window, step)
}

// reserve takes the next slot after tat at now, if a call may wait up to
// maxWait for it: it returns the new tat and the wait, or ok false and tat
// unchanged.
func (g gcra) reserve(tat, now int64, f float64, maxWait int64) (newTat, wait int64, ok bool) {
	step, window := g.at(f)
	newTat = max(tat, now) + step
	wait = max(0, newTat-window-now)
	if wait > maxWait {
		return tat, wait, false
	}
	return newTat, wait, true
}

// The rate factor (AIMD): a throttled reply multiplies it by slowFactor, at
// most once per slowHold (replies of calls already in flight repeat the
// news), down to minFactor; it climbs back by climbPerSecond of the full
// rate each second without one. The script computes the same.
const (
	slowFactor     = 0.7
	slowHold       = 250e6 // ns
	minFactor      = 1.0 / 64
	climbPerSecond = 0.02
)

// aimd is a rate factor that was f0 at t0 (ns), climbing since.
type aimd struct {
	f0 float64
	t0 int64
}

// factor returns a's factor at now; nil is the full rate.
func (a *aimd) factor(now int64) float64 {
	if a == nil {
		return 1
	}
	return min(1, a.f0+climbPerSecond*float64(now-a.t0)/1e9)
}

// slowed returns a after a throttled reply at now, or a itself within the
// hold of its last decrease.
func (a *aimd) slowed(now int64) *aimd {
	if a != nil && now-a.t0 < slowHold {
		return a
	}
	return &aimd{f0: max(minFactor, a.factor(now)*slowFactor), t0: now}
}

// slots is a budget of this process: a tat taken with one compare-and-swap,
// and the slots of cancelled waiters that later calls can take (holes).
type slots struct {
	g      gcra
	tat    atomic.Int64
	nholes atomic.Int32

	mu    sync.Mutex
	holes []slot // sorted by send time; under mu
}

// A slot is one call's reservation: tat before and after it, and when the
// call is sent.
type slot struct{ before, after, send int64 }

// maxHoles bounds the holes kept; past it, a cancelled slot is lost.
const maxHoles = 1 << 16

// take reserves a slot at now for a call that may wait up to maxWait.
func (s *slots) take(now int64, f float64, maxWait int64) (slot, bool) {
	if s.nholes.Load() > 0 {
		if h, ok := s.fill(now, maxWait); ok {
			return h, true
		}
	}
	for {
		tat := s.tat.Load()
		newTat, wait, ok := s.g.reserve(tat, now, f, maxWait)
		if !ok {
			return slot{}, false
		}
		if s.tat.CompareAndSwap(tat, newTat) {
			return slot{before: max(tat, now), after: newTat, send: now + wait}, true
		}
	}
}

// fill takes the earliest hole not yet past, if a call may wait for it.
func (s *slots) fill(now, maxWait int64) (slot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.holes), func(i int) bool { return s.holes[i].send >= now })
	s.holes = s.holes[i:]
	if len(s.holes) == 0 || s.holes[0].send-now > maxWait {
		s.nholes.Store(int32(len(s.holes)))
		return slot{}, false
	}
	h := s.holes[0]
	s.holes = s.holes[1:]
	s.nholes.Store(int32(len(s.holes)))
	return h, true
}

// give returns the slot of a call cancelled at now: the last slot moves tat
// back; another one is kept as a hole for the next call.
func (s *slots) give(sl slot, now int64) {
	if s.tat.CompareAndSwap(sl.after, sl.before) {
		if s.nholes.Load() == 0 {
			return
		}
		s.mu.Lock()
	} else {
		s.mu.Lock()
		if sl.send > now && len(s.holes) < maxHoles {
			i := sort.Search(len(s.holes), func(i int) bool { return s.holes[i].send > sl.send })
			s.holes = append(s.holes, slot{})
			copy(s.holes[i+1:], s.holes[i:])
			s.holes[i] = sl
		}
	}
	// Holes at the end of the schedule move tat back too.
	for n := len(s.holes); n > 0 && s.tat.CompareAndSwap(s.holes[n-1].after, s.holes[n-1].before); n-- {
		s.holes = s.holes[:n-1]
	}
	s.nholes.Store(int32(len(s.holes)))
	s.mu.Unlock()
}

// idle reports whether the budget is as good as new at now.
func (s *slots) idle(now int64) bool {
	return s.tat.Load() <= now && s.nholes.Load() == 0
}
