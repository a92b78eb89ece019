package callinfo

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// checkCtx is a context carrying a call's status check, in one allocation.
type checkCtx struct {
	context.Context
	failed func(scopes.Code) bool
}

type checkKey struct{}

func (c *checkCtx) Value(key any) any {
	if key == (checkKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// WithStatusCheck returns ctx carrying failed, the in-band status check the
// interceptor applies to the call (given with interceptor.WithStatusCheck),
// so that clarifaiotel's handler marks the same failures.
func WithStatusCheck(ctx context.Context, failed func(scopes.Code) bool) context.Context {
	return &checkCtx{Context: ctx, failed: failed}
}

// StatusCheckOf returns the status check ctx carries and whether it carries
// one.
func StatusCheckOf(ctx context.Context) (failed func(scopes.Code) bool, ok bool) {
	if c, ok := ctx.Value(checkKey{}).(*checkCtx); ok {
		return c.failed, true
	}
	return nil, false
}
