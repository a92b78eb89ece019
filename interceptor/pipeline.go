package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// The stages of a call, in the order they run. UnaryClient (unary.go) runs
// them around the invoker; StreamClient (stream.go) around the streamer and
// each message, with the same stage functions.
//
//  1. key (key.go): resolve the call's credential and attach it, with the
//     request tag, as the call's outgoing metadata.
//  2. checks (the list below): refuse a request before it is sent, or
//     fill it in.
//  3. throttle (throttle.go): wait for the Limiter.
//  4. send: the invoker or streamer, with the transport guard
//     (transport.go) among its call options.
//  5. reply (reply.go): turn a failed in-band status into a *scopes.Error.
//  6. redact (redact.go): tell the Limiter and the Source how the call
//     ended, and cut the key out of the error the caller gets.
//
// A stage is a file and a line here: a check is one of the list below.

// checks run before anything is sent, in this order.
var checks = [...]*check{
	&authTypeCheck, // authtype.go: the key's kind is one the method accepts
	&userAppFill,   // userapp.go: name the default app in a request naming none
	&patRuleCheck,  // patrule.go: a call with a PAT names its app
	&grantCheck,    // preflight.go: the key's scopes allow the method
}

// call.active holds a bit per check: building fails past eight.
const _ = uint8(1 << (len(checks) - 1))

// check is a stage that may refuse a request before it is sent, or
// change the request that is.
type check struct {
	// on reports whether the check applies to call c. The stages take the
	// call by value: a pointer through a func value would escape, and cost
	// an allocation per call.
	on func(o *options, c call) bool
	// at says which requests it sees; a stream runs an atOpen check when
	// it is opened, and the others on the messages it sends.
	at checkAt
	// lazy makes a stream wait for its first message, and run this check
	// on it, before the stream is opened. A check that may refuse a message
	// must be lazy: a stream ends on a refusal only when one is active.
	lazy bool
	// run returns the request to send, or why not to send it. For an
	// atOpen check, req is nil.
	run func(ctx context.Context, o *options, c call, req any) (any, error)
}

type checkAt uint8

const (
	atOpen  checkAt = iota // once per call; a stream's before any message
	atFirst                // the call's first request message
	atEach                 // every request message
)

// call is what the stages know about one call (one attempt of it).
type call struct {
	method     string
	k          keysource.Key            // the credential the call carries
	fromSource bool                     // k came from the Source
	cc         grpc.ClientConnInterface // nil outside gRPC
	need       scopes.Requirement       // what the method needs, when known
	known      bool                     // the preflight's catalog knows method
	active     uint8                    // bit i: checks[i] applies (see activeChecks)
}

// activeChecks records in c which checks apply to it, and reports whether
// one of them is lazy.
func (o *options) activeChecks(c *call) (lazy bool) {
	if o.preflight != nil {
		c.need, c.known = preflightRequired(o.preflight, c.method)
	}
	for i, ch := range checks {
		if ch.on(o, *c) {
			c.active |= 1 << i
			lazy = lazy || ch.lazy
		}
	}
	return lazy
}

// runChecks runs on req the checks active on c that see requests at one
// of ats (a set of 1<<checkAt), and returns the request to send or the
// refusal, with the key cut out of it.
func (o *options) runChecks(ctx context.Context, c *call, req any, ats uint8) (any, error) {
	for i, ch := range checks {
		if c.active&(1<<i) == 0 || ats&(1<<ch.at) == 0 {
			continue
		}
		var err error
		if req, err = ch.run(ctx, o, *c, req); err != nil {
			return nil, o.fail(err, c)
		}
	}
	return req, nil
}

// everyStage is the set of checkAt a unary call runs.
const everyStage = 1<<atOpen | 1<<atFirst | 1<<atEach
