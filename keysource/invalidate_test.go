package keysource

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

// Every source that can fetch a fresh key implements invalidator.
var (
	_ invalidator = (*fileSource)(nil)
	_ invalidator = (*configSource)(nil)
	_ invalidator = (*cached)(nil)
	_ invalidator = chain(nil)
	_ invalidator = (*defaultSource)(nil)
)

// invalidateCase is a source whose key can be rotated behind its back.
type invalidateCase struct {
	src    Source
	rotate func(n int) // make secret(n) the one the source would read next
}

func invalidateSecret(n int) string {
	return "rotated-key-" + string(rune('a'+n)) + "-0123456789abcdef"
}

func TestInvalidate(t *testing.T) {
	cases := map[string]func(t *testing.T) invalidateCase{
		"File": func(t *testing.T) invalidateCase {
			path := filepath.Join(t.TempDir(), "key")
			writeFile(t, path, invalidateSecret(0))
			return invalidateCase{File(path, RefreshInterval(time.Hour)), func(n int) { writeFile(t, path, invalidateSecret(n)) }}
		},
		"ClarifaiConfig": func(t *testing.T) invalidateCase {
			path := cfgWrite(t, t.TempDir(), cfgSingle("a", invalidateSecret(0)))
			return invalidateCase{ClarifaiConfig(path, RefreshInterval(time.Hour)), func(n int) { cfgWrite(t, filepath.Dir(path), cfgSingle("a", invalidateSecret(n))) }}
		},
		"Cached": func(t *testing.T) invalidateCase {
			var next string
			next = invalidateSecret(0)
			inner := SourceFunc(func(context.Context) (Key, error) { return NewKey(KindKey, next) })
			return invalidateCase{Cached(inner, time.Hour), func(n int) { next = invalidateSecret(n) }}
		},
		"Chain of a File": func(t *testing.T) invalidateCase {
			path := filepath.Join(t.TempDir(), "key")
			writeFile(t, path, invalidateSecret(0))
			return invalidateCase{Chain(Env("KS_INVALIDATE_UNSET"), File(path, RefreshInterval(time.Hour))), func(n int) { writeFile(t, path, invalidateSecret(n)) }}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			cfgCleanEnv(t)
			synctest.Test(t, func(t *testing.T) {
				c := mk(t)
				inv := c.src.(invalidator)
				ctx := context.Background()
				k0, err := c.src.Key(ctx)
				if err != nil {
					t.Fatal(err)
				}
				c.rotate(1)
				wantKey(t, c.src, invalidateSecret(0)) // not re-read yet

				// A key the source does not serve is ignored.
				inv.Invalidate(mustKey(t, KindKey, "some-other-key-0123456789"))
				inv.Invalidate(Key{})
				wantKey(t, c.src, invalidateSecret(0))

				// The key it serves: the next call reads the rotated one.
				inv.Invalidate(k0)
				wantKey(t, c.src, invalidateSecret(1))
				k1, _ := c.src.Key(ctx)

				// Rate-limited: within 5 seconds, another is ignored.
				c.rotate(2)
				time.Sleep(invalidateEvery - time.Nanosecond)
				inv.Invalidate(k1)
				wantKey(t, c.src, invalidateSecret(1))
				// A stale rejection (of k0) does not count against the limit,
				// nor act.
				time.Sleep(time.Nanosecond)
				inv.Invalidate(k0)
				wantKey(t, c.src, invalidateSecret(1))
				inv.Invalidate(k1)
				wantKey(t, c.src, invalidateSecret(2))
			})
		})
	}
}

func TestDefaultInvalidateReachesTheConfig(t *testing.T) {
	cfgCleanEnv(t)
	path := cfgHome(t)
	synctest.Test(t, func(t *testing.T) {
		cfgWrite(t, filepath.Dir(path), cfgSingle("a", cfgPAT))
		src := Default()
		k, err := src.Key(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cfgWrite(t, filepath.Dir(path), cfgSingle("a", cfgPAT2))
		src.(invalidator).Invalidate(k)
		wantKey(t, src, cfgPAT2)
	})
}
