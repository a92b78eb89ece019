package throttle

import (
	"log/slog"
	"math"
)

// An Option configures a Limiter made by Local or Redis.
type Option func(*options)

type options struct {
	account  string
	logger   *slog.Logger
	loggerOK bool
	// fallback rate and burst of Redis; zero: the shared ones.
	fallbackRate  float64
	fallbackBurst int
}

// Account paces every credential with one budget named name, instead of
// one budget per credential: give it when several keys belong to one
// account, which Clarifai limits as a whole. With Redis, processes that
// give the same name share the budget.
func Account(name string) Option {
	return func(o *options) { o.account = name }
}

// Logger sets where a Redis limiter says that Redis stopped answering and
// that it answers again; the default is slog.Default(), and nil says
// nothing. Local ignores it.
func Logger(l *slog.Logger) Option {
	return func(o *options) { o.logger, o.loggerOK = l, true }
}

// FallbackRate sets the rate and burst a Redis limiter uses in this process
// while Redis does not answer; the default is the shared rate and burst.
// Give a fleet of n processes about 1/n of the shared rate each. Local
// ignores it.
func FallbackRate(perSecond float64, burst int) Option {
	return func(o *options) { o.fallbackRate, o.fallbackBurst = perSecond, burst }
}

// checkRate panics on a rate a Limiter cannot keep.
func checkRate(perSecond float64) {
	if !(perSecond > 0) || math.IsInf(perSecond, 1) {
		panic("throttle: the rate must be a positive number of calls a second")
	}
}
