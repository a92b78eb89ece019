package callinfo

import (
	"context"
	"testing"
	"time"
)

// TestBegin: a Call counts the attempts begun on it; a nil Call counts none.
func TestBegin(t *testing.T) {
	_, c := New(context.Background())
	for want := 1; want <= 3; want++ {
		if got := c.Begin(); got != want {
			t.Fatalf("Begin = %d, want %d", got, want)
		}
	}
	if got := (*Call)(nil).Begin(); got != 0 {
		t.Errorf("nil Begin = %d", got)
	}
	// ForCall gives each call a fresh count, but keeps an Own Call.
	ctx := ForCall(context.Background())
	if Of(ForCall(ctx)) == Of(ctx) {
		t.Error("ForCall kept an ordinary Call: attempts of two calls would be counted together")
	}
	own, oc := Own(context.Background())
	if Of(ForCall(own)) != oc {
		t.Error("ForCall replaced an Own Call")
	}
}

// TestWaitInCall: with a Call, an attempt's wait is kept in it, without a
// new context or an allocation, and the latest attempt's is read; without
// one, a context carries it.
func TestWaitInCall(t *testing.T) {
	ctx, c := New(context.Background())
	if _, ok := WaitOf(ctx); ok {
		t.Fatal("a Call with no wait reported one")
	}
	if got := WithWait(ctx, Wait{D: time.Second}); got != ctx {
		t.Error("WithWait made a new context for a call with a Call")
	}
	c.WithWait(ctx, Wait{D: 2 * time.Second, Retry: true})
	if w, ok := WaitOf(ctx); !ok || w.D != 2*time.Second || !w.Retry {
		t.Errorf("WaitOf = %+v, %v; want the second attempt's", w, ok)
	}
	if n := testing.AllocsPerRun(100, func() { WithWait(ctx, Wait{D: 3}) }); n != 0 {
		t.Errorf("WithWait with a Call: %v allocations, want 0", n)
	}
	bare := WithWait(context.Background(), Wait{D: 4})
	if w, ok := WaitOf(bare); !ok || w.D != 4 {
		t.Errorf("WaitOf without a Call = %+v, %v", w, ok)
	}
}
