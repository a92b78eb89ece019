package interceptor

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Limiter paces the calls made with each credential; package throttle has two.
type Limiter interface {
	// Wait returns nil when a call for bucket may be sent now, else an error
	// (the call fails with it, unsent). retry is true for the 2nd and later
	// attempts of one call (go-grpc-middleware retry's "x-retry-attempt" metadata).
	Wait(ctx context.Context, bucket string, retry bool) error
	// Done reports how a sent call ended: throttled is true when the server
	// answered CONN_THROTTLED (in-band or as a gRPC error).
	Done(bucket string, throttled bool)
}

// WithThrottle makes every call wait for l before it is sent, and tells l
// how it ended. The bucket names the call's credential without revealing
// it. A stream waits once, when it opens.
func WithThrottle(l Limiter) Option {
	return buildOption(func(o *options) { o.limiter = l })
}

// retryAttemptHeader is the outgoing metadata go-grpc-middleware's retry
// sets on the second and later attempts of a call.
const retryAttemptHeader = "x-retry-attempt"

// codeConnThrottled is CONN_THROTTLED.
const codeConnThrottled scopes.Code = 11005

// wait asks l whether a call on ctx with bucket may be sent now.
func wait(ctx context.Context, l Limiter, bucket string) error {
	retry := len(metadata.ValueFromOutgoingContext(ctx, retryAttemptHeader)) > 0
	return l.Wait(ctx, bucket, retry)
}

// throttled reports whether a call that ended with err (after the status
// check) and reply was throttled by the server.
func throttled(method string, reply any, err error) bool {
	if err == nil {
		return reply != nil && scopes.CheckReply(method, reply, isThrottled) != nil
	}
	var se *scopes.Error
	if errors.As(err, &se) && se != nil {
		return !se.Local && se.Code == codeConnThrottled
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	for i, d := range st.Proto().GetDetails() {
		if i >= 16 {
			break
		}
		if wire.IsStatusURL(d.GetTypeUrl()) {
			ws := wire.DecodeStatus(d.GetValue())
			return ws.Has && ws.Code == int32(codeConnThrottled)
		}
	}
	return false
}

func isThrottled(c scopes.Code) bool { return c == codeConnThrottled }

// callLimit is a stream's use of the limiter: one Wait when it opens, one
// Done with the outcome of its opening or of its first reply. Its methods
// do nothing on a nil *callLimit.
type callLimit struct {
	l      Limiter
	bucket string
	method string
	done   atomic.Bool
}

func (c *callLimit) wait(ctx context.Context) error {
	if c == nil {
		return nil
	}
	return wait(ctx, c.l, c.bucket)
}

// report tells the limiter how the stream's opening or first reply went,
// once.
func (c *callLimit) report(reply any, err error) {
	if c != nil && c.done.CompareAndSwap(false, true) {
		c.l.Done(c.bucket, throttled(c.method, reply, err))
	}
}
