// Package icopts lets the root package read and extend interceptor options
// without package interceptor exporting that to users: package interceptor
// sets these functions when it is initialised. Values typed any are
// interceptor.Option, []interceptor.Option and interceptor.Limiter; this
// package cannot name them without an import cycle.
package icopts

// Info is what the root package needs to know of a list of options.
type Info struct {
	Err           error // the first invalid option's problem, or nil
	AllowInsecure bool  // AllowInsecureTransport was given
	UserAppGiven  bool  // WithUserApp was given, possibly to turn it off
	Limiter       bool  // WithThrottle was given a Limiter
	UserID, AppID string
}

var (
	// Read returns the Info of opts, a []interceptor.Option.
	Read func(opts any) Info
	// ConnGuarded is an interceptor.Option saying that the connection
	// applies the transport rule itself (DialOptions' guard), so calls need
	// no per-call guard.
	ConnGuarded any
	// WrapLimiter returns an interceptor.Option that replaces the Limiter
	// the options before it gave with wrap(l); wrap is a
	// func(interceptor.Limiter) interceptor.Limiter.
	WrapLimiter func(wrap any) any
	// Explain returns an interceptor.Option that passes every error the
	// interceptors return through explain, a func(error) error.
	Explain func(explain any) any
)
