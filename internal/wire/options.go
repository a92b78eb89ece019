package wire

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Clarifai's option extensions.
const (
	OptScopeDependingScopes = 80319 // clarifai_depending_scopes on the values of clarifai.auth.scope.S, repeated S
	OptDependingScopes      = 80322 // cl_depending_scopes on V2 methods, repeated S
	OptAuthType             = 80323 // cl_auth_type on V2 methods, AuthType
)

// OptionBytes returns the wire form of an options message, in which an
// extension reads the same whether it is unknown (not registered) or known
// (Clarifai's client linked).
func OptionBytes(opts proto.Message) ([]byte, error) {
	if opts == nil {
		return nil, nil
	}
	return proto.MarshalOptions{AllowPartial: true, Deterministic: true}.Marshal(opts)
}

// EnumList decodes every occurrence of field num in raw as enum values,
// accepting both the packed (one length-delimited record) and the unpacked
// (one varint record per value) encodings of a repeated enum. On malformed
// input, or field num with another wire type, it returns the values read
// before the damage and an error.
func EnumList(raw []byte, num int32) ([]int32, error) {
	var out []int32
	for len(raw) > 0 {
		n, typ, tagLen := protowire.ConsumeTag(raw)
		if tagLen < 0 {
			return out, protowire.ParseError(tagLen)
		}
		raw = raw[tagLen:]
		if n != protowire.Number(num) {
			m := protowire.ConsumeFieldValue(n, typ, raw)
			if m < 0 {
				return out, protowire.ParseError(m)
			}
			raw = raw[m:]
			continue
		}
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(raw)
			if m < 0 {
				return out, protowire.ParseError(m)
			}
			out = append(out, int32(v))
			raw = raw[m:]
		case protowire.BytesType:
			packed, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				return out, protowire.ParseError(m)
			}
			raw = raw[m:]
			for len(packed) > 0 {
				v, k := protowire.ConsumeVarint(packed)
				if k < 0 {
					return out, protowire.ParseError(k)
				}
				out = append(out, int32(v))
				packed = packed[k:]
			}
		default:
			return out, fmt.Errorf("field %d has wire type %d, want varint or bytes", num, typ)
		}
	}
	return out, nil
}
