package keysource

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// sink keeps results alive so the compiler cannot drop the calls.
var sink Key

func benchSource(b *testing.B, src Source) {
	b.Helper()
	ctx := context.Background()
	if _, err := src.Key(ctx); err != nil { // warm up
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		k, err := src.Key(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sink = k
	}
}

func benchSourceParallel(b *testing.B, src Source) {
	b.Helper()
	ctx := context.Background()
	if _, err := src.Key(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var k Key
		for pb.Next() {
			var err error
			if k, err = src.Key(ctx); err != nil {
				b.Error(err)
				return
			}
		}
		_ = k
	})
}

func BenchmarkKey(b *testing.B) { benchSource(b, mustKey(b, KindKey, testSecret)) }

func BenchmarkOverride(b *testing.B) {
	k, err := NewKey(KindKey, testSecret)
	if err != nil {
		b.Fatal(err)
	}
	ctx := WithKey(context.Background(), k)
	b.ReportAllocs()
	for b.Loop() {
		k, ok := fromContext(ctx)
		if !ok {
			b.Fatal(ok)
		}
		sink = k
	}
}

func BenchmarkEnv(b *testing.B) {
	b.Setenv("KS_BENCH_KEY", testSecret)
	benchSource(b, Env("KS_BENCH_KEY"))
}

// BenchmarkChainMiss is the usual Default-style chain: an unset variable
// before the source that has the key.
func BenchmarkChainMiss(b *testing.B) {
	b.Setenv("KS_BENCH_UNSET", "")
	benchSource(b, Chain(Env("KS_BENCH_UNSET"), staticKey(testSecret)))
}

func benchFile(b *testing.B) Source {
	path := filepath.Join(b.TempDir(), "key")
	writeFile(b, path, testSecret)
	return File(path, RefreshInterval(time.Hour))
}

func BenchmarkFileWarm(b *testing.B)         { benchSource(b, benchFile(b)) }
func BenchmarkFileWarmParallel(b *testing.B) { benchSourceParallel(b, benchFile(b)) }

func BenchmarkCachedWarm(b *testing.B) { benchSource(b, Cached(staticKey(testSecret), time.Hour)) }
func BenchmarkCachedWarmParallel(b *testing.B) {
	benchSourceParallel(b, Cached(staticKey(testSecret), time.Hour))
}
