// Package msgcache keeps what was worked out once about each message type,
// for the per-call paths that read messages by reflection.
package msgcache

import (
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Max bounds the message types a Cache holds. A program uses a few hundred
// at most; past the bound (types made at run time without end) the cache is
// emptied and refilled, so that it never grows without bound.
const Max = 4096

// Cache maps message descriptors to a value computed from them once. Reads
// take no lock; an insert costs O(1). It is safe for concurrent use.
type Cache[V any] struct {
	m       sync.Map // protoreflect.MessageDescriptor → V
	n       atomic.Int32
	resolve func(protoreflect.MessageDescriptor) V
}

// New returns a Cache whose values resolve computes.
func New[V any](resolve func(protoreflect.MessageDescriptor) V) *Cache[V] {
	return &Cache[V]{resolve: resolve}
}

// Get returns md's value, computing it on first use.
func (c *Cache[V]) Get(md protoreflect.MessageDescriptor) V {
	if v, ok := c.m.Load(md); ok {
		return v.(V)
	}
	v := c.resolve(md)
	if c.n.Add(1) > Max {
		c.m.Clear()
		c.n.Store(1)
	}
	if old, loaded := c.m.LoadOrStore(md, v); loaded {
		return old.(V)
	}
	return v
}

// Len returns how many types the cache holds, for tests.
func (c *Cache[V]) Len() int {
	n := 0
	c.m.Range(func(any, any) bool { n++; return true })
	return n
}
