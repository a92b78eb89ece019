package cache

import (
	"context"
	"errors"
	"time"
)

// ErrPanicked is wrapped by the error that Run and Cache.Get return when
// the function they ran panicked; the panic's value is not kept, since it
// may hold anything (a secret).
var ErrPanicked = errors.New("panicked")

// Run calls f on a goroutine of its own, with ctx bounded by timeout (no
// bound when timeout <= 0), and returns f's result, or ctx's error as soon
// as ctx ends. A panic in f comes back as ErrPanicked. When Run returns
// first, f is abandoned, not stopped: its goroutine ends when f returns.
func Run[T any](ctx context.Context, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() { done <- r }()
		r.v, r.err = protect(ctx, f)
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// protect calls f, turning a panic into ErrPanicked.
func protect[T any](ctx context.Context, f func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if recover() != nil {
			var zero T
			v, err = zero, ErrPanicked
		}
	}()
	return f(ctx)
}
