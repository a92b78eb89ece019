// Package protomsg holds the one safe way this module turns a value from
// gRPC (a request, a reply) into protobuf reflection.
package protomsg

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Reflect returns v's protobuf reflection, or false when v is not a message
// or is a nil one. Generated messages report a nil pointer as invalid by
// themselves; a nil *dynamicpb.Message would panic, so it is caught before.
// It does not allocate.
func Reflect(v any) (protoreflect.Message, bool) {
	pm, ok := v.(proto.Message)
	if !ok || pm == nil {
		return nil, false
	}
	if d, ok := pm.(*dynamicpb.Message); ok && d == nil {
		return nil, false
	}
	m := pm.ProtoReflect()
	if m == nil || !m.IsValid() {
		return nil, false
	}
	return m, true
}
