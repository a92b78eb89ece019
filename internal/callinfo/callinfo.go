// Package callinfo carries what the library knows about one call between
// its parts, through the call's context: how many attempts it has begun
// (so the limiter knows a retry from any retry interceptor), the error of
// its last attempt (for an attempt the limiter then refuses), and how long
// an attempt waited for its rate-limit token (for clarifaiotel's handler).
package callinfo

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Call is the state one call shares across its attempts. Its methods are
// safe for concurrent use and do nothing on a nil *Call.
type Call struct {
	context.Context
	mu       sync.Mutex
	attempts int   // the attempts begun so far (see Begin)
	last     error // the last attempt's error, nil after a success
	refused  bool  // the last attempt was refused by the limiter, unsent
	own      bool  // the library's own call (see Own)
	wait     Wait  // the last attempt's wait (see WithWait)
	hasWait  bool
}

type callKey struct{}

// Value returns c for the package's key and asks the parent context for
// every other key: one allocation where context.WithValue takes two.
func (c *Call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// New returns ctx with a fresh Call, which hides any Call of ctx's.
func New(ctx context.Context) (context.Context, *Call) {
	c := &Call{Context: ctx}
	return c, c
}

// Own is New for a call the library makes itself (the preflight's
// MyScopes): Unary and Stream keep its Call, so that its maker reads how
// the call went.
func Own(ctx context.Context) (context.Context, *Call) {
	c := &Call{Context: ctx, own: true}
	return c, c
}

// Of returns ctx's Call, or nil.
func Of(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Begin counts an attempt of the call as it starts, and returns its number:
// 1 for the first, 2 for the first retry. A nil *Call returns 0.
func (c *Call) Begin() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	return c.attempts
}

// Attempt records how an attempt ended: err (nil for a success), and
// whether it was refused unsent by the limiter.
func (c *Call) Attempt(err error, refused bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.last, c.refused = err, refused
	c.mu.Unlock()
}

// Last returns the last attempt's error and whether the limiter refused it.
func (c *Call) Last() (err error, refused bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.refused
}

// Unary is a client interceptor that gives every call a Call of its own
// (see ForCall). Put it before a retry interceptor, so that the attempts
// share it.
func Unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(ForCall(ctx), method, req, reply, cc, opts...)
}

// Stream is Unary for streams.
func Stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(ForCall(ctx), desc, cc, method, opts...)
}

// ForCall returns ctx with a Call of its own for one call, or ctx as it is
// when it holds an Own Call.
func ForCall(ctx context.Context) context.Context {
	if c := Of(ctx); c != nil && c.own {
		return ctx
	}
	ctx, _ = New(ctx)
	return ctx
}

// Wait is one attempt's wait for its rate-limit token.
type Wait struct {
	D     time.Duration // how long the Limiter's Wait took
	Retry bool          // the attempt was a retry
}

// waitCtx is a context carrying a Wait, in one allocation.
type waitCtx struct {
	context.Context
	w Wait
}

type waitKey struct{}

func (c *waitCtx) Value(key any) any {
	if key == (waitKey{}) {
		return &c.w
	}
	return c.Context.Value(key)
}

// WithWait returns ctx carrying w, the wait of the attempt about to be
// sent on ctx. A call with a Call c keeps it there, without allocating:
// its attempts run one after another. A nil c makes a new context.
func (c *Call) WithWait(ctx context.Context, w Wait) context.Context {
	if c == nil {
		return &waitCtx{Context: ctx, w: w}
	}
	c.mu.Lock()
	c.wait, c.hasWait = w, true
	c.mu.Unlock()
	return ctx
}

// WithWait returns ctx carrying w (see Call.WithWait).
func WithWait(ctx context.Context, w Wait) context.Context { return Of(ctx).WithWait(ctx, w) }

// WaitOf returns the Wait ctx carries, if any.
func WaitOf(ctx context.Context) (Wait, bool) {
	if w, ok := ctx.Value(waitKey{}).(*Wait); ok {
		return *w, true
	}
	if c := Of(ctx); c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.wait, c.hasWait
	}
	return Wait{}, false
}
