package clarifaifake

import (
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
)

// TestRecordsAreBounded: 120,000 calls with 8 KB of metadata each, and one
// stream of 300 messages of 3 MB, are held within the stated bounds, the
// newest calls kept.
func TestRecordsAreBounded(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	md := metadata.Pairs("x-big", strings.Repeat("m", 8<<10))
	small := metadata.Pairs("k", "v")
	s.mu.Lock()
	var last *record
	for i := range 120_000 {
		m := small // most calls are small: the count bounds them
		if i%6 == 0 {
			m = md
		}
		last = &record{method: "/clarifai.api.V2/PostInputs", md: m}
		s.addRecord(last)
	}
	if s.recorded > maxRecordedBytes || len(s.calls) > maxRecordedCalls || s.calls[len(s.calls)-1] != last {
		t.Errorf("after 120k calls: %d bytes in %d calls; want ≤ %d bytes, ≤ %d calls, the newest kept", s.recorded, len(s.calls), maxRecordedBytes, maxRecordedCalls)
	}
	stream := &record{method: "/clarifai.api.V2/PostModelVersionsUpload", md: metadata.MD{}}
	s.addRecord(stream)
	kept := 0
	for range 300 {
		if s.grow(stream, 3<<20) {
			kept++
		}
	}
	if s.recorded > maxRecordedBytes || kept == 0 || kept == 300 {
		t.Errorf("a stream of 300 × 3 MB: %d bytes held, %d messages kept", s.recorded, kept)
	}
	s.mu.Unlock()
	s.ResetCalls()
	if s.recorded != 0 || !stream.dropped || len(s.Calls()) != 0 {
		t.Errorf("after ResetCalls: %d bytes, %d calls", s.recorded, len(s.Calls()))
	}
}
