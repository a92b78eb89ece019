package throttle_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// waitFor calls l.Wait for bucket and returns how long it took on the
// bubble's clock, failing the test on an error.
func waitFor(t *testing.T, l *throttle.Limiter, bucket string) time.Duration {
	t.Helper()
	start := time.Now()
	if err := l.Wait(context.Background(), bucket, false); err != nil {
		t.Fatalf("Wait(%q): %v", bucket, err)
	}
	return time.Since(start)
}

// waits returns how long each of n calls waited, one after the other.
func waits(t *testing.T, l *throttle.Limiter, bucket string, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = waitFor(t, l, bucket)
	}
	return out
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLocalPaces: the burst goes at once, then one call each 1/rate.
func TestLocalPaces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(10, 3)
		got := waits(t, l, "k", 6)
		want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
		if !equalDurations(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
		time.Sleep(time.Second) // the bucket fills up again, to its burst
		if got := waits(t, l, "k", 4); !equalDurations(got, []time.Duration{0, 0, 0, 100 * time.Millisecond}) {
			t.Errorf("after a second idle: waits %v, want a burst of 3", got)
		}
	})
}

// TestLocalPerCredential: each bucket has its own budget, unless Account
// names one for all.
func TestLocalPerCredential(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(1, 1)
		if a, b := waitFor(t, l, "key-a"), waitFor(t, l, "key-b"); a != 0 || b != 0 {
			t.Errorf("two credentials' first calls waited %v and %v, want 0", a, b)
		}
		acct := throttle.Local(1, 1, throttle.Account("acct"))
		if a, b := waitFor(t, acct, "key-a"), waitFor(t, acct, "key-b"); a != 0 || b != time.Second {
			t.Errorf("with Account: waits %v and %v, want 0 and 1s", a, b)
		}
	})
}

// TestLocalDeadline: a call whose token comes after its deadline fails at
// once with ResourceExhausted (ErrLimited) and takes no token; one whose
// context ends while it waits fails with the context's code and gives its
// token back.
func TestLocalDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(10, 1)
		waitFor(t, l, "k")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := l.Wait(ctx, "k", false)
		if !errors.Is(err, throttle.ErrLimited) || status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("Wait with a deadline before the token: %v (code %v), want ErrLimited, ResourceExhausted", err, status.Code(err))
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("the refusal took %v, want none", d)
		}
		if d := waitFor(t, l, "k"); d != 100*time.Millisecond {
			t.Errorf("the next call waited %v, want 100ms: the refused call took a token", d)
		}

		ctx, cancel = context.WithCancel(context.Background())
		go func() {
			time.Sleep(30 * time.Millisecond)
			cancel()
		}()
		err = l.Wait(ctx, "k", false)
		if status.Code(err) != codes.Canceled || errors.Is(err, throttle.ErrLimited) {
			t.Fatalf("Wait canceled while waiting: %v, want code Canceled", err)
		}
		// The canceled call's token (due at 100 ms) is given back: the
		// next one is due 100 ms after the last call that got one.
		if d := waitFor(t, l, "k"); d != 70*time.Millisecond {
			t.Errorf("after a canceled wait: waited %v, want 70ms", d)
		}
	})
}

// TestSlowDown: a throttled reply halves the rate (and burst); more within
// the hold deepen nothing, later ones halve again; each second without one
// doubles the rate back, and the bucket ends at its full rate.
func TestSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(10, 1)
		waitFor(t, l, "k")
		l.Done("k", true)
		l.Done("k", true) // the news repeated by a call in flight
		if d := waitFor(t, l, "k"); d != 200*time.Millisecond {
			t.Errorf("after a throttled reply: waited %v, want 200ms (half the rate)", d)
		}
		time.Sleep(300 * time.Millisecond)
		l.Done("k", true) // 500 ms after the first: slower again
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != 400*time.Millisecond {
			t.Errorf("after a second throttled reply: waited %v, want 400ms (a quarter)", d)
		}
		// 1.4 s after the last throttled reply: one step back.
		time.Sleep(time.Second)
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != 200*time.Millisecond {
			t.Errorf("a second after: waited %v, want 200ms (half)", d)
		}
		time.Sleep(2 * time.Second)
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != 100*time.Millisecond {
			t.Errorf("seconds after: waited %v, want 100ms (the full rate)", d)
		}
		// Another credential was never slowed.
		waitFor(t, l, "other")
		if d := waitFor(t, l, "other"); d != 100*time.Millisecond {
			t.Errorf("another credential waited %v, want 100ms", d)
		}
	})
}

// TestSlowDownFloor: however many throttled replies, the rate stays above
// zero (1/64 of it) and comes back.
func TestSlowDownFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(64, 1)
		for range 20 {
			l.Done("k", true)
			time.Sleep(300 * time.Millisecond)
		}
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != time.Second {
			t.Errorf("at the floor: waited %v, want 1s (1/64 of 64/s)", d)
		}
		time.Sleep(10 * time.Second)
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != time.Second/64 {
			t.Errorf("10 s later: waited %v, want %v", d, time.Second/64)
		}
	})
}

// TestRetryBudget: retries are refused, unsent and without a token, once
// five throttled replies outweigh the successes (ten tokens, each throttled
// reply costs one, each success earns a tenth, retries need more than
// five); first attempts are never refused for it.
func TestRetryBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(1000, 1000)
		ctx := context.Background()
		for i := range 5 {
			if err := l.Wait(ctx, "k", true); err != nil {
				t.Fatalf("retry after %d throttled replies: %v", i, err)
			}
			l.Done("k", true)
		}
		err := l.Wait(ctx, "k", true)
		if !errors.Is(err, throttle.ErrLimited) || status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("retry after 5 throttled replies: %v, want ErrLimited, ResourceExhausted", err)
		}
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("a first attempt was refused: %v", err)
		}
		if err := l.Wait(ctx, "other", true); err != nil {
			t.Fatalf("another credential's retry was refused: %v", err)
		}
		l.Done("k", false)
		if err := l.Wait(ctx, "k", true); err != nil {
			t.Fatalf("retry after a success: %v", err)
		}
		l.Done("k", true)
		for i := range 10 {
			if err := l.Wait(ctx, "k", true); !errors.Is(err, throttle.ErrLimited) {
				t.Fatalf("retry after %d successes: %v, want refused", i, err)
			}
			l.Done("k", false)
		}
		if err := l.Wait(ctx, "k", true); err != nil {
			t.Fatalf("retry after ten successes: %v", err)
		}
	})
}

// TestBadRate: a rate that is not a positive number panics.
func TestBadRate(t *testing.T) {
	for _, r := range []float64{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Local(%v, 1) did not panic", r)
				}
			}()
			throttle.Local(r, 1)
		}()
	}
}
