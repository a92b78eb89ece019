// Package keyfp names a credential without revealing it: a fingerprint
// computed once per key, for caches and rate-limit buckets.
package keyfp

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
	"github.com/grpc-keyauth/clarifaiauth/internal/keyhook"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// FP is one key's fingerprint: the first 16 bytes of the SHA-256 of what
// the key sends, and their hex form.
type FP struct {
	key    keysource.Key
	Sum    [16]byte
	Bucket string
}

// headerValue is what k sends, through keysource's internal hook.
var headerValue = keyhook.HeaderValue.(func(keysource.Key) string)

// maxBytes bounds what a Cache keeps, as entrySize counts it: a thousand
// keys of ordinary length.
const maxBytes = 256 << 10

// entrySize counts an entry's bytes: the header value, kept as the map key
// and in the Key, the hex form, and the entry's own overhead.
func entrySize(header string, _ *FP) int64 { return int64(2*len(header)) + 32 + 160 }

// Cache computes each key's fingerprint once, and keeps them in the
// module's one cache (internal/cache), bounded by bytes. The zero Cache is
// ready to use; it is safe for concurrent use.
type Cache struct {
	last atomic.Pointer[FP]
	once sync.Once
	c    *cache.Cache[string, *FP] // header value → *FP
}

// Of returns k's fingerprint.
func (c *Cache) Of(k keysource.Key) *FP {
	if f := c.last.Load(); f != nil && f.key.Equal(k) {
		return f
	}
	c.once.Do(func() {
		c.c = cache.New(cache.Options[string, *FP]{TTL: cache.Forever, MaxBytes: maxBytes, Size: entrySize})
	})
	f := c.c.Compute(headerValue(k), func() *FP {
		sum := sha256.Sum256([]byte(headerValue(k)))
		f := &FP{key: k}
		copy(f.Sum[:], sum[:])
		f.Bucket = hex.EncodeToString(f.Sum[:])
		return f
	})
	c.last.Store(f)
	return f
}
