package throttle

// Local returns a Limiter that paces the calls of this process with GCRA:
// each credential may make perSecond calls a second on average, and up to
// burst at once. Rates above a billion a second are kept as a billion. It
// panics unless perSecond is at least one call a day and burst at least 1.
func Local(perSecond float64, burst int, opts ...Option) *Limiter {
	return newLimiter(perSecond, burst, nil, opts)
}
