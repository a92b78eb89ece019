package throttle

import (
	"fmt"
	"log/slog"
	"math"
	"time"
)

// An Option configures a Limiter made by Local or Redis.
type Option func(*options)

type options struct {
	account  string
	logger   *slog.Logger
	loggerOK bool
	// fallback rate and burst of Redis; zero: the shared ones ÷ processes.
	fallbackRate  float64
	fallbackBurst int
	redisTimeout  time.Duration // zero: follows the round trip
}

// Account paces every credential with one budget named name, instead of
// one budget per credential: give it when several keys belong to one
// account, which Clarifai limits as a whole. With Redis, processes that
// give the same name share the budget.
func Account(name string) Option {
	return func(o *options) { o.account = name }
}

// Logger sets where a Limiter says, once per episode, that calls wait over
// a second or are refused, and that a Redis limiter paces in this process
// (at what rate) and uses Redis again; the default is slog.Default(), and
// nil says nothing. It never logs a bucket name or key.
func Logger(l *slog.Logger) Option {
	return func(o *options) { o.logger, o.loggerOK = l, true }
}

// FallbackRate sets the rate and burst a Redis limiter paces this process
// at while Redis is unusable; by default it is the shared rate and burst
// divided by the number of processes last seen using the budget. Local
// ignores it. It panics unless perSecond is at least one call a day and
// burst at least 1.
func FallbackRate(perSecond float64, burst int) Option {
	checkRate("FallbackRate's rate", perSecond)
	checkBurst("FallbackRate's burst", burst)
	return func(o *options) { o.fallbackRate, o.fallbackBurst = perSecond, burst }
}

// RedisTimeout sets how long a Redis limiter waits for Redis before it
// paces the call in this process; by default it follows the measured round
// trip (four times its moving average, from 100 ms to 2 s). Local ignores
// it. It panics unless d is positive.
func RedisTimeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("throttle: RedisTimeout(%v): the timeout must be positive", d))
	}
	return func(o *options) { o.redisTimeout = d }
}

// minRate is the least rate a Limiter keeps: one call a day.
const minRate = 1.0 / 86400

// checkRate panics on a rate a Limiter cannot keep.
func checkRate(what string, perSecond float64) {
	if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond < minRate*(1-1e-9) {
		panic(fmt.Sprintf("throttle: %s is %v calls a second; it must be a number from one a day (%.6g) up", what, perSecond, minRate))
	}
}

// checkBurst panics on a burst below one call.
func checkBurst(what string, burst int) {
	if burst < 1 {
		panic(fmt.Sprintf("throttle: %s is %d; it must be at least 1", what, burst))
	}
}
