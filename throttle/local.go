package throttle

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Local returns a Limiter that paces the calls of this process: each
// credential may make perSecond calls a second on average, and up to burst
// at once (at least 1). It panics if perSecond is not a positive number.
func Local(perSecond float64, burst int, opts ...Option) *Limiter {
	checkRate(perSecond)
	return newLimiter(perSecond, max(burst, 1), nil, opts)
}

// localRate is a token bucket of this process, slowed by its bucket's pace.
type localRate struct {
	lim       *rate.Limiter
	perSecond float64
	burst     int
	episode   uint64 // with Redis, the silence it paces
}

func newLocalRate(perSecond float64, burst, depth int) *localRate {
	r := &localRate{lim: rate.NewLimiter(rate.Limit(perSecond), burst), perSecond: perSecond, burst: burst}
	if depth > 0 {
		r.slow(time.Now(), depth)
	}
	return r
}

// slow sets the rate and burst for the pace depth.
func (r *localRate) slow(now time.Time, depth int) {
	r.lim.SetLimitAt(now, rate.Limit(r.perSecond/float64(int(1)<<depth)))
	r.lim.SetBurstAt(now, max(1, r.burst>>depth))
}

// wait takes a token, waiting for it if the context allows.
func (r *localRate) wait(ctx context.Context, now time.Time) error {
	if r.lim.AllowN(now, 1) {
		return nil
	}
	res := r.lim.ReserveN(now, 1)
	if !res.OK() {
		return errDeadline
	}
	delay := res.DelayFrom(now)
	if d, ok := ctx.Deadline(); ok && now.Add(delay).After(d) {
		res.CancelAt(now)
		return errDeadline
	}
	if err := sleep(ctx, delay); err != nil {
		res.Cancel()
		return err
	}
	return nil
}

// full reports whether the bucket holds its whole burst, as a new one does.
func (r *localRate) full(now time.Time) bool {
	return r.lim.TokensAt(now) >= float64(r.burst)
}

// sleep waits for d or the end of ctx.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return contextError(ctx)
	}
}
