package msgcache

import (
	"runtime"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// fakeType stands for a message type: the cache only compares descriptors.
type fakeType struct {
	protoreflect.MessageDescriptor
	n int
}

// TestBounded: past Max types the cache does not grow, and every answer is
// still right.
func TestBounded(t *testing.T) {
	calls := 0
	c := New(func(md protoreflect.MessageDescriptor) int { calls++; return md.(fakeType).n })
	for i := range 3 * Max {
		if got := c.Get(fakeType{n: i}); got != i {
			t.Fatalf("Get(%d) = %d", i, got)
		}
		if got := c.Get(fakeType{n: i}); got != i {
			t.Fatalf("second Get(%d) = %d", i, got)
		}
	}
	if calls != 3*Max {
		t.Errorf("resolve ran %d times for %d types, want once each", calls, 3*Max)
	}
	if n := c.Len(); n > Max {
		t.Errorf("the cache holds %d types, want at most %d", n, Max)
	}
}

// TestInsertCostDoesNotGrow: adding a type to a cache holding thousands
// costs about what adding one to a small cache does (a copy of the whole
// map per insert would cost a thousand times more), measured against the
// small cache in the same run.
func TestInsertCostDoesNotGrow(t *testing.T) {
	bytesPerInsert := func(size int) float64 {
		c := New(func(md protoreflect.MessageDescriptor) int { return md.(fakeType).n })
		for i := range size {
			c.Get(fakeType{n: i})
		}
		const inserts = 200
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range inserts {
			c.Get(fakeType{n: size + i})
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / inserts
	}
	small, large := bytesPerInsert(10), bytesPerInsert(Max-300)
	if large > 8*small+256 {
		t.Errorf("an insert allocates %.0f bytes into a cache of %d types, %.0f into one of 10", large, Max-300, small)
	}
}
