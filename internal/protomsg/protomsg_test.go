package protomsg

import (
	"testing"

	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestReflect(t *testing.T) {
	var nilDynamic *dynamicpb.Message
	var nilGenerated *durationpb.Duration
	for name, v := range map[string]any{"nil": nil, "not a message": "x", "nil dynamicpb": nilDynamic, "nil generated": nilGenerated} {
		if _, ok := Reflect(v); ok {
			t.Errorf("%s: ok", name)
		}
	}
	if m, ok := Reflect(durationpb.New(1)); !ok || m.Descriptor().FullName() != "google.protobuf.Duration" {
		t.Errorf("a message: %v, %v", m, ok)
	}
}
