// Package msgcache keeps what was worked out once about each message type,
// for the per-call paths that read messages by reflection.
package msgcache

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/cache"
)

// Max bounds the message types a Cache holds. A program uses a few hundred
// at most; past the bound (types made at run time without end) the oldest
// are evicted, so that it never grows without bound.
const Max = 4096

// entrySize is what one type's entry counts for in the cache's byte budget:
// the values are small and alike (a few field descriptors), so the budget
// is Max entries.
const entrySize = 256

// Cache maps message descriptors to a value computed from them once, in the
// module's one cache (internal/cache). Reads take no lock. It is safe for
// concurrent use.
type Cache[V any] struct {
	c       *cache.Cache[protoreflect.MessageDescriptor, V]
	resolve func(protoreflect.MessageDescriptor) V
}

// New returns a Cache whose values resolve computes.
func New[V any](resolve func(protoreflect.MessageDescriptor) V) *Cache[V] {
	return &Cache[V]{
		resolve: resolve,
		c: cache.New(cache.Options[protoreflect.MessageDescriptor, V]{
			TTL:      cache.Forever,
			MaxBytes: Max * entrySize,
			Size:     func(protoreflect.MessageDescriptor, V) int64 { return entrySize },
		}),
	}
}

// Get returns md's value, computing it on first use.
func (c *Cache[V]) Get(md protoreflect.MessageDescriptor) V {
	return c.c.Compute(md, func() V { return c.resolve(md) })
}

// Len returns how many types the cache holds, for tests.
func (c *Cache[V]) Len() int {
	n, _, _ := c.c.Stats()
	return n
}
