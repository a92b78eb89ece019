package interceptor

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Limiter paces the calls made with each credential; package throttle has two.
type Limiter interface {
	// Wait returns nil when a call for bucket may be sent now, else an error
	// (the call fails with it, unsent). retry is true for the 2nd and later
	// attempts of one call.
	Wait(ctx context.Context, bucket string, retry bool) error
	// Done reports how a sent call ended: throttled is true when the server
	// answered CONN_THROTTLED (in-band or as a gRPC error).
	Done(bucket string, throttled bool)
}

// WithThrottle makes every attempt of a call wait for l before it is sent,
// in a bucket naming the call's credential without revealing it, and tells
// l how it ended. A stream waits once, when it opens. A retry l refuses
// fails with l's error and the attempt before's (docs/observability.md).
func WithThrottle(l Limiter) Option {
	return buildOption(func(o *options) { o.limiter = l })
}

// retryAttemptHeader is the outgoing metadata go-grpc-middleware's retry
// sets on the second and later attempts of a call: how a retry is known
// when the call has no record (see isRetry).
const retryAttemptHeader = "x-retry-attempt"

// isRetry reports whether this attempt of the call on ctx is a retry, and
// counts it. The call's record c (callinfo, which NewClient chains before
// its retry) counts the attempts that reach this interceptor, whichever
// retry interceptor makes them; a call without one falls back to
// go-grpc-middleware's header.
func isRetry(ctx context.Context, c *callinfo.Call) bool {
	if c != nil {
		return c.Begin() > 1
	}
	return len(metadata.ValueFromOutgoingContext(ctx, retryAttemptHeader)) > 0
}

// wait asks l for a token for a call on ctx with bucket, and returns ctx
// carrying how long that took (for clarifaiotel). A refusal made after an
// earlier attempt of the same call failed returns that attempt's error too
// (see refusedError); either way the call's callinfo.Call records it.
func wait(ctx context.Context, l Limiter, bucket string) (context.Context, error) {
	c := callinfo.Of(ctx)
	retry := isRetry(ctx, c)
	start := time.Now()
	if err := l.Wait(ctx, bucket, retry); err != nil {
		// Only the limiter's own refusal, not the end of the caller's
		// context, keeps the server's earlier answer.
		if last, _ := c.Last(); last != nil && !contextEnded(err) {
			if r, ok := last.(*refusedError); ok {
				last = r.last
			}
			err = &refusedError{refusal: err, last: last}
		}
		c.Attempt(err, true)
		return ctx, err
	}
	return c.WithWait(ctx, callinfo.Wait{D: time.Since(start), Retry: retry}), nil
}

// contextEnded reports whether err says the call's context ended.
func contextEnded(err error) bool {
	switch status.Code(err) {
	case codes.Canceled, codes.DeadlineExceeded:
		return true
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// refusedError is the error of an attempt the Limiter refused, unsent,
// after an earlier attempt of the same call failed: errors.Is and
// errors.As find both errors (throttle.ErrLimited, the server's
// *scopes.Error), and its gRPC status is the earlier attempt's. It is not
// retriable: the limiter refused the retry.
type refusedError struct{ refusal, last error }

func (e *refusedError) Error() string {
	return e.refusal.Error() + "; the attempt before failed: " + e.last.Error()
}

func (e *refusedError) Unwrap() []error            { return []error{e.last, e.refusal} }
func (e *refusedError) GRPCStatus() *status.Status { return status.Convert(e.last) }

// Retriable reports false: scopes.Retriable asks it before the errors it
// wraps, which may say the call is worth retrying.
func (e *refusedError) Retriable() bool { return false }

// throttled reports whether a call that ended with err (after the status
// check) and reply was throttled by the server.
func throttled(method string, reply any, err error) bool {
	if err == nil {
		if raw, ok := reply.(*[]byte); ok && method == wire.MethodMyScopes && raw != nil {
			// The preflight's own call, whose reply it decodes itself.
			r, _ := wire.DecodeMyScopesReply(*raw, maxRawItems, 0)
			return r.HasStatus && r.Status.Code == wire.CodeConnThrottled
		}
		return reply != nil && replystatus.Check(method, reply, isThrottled) != nil
	}
	var se *scopes.Error
	if errors.As(err, &se) && se != nil {
		return !se.Local && se.Code == wire.CodeConnThrottled
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
			return ws.Has && ws.Code == wire.CodeConnThrottled
		}
	}
	return false
}

func isThrottled(c scopes.Code) bool { return c == wire.CodeConnThrottled }

// maxRawItems bounds the names read in a MyScopes reply, as the preflight
// does; the names themselves are skipped.
const maxRawItems = 4096

// callLimit is a stream's use of the limiter: one Wait when it opens, one
// Done with the outcome of its opening or of its first reply. Its methods
// do nothing on a nil *callLimit.
type callLimit struct {
	l      Limiter
	bucket string
	method string
	call   *callinfo.Call // the call's state across retries, or nil
	done   atomic.Bool
}

func newCallLimit(ctx context.Context, l Limiter, bucket, method string) *callLimit {
	return &callLimit{l: l, bucket: bucket, method: method, call: callinfo.Of(ctx)}
}

func (c *callLimit) wait(ctx context.Context) (context.Context, error) {
	if c == nil {
		return ctx, nil
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

// fail reports err, a stream's error from gRPC, to the limiter (a nil c
// does nothing) and returns it as the caller gets it (see options.fail).
func (c *callLimit) fail(o *options, cl *call, err error) error {
	c.report(nil, err)
	err = o.fail(err, cl)
	c.failed(err)
	return err
}

// failed records err, the stream's error as its caller sees it, as the
// error of the call's last attempt, for a retry the limiter refuses.
func (c *callLimit) failed(err error) {
	if c != nil && err != nil && err != io.EOF {
		c.call.Attempt(err, false)
	}
}
