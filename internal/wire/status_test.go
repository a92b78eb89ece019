package wire

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
)

func statusBytes(code uint64, desc string) []byte {
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, code)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, desc)
}

// TestDetailStatus: the first Clarifai status with a code among the first
// MaxDetails details, under a full type URL or a bare type name.
func TestDetailStatus(t *testing.T) {
	other := &anypb.Any{TypeUrl: "type.googleapis.com/google.rpc.ErrorInfo", Value: statusBytes(11009, "not ours")}
	noCode := &anypb.Any{TypeUrl: "type.googleapis.com/" + StatusTypeName, Value: []byte{0x12, 0x01, 'x'}}
	first := &anypb.Any{TypeUrl: StatusTypeName, Value: statusBytes(11005, "throttled")}
	second := &anypb.Any{TypeUrl: "type.googleapis.com/" + StatusTypeName, Value: statusBytes(11007, "scopes")}
	st, ok := DetailStatus([]*anypb.Any{other, noCode, first, second})
	if !ok || st.Code != 11005 || st.Description != "throttled" {
		t.Errorf("DetailStatus = %+v, %v; want the first with a code, 11005", st, ok)
	}
	many := make([]*anypb.Any, MaxDetails, MaxDetails+1)
	for i := range many {
		many[i] = other
	}
	if _, ok := DetailStatus(append(many, first)); ok {
		t.Errorf("DetailStatus read past %d details", MaxDetails)
	}
	if _, ok := DetailStatus(nil); ok {
		t.Error("DetailStatus(nil) found a status")
	}
}
