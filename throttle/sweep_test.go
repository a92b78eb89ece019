package throttle

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// TestSweep: a process that sees many keys over time holds the buckets in
// use, not one per key ever seen; a slowed bucket is kept.
func TestSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := Local(1000, 1)
		ctx := context.Background()
		if err := l.Wait(ctx, "slowed", false); err != nil {
			t.Fatal(err)
		}
		l.Done("slowed", true)
		slowed := l.bucket("slowed")
		for i := range 10_000 {
			if err := l.Wait(ctx, fmt.Sprint("key-", i), false); err != nil {
				t.Fatal(err)
			}
			if i%100 == 0 {
				time.Sleep(10 * time.Millisecond) // the buckets used so far fill up
			}
		}
		if n := l.held.Load(); n > 2*minSweep {
			t.Errorf("%d buckets held after 10000 keys, want at most %d", n, 2*minSweep)
		}
		if l.bucket("slowed") != slowed {
			t.Error("a slowed bucket was dropped")
		}
	})
}
