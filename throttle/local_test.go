package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
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

// TestLocalCancelled: waiters whose contexts end give their slots back,
// in any order: after Local(10, 1) with 100 waiters cancelled at 50 ms, the
// next call waits for the first slot, not for 10 s. A later call takes a
// slot a cancelled waiter left in the middle of the schedule.
func TestLocalCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(10, 1)
		waitFor(t, l, "k") // slot 0; the next is at 100 ms
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 100)
		for range 100 {
			go func() { errs <- l.Wait(ctx, "k", false) }()
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
		for range 100 {
			if err := <-errs; status.Code(err) != codes.Canceled {
				t.Fatalf("a cancelled waiter: %v", err)
			}
		}
		if d := waitFor(t, l, "k"); d != 50*time.Millisecond {
			t.Errorf("after 100 cancelled waiters, the next call waited %v, want 50ms (its slot at 100 ms)", d)
		}

		// Three waiters at 200, 300, 400 ms; the middle one is cancelled.
		ctx, cancel = context.WithCancel(context.Background())
		done := make(chan time.Duration, 2)
		go func() { done <- waitFor(t, l, "k") }()
		synctest.Wait()
		go func() { errs <- l.Wait(ctx, "k", false) }()
		synctest.Wait()
		go func() { done <- waitFor(t, l, "k") }()
		synctest.Wait()
		cancel()
		<-errs
		if d := waitFor(t, l, "k"); d != 200*time.Millisecond {
			t.Errorf("a call after a cancelled waiter in the middle waited %v, want 200ms (its slot)", d)
		}
		<-done
		<-done
	})
}

// TestLocalContention: however calls race, Local grants at most burst +
// rate × elapsed (x/time/rate granted 1,609 where 110 may go).
func TestLocalContention(t *testing.T) {
	l := throttle.Local(100, 10)
	var granted atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 50 {
		wg.Go(func() {
			for time.Since(start) < 500*time.Millisecond {
				ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
				if l.Wait(ctx, "k", false) == nil {
					granted.Add(1)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if most := 10 + int64(100*elapsed.Seconds()) + 1; granted.Load() > most {
		t.Errorf("%d calls granted in %v, want at most %d", granted.Load(), elapsed, most)
	}
	if granted.Load() < 10 {
		t.Errorf("%d calls granted, want at least the burst", granted.Load())
	}
}

// TestSlowDown: a throttled reply slows the rate to 0.7×; more within
// 250 ms change nothing, later ones slow it again; it climbs back by 2 % of
// the rate a second; another credential is never slowed.
func TestSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(10, 1)
		waitFor(t, l, "k")
		l.Done("k", true)
		l.Done("k", true) // the news repeated by a call in flight
		step := func(f float64) time.Duration { return time.Duration(float64(100*time.Millisecond) / f) }
		waitFor(t, l, "k") // its slot was set before the reply
		if d, want := waitFor(t, l, "k"), step(0.7); d != want.Round(0) && d != want-1 && d != want+1 {
			t.Errorf("after a throttled reply: waited %v, want %v (0.7 of the rate)", d, want)
		}
		l.Done("k", true) // 243 ms after the first: held
		time.Sleep(time.Second)
		waitFor(t, l, "k")
		d := waitFor(t, l, "k")
		// 1.1–1.4 s after the decrease: 0.7 + 0.022–0.028.
		if lo, hi := step(0.73), step(0.72); d < lo || d > hi {
			t.Errorf("a second later: waited %v, want %v–%v", d, lo, hi)
		}
		l.Done("k", true)
		time.Sleep(30 * time.Second)
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != 100*time.Millisecond {
			t.Errorf("30 s later: waited %v, want 100ms (the full rate)", d)
		}
		waitFor(t, l, "other")
		if d := waitFor(t, l, "other"); d != 100*time.Millisecond {
			t.Errorf("another credential waited %v, want 100ms", d)
		}
	})
}

// TestSlowDownFloor: however many throttled replies, the rate stays at
// least 1/64 of its value, and comes all the way back.
func TestSlowDownFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(64, 1)
		for range 50 {
			l.Done("k", true)
			time.Sleep(250 * time.Millisecond)
		}
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d > time.Second || d < 100*time.Millisecond {
			t.Errorf("after 50 throttled replies: waited %v, want from 100ms up to 1s (1/64 of 64/s)", d)
		}
		time.Sleep(50 * time.Second)
		waitFor(t, l, "k")
		if d := waitFor(t, l, "k"); d != time.Second/64 {
			t.Errorf("50 s later: waited %v, want %v", d, time.Second/64)
		}
	})
}

// TestRetryBudget (gRFC A6): each retry costs one token of ten and is
// refused, unsent, once half or fewer would be left; each call that ends
// without a throttled reply earns a tenth; first attempts are never
// refused for it; a retry refused for its slot costs nothing.
func TestRetryBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(1000, 1000)
		ctx := context.Background()
		for i := range 5 {
			if err := l.Wait(ctx, "k", true); err != nil {
				t.Fatalf("retry %d: %v", i, err)
			}
		}
		err := l.Wait(ctx, "k", true)
		if !errors.Is(err, throttle.ErrLimited) || status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("the sixth retry: %v, want ErrLimited, ResourceExhausted", err)
		}
		if err := l.Wait(ctx, "k", false); err != nil {
			t.Fatalf("a first attempt was refused: %v", err)
		}
		if err := l.Wait(ctx, "other", true); err != nil {
			t.Fatalf("another credential's retry was refused: %v", err)
		}
		for i := range 9 {
			l.Done("k", false)
			l.Done("k", true) // earns nothing
			if err := l.Wait(ctx, "k", true); !errors.Is(err, throttle.ErrLimited) {
				t.Fatalf("retry after %d successes: %v, want refused", i+1, err)
			}
		}
		l.Done("k", false)
		if err := l.Wait(ctx, "k", true); err != nil {
			t.Fatalf("retry after ten successes: %v", err)
		}

		// A retry refused for its slot costs no token.
		one := throttle.Local(1, 1)
		waitFor(t, one, "k")
		short, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		for range 20 {
			if err := one.Wait(short, "k", true); !errors.Is(err, throttle.ErrLimited) {
				t.Fatalf("a retry past its deadline: %v", err)
			}
		}
		time.Sleep(time.Second)
		if err := one.Wait(ctx, "k", true); err != nil {
			t.Fatalf("a retry after 20 refused for their slot: %v, want sent", err)
		}
	})
}

// TestExtremeRates: one call a day grants one call, not two, and a billion
// a second grants a burst of one at once.
func TestExtremeRates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := throttle.Local(1.0/86400, 1)
		waitFor(t, l, "k")
		ctx, cancel := context.WithTimeout(context.Background(), 23*time.Hour)
		defer cancel()
		if err := l.Wait(ctx, "k", false); !errors.Is(err, throttle.ErrLimited) {
			t.Fatalf("a second call at one a day, with 23 h to wait: %v, want ErrLimited", err)
		}
		time.Sleep(24 * time.Hour)
		waitFor(t, l, "k")
		fast := throttle.Local(1e9, 1)
		for range 1000 {
			waitFor(t, fast, "k")
		}
	})
}

// TestBadInput: rates and bursts a Limiter cannot keep panic at
// construction with a message naming the value, for FallbackRate and
// RedisTimeout too.
func TestBadInput(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"NaN", "NaN", func() { throttle.Local(nan, 1) }},
		{"+Inf", "+Inf", func() { throttle.Local(math.Inf(1), 1) }},
		{"-Inf", "-Inf", func() { throttle.Local(math.Inf(-1), 1) }},
		{"zero", "is 0 calls", func() { throttle.Local(0, 1) }},
		{"negative", "-1", func() { throttle.Local(-1, 1) }},
		{"below one a day", "1e-10", func() { throttle.Local(1e-10, 1) }},
		{"zero burst", "burst is 0", func() { throttle.Local(1, 0) }},
		{"negative burst", "burst is -3", func() { throttle.Local(1, -3) }},
		{"FallbackRate NaN", "FallbackRate's rate is NaN", func() { throttle.FallbackRate(nan, 1) }},
		{"FallbackRate burst", "FallbackRate's burst is 0", func() { throttle.FallbackRate(1, 0) }},
		{"RedisTimeout", "RedisTimeout(0s)", func() { throttle.RedisTimeout(0) }},
		{"nil client", "nil", func() { throttle.Redis(nil, 1, 1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, c.want) {
					t.Errorf("panic %q, want it to name %q", msg, c.want)
				}
			}()
			c.f()
		})
	}
}
