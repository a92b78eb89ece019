package clarifaifake_test

// Part of the adversarial suite (issue 23).
//
// Attacks covered here:
//   - requests of many empty items against the fake's memory and replies:
//     TestAttackFakeMemory

import (
	"runtime"
	"testing"

	"google.golang.org/protobuf/proto"
)

// TestAttackFakeMemory: requests of 10,000 empty inputs (20 KB on the
// wire, many times more as decoded messages) are held by the server at
// about their wire size, and its default replies to them are not larger
// than the requests.
func TestAttackFakeMemory(t *testing.T) {
	s, conn := start(t)
	const key = "fake-memory-key-0123456789"
	s.AddPAT(key, []string{"All"}, nil)
	req := s.NewRequest(mPostModelOutputs)
	set(req, "model_id", "m")
	msg := req.ProtoReflect()
	l := msg.Mutable(msg.Descriptor().Fields().ByName("inputs")).List()
	for range 10_000 {
		l.Append(l.NewElement())
	}
	wire := proto.Size(req)
	const calls = 3
	// A first call sizes the connection's buffers, which are not records.
	if _, err := call(withKey(t, key), s, conn, mPostModelOutputs, req); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range calls {
		replies, err := call(withKey(t, key), s, conn, mPostModelOutputs, req)
		if err != nil || len(replies) != 1 {
			t.Fatalf("call %d: %d replies, %v", i, len(replies), err)
		}
		if n := proto.Size(replies[0]); n > wire {
			t.Fatalf("a %d-byte request got a %d-byte reply", wire, n)
		}
	}
	runtime.GC()
	runtime.GC() // and the pools gRPC keeps buffers in
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if limit := int64(2*calls*wire + 1<<20); held > limit {
		t.Errorf("%d calls of %d bytes: the server holds %d bytes of heap, want at most %d", calls, wire, held, limit)
	}
	// What it holds still reads back.
	got := s.Calls()
	last := got[len(got)-1].Requests()
	if len(last) != 1 || last[0].ProtoReflect().Get(msg.Descriptor().Fields().ByName("inputs")).List().Len() != 10_000 {
		t.Errorf("the recorded request does not read back")
	}
}
