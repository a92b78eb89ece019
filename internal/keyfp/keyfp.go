// Package keyfp names a credential without revealing it: a fingerprint
// computed once per key, for caches and rate-limit buckets.
package keyfp

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"

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

// max bounds the fingerprints a Cache keeps besides the last one.
const max = 1024

// Cache computes each key's fingerprint once. The zero Cache is ready to
// use; it is safe for concurrent use.
type Cache struct {
	last atomic.Pointer[FP]
	m    sync.Map // header value → *FP
	n    atomic.Int32
}

// Of returns k's fingerprint.
func (c *Cache) Of(k keysource.Key) *FP {
	if f := c.last.Load(); f != nil && f.key.Equal(k) {
		return f
	}
	if v, ok := c.m.Load(headerValue(k)); ok {
		f := v.(*FP)
		c.last.Store(f)
		return f
	}
	sum := sha256.Sum256([]byte(headerValue(k)))
	f := &FP{key: k}
	copy(f.Sum[:], sum[:])
	f.Bucket = hex.EncodeToString(f.Sum[:])
	if c.n.Add(1) > max {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(headerValue(k), f)
	c.last.Store(f)
	return f
}
