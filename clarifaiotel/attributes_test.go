package clarifaiotel

import (
	"strings"
	"testing"
)

func TestCleanReqID(t *testing.T) {
	long := strings.Repeat("a", maxReqID+10)
	cases := []struct{ in, want string }{
		{"", ""},
		{"fake-12", "fake-12"},
		{"sdk-go-1.0-0a1b2c", "sdk-go-1.0-0a1b2c"},
		{"id\nforged: line", "idforged:line"},
		{"id\u202egnp.exe", "idgnp.exe"},          // bidi override
		{"a\u2028b\u2029c", "abc"},                // line and paragraph separators
		{"a\u200bb\ufeffc\u00a0d", "abcd"},        // zero-width, BOM, no-break space
		{"a\x00b\x1bc\x7fd", "abcd"},              // controls
		{"\xff\xfe broken utf-8", "brokenutf-8"},  // invalid bytes
		{long, long[:maxReqID]},                   // bounded
		{"\n" + long, long[:maxReqID]},            // bounded after cleaning
		{strings.Repeat("é", maxReqID), ""},       // nothing printable
		{"Ω" + long, long[:maxReqID]},             // non-ASCII first
		{"req id with spaces", "reqidwithspaces"}, // spaces too
		{"tab\tinside", "tabinside"},              // and tabs
		{"ok~!@#$%^&*()_+{}|:<>?", "ok~!@#$%^&*()_+{}|:<>?"},
	}
	for _, tc := range cases {
		if got := cleanReqID(tc.in); got != tc.want {
			t.Errorf("cleanReqID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanReqIDDoesNotAllocateWhenClean(t *testing.T) {
	id := "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	if n := testing.AllocsPerRun(100, func() { _ = cleanReqID(id) }); n != 0 {
		t.Errorf("cleanReqID of a clean id: %v allocations, want 0", n)
	}
}

func TestMetricName(t *testing.T) {
	for in, want := range map[string]string{
		"CONN_THROTTLED": "CONN_THROTTLED",
		"CODE_123456":    "UNKNOWN",
		"FAILURE":        "FAILURE",
	} {
		if got := metricName(in); got != want {
			t.Errorf("metricName(%q) = %q, want %q", in, got, want)
		}
	}
}
