package keyfp

import (
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// TestBoundedByBytes: keys of 60 KiB, the longest a Key takes, do not make
// the cache hold more than its byte budget, and each fingerprint is
// computed once while it is kept.
func TestBoundedByBytes(t *testing.T) {
	var c Cache
	long := strings.Repeat("k", 60<<10)
	for i := range 200 {
		k, err := keysource.NewKey(keysource.KindKey, long+string(rune('a'+i%26))+strings.Repeat("z", i))
		if err != nil {
			t.Fatal(err)
		}
		f := c.Of(k)
		if f2 := c.Of(k); f2 != f {
			t.Fatal("a key's fingerprint was computed twice")
		}
		if _, b, _ := c.c.Stats(); b > maxBytes {
			t.Fatalf("after %d keys the cache holds %d bytes, over its %d", i+1, b, maxBytes)
		}
	}
	short, _ := keysource.NewKey(keysource.KindKey, "short-key-0123456789")
	other, _ := keysource.NewKey(keysource.KindKey, "other-key-0123456789")
	a, b := c.Of(short), c.Of(other)
	if c.Of(short) != a || a.Sum == b.Sum || len(a.Bucket) != 32 {
		t.Errorf("fingerprints: %x %x %q", a.Sum, b.Sum, a.Bucket)
	}
}
