package throttle_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"golang.org/x/time/rate"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// The cost of a call that gets its token at once: Wait and Done.

func BenchmarkLocal(b *testing.B) {
	l := throttle.Local(1e12, 1e9)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Wait(ctx, "bucket-fingerprint", false); err != nil {
			b.Fatal(err)
		}
		l.Done("bucket-fingerprint", false)
	}
}

// BenchmarkXTimeRate is the floor under Local: x/time/rate's own check of
// a token, with the clock read it needs.
func BenchmarkXTimeRate(b *testing.B) {
	l := rate.NewLimiter(1e12, 1e9)
	b.ReportAllocs()
	for b.Loop() {
		if !l.AllowN(time.Now(), 1) {
			b.Fatal("no token")
		}
	}
}

func BenchmarkLocalParallel(b *testing.B) {
	l := throttle.Local(1e12, 1e9)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Wait(ctx, "bucket-fingerprint", false); err != nil {
				b.Fatal(err)
			}
			l.Done("bucket-fingerprint", false)
		}
	})
}

// BenchmarkRedis: leased is the Redis limiter as it runs (tokens taken in
// batches while they are used fast); perCall has a burst of 1, so every
// call asks Redis; gcra is redis_rate's own request for one token and ping
// one round trip to the same Redis, for scale.
func BenchmarkRedis(b *testing.B) {
	r := testutil.Redis(b)
	ctx := context.Background()
	// Redis's rate algorithm counts time in floating-point seconds, good
	// to about a tenth of a microsecond: rates stay well below 1e7/s.
	for _, bc := range []struct {
		name  string
		rate  float64
		burst int
	}{{"leased", 1e6, 1e9}, {"perCall", 1e5, 1}} {
		b.Run(bc.name, func(b *testing.B) {
			c := redisClientB(b, r.Addr)
			l := throttle.Redis(c, bc.rate, bc.burst, throttle.Logger(nil))
			b.ReportAllocs()
			for b.Loop() {
				if err := l.Wait(ctx, "bucket-fingerprint", false); err != nil {
					b.Fatal(err)
				}
				l.Done("bucket-fingerprint", false)
			}
		})
	}
	b.Run("gcra", func(b *testing.B) {
		rl := redis_rate.NewLimiter(redisClientB(b, r.Addr))
		limit := redis_rate.Limit{Rate: 1, Period: 10 * time.Microsecond, Burst: 1}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rl.AllowAtMost(ctx, "bench", limit, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ping", func(b *testing.B) {
		c := redisClientB(b, r.Addr)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
