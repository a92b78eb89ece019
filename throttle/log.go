package throttle

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// episodeGap is how long without an event ends an episode of long waits or
// refusals: the next one is logged again.
const episodeGap = time.Minute

// episodes logs the first of a run of events.
type episodes struct {
	last atomic.Int64 // time of the last event since the epoch, plus one
}

// note records an event, logging msg if it starts an episode; wait, if
// not zero, is the event's wait.
func (e *episodes) note(l *Limiter, msg string, wait int64) {
	now := l.now() + 1
	prev := e.last.Swap(now)
	if prev != 0 && now-prev < int64(episodeGap) {
		return
	}
	lg := l.logger()
	if lg == nil {
		return
	}
	args := []any{"rate", l.perSecond, "burst", l.burst}
	if wait > 0 {
		args = append(args, "wait", time.Duration(wait).Round(time.Millisecond))
	}
	lg.Warn(msg, args...)
}

// logger returns where a Limiter says what happens to its calls.
func (l *Limiter) logger() *slog.Logger {
	if l.opts.loggerOK {
		return l.opts.logger
	}
	return slog.Default()
}
