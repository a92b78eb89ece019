package testutil

import (
	"encoding/hex"
	"testing"
)

func TestLeak(t *testing.T) {
	const secret = "abcdefghijklmnop"
	for _, tt := range []struct {
		desc, text string
		leak       bool
	}{
		{"absent", "nothing here", false},
		{"whole", "x " + secret + " y", true},
		{"hex", hex.EncodeToString([]byte(secret)), true},
		{"eight characters", "…ghijklmn…", true},
		{"seven characters", "…ghijklm…", false},
	} {
		if got := Leak(tt.text, secret) != ""; got != tt.leak {
			t.Errorf("%s: Leak = %v, want %v", tt.desc, got, tt.leak)
		}
	}
	if LeakRun("…ghijklm…", 7, secret) != "ghijklm" {
		t.Error("LeakRun(7) misses seven characters")
	}
	if Leak("anything", "") != "" {
		t.Error("an empty secret leaks")
	}
}

func TestMarker(t *testing.T) {
	if a, b := Marker(t), Marker(t); a == b {
		t.Error("two markers are equal")
	}
}
