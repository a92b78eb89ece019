package wire

import (
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
)

// IsStatusURL reports whether a type URL names a Clarifai status: its part
// after the last '/' (all of it when there is none) is StatusTypeName.
func IsStatusURL(url string) bool {
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		url = url[i+1:]
	}
	return url == StatusTypeName
}

// MaxDetails bounds how many details of one gRPC status are read.
const MaxDetails = 16

// DetailStatus returns the Clarifai status a server packed in a gRPC
// status' details: the first detail, among the first MaxDetails, whose type
// URL names a Clarifai status (IsStatusURL) and whose bytes hold a code.
func DetailStatus(details []*anypb.Any) (Status, bool) {
	for i, d := range details {
		if i >= MaxDetails {
			break
		}
		if !IsStatusURL(d.GetTypeUrl()) {
			continue
		}
		if st := DecodeStatus(d.GetValue()); st.Has {
			return st, true
		}
	}
	return Status{}, false
}

// MaxText bounds each text DecodeStatus copies out of the bytes.
const MaxText = 64 << 10

// Status is the part of a clarifai.api.status.Status this module reads.
type Status struct {
	Has                         bool // field 1 (code) was present
	Code                        int32
	Description, Details, ReqID string // fields 2, 3 and 7, cut at MaxText
}

// DecodeStatus decodes a clarifai.api.status.Status; malformed input yields
// what was read before the damage.
func DecodeStatus(b []byte) Status {
	var st Status
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return st
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return st
			}
			st.Has, st.Code = true, int32(v)
			b = b[n:]
			continue
		case (num == 2 || num == 3 || num == 7) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return st
			}
			if len(v) > MaxText {
				v = v[:MaxText]
			}
			switch num {
			case 2:
				st.Description = string(v)
			case 3:
				st.Details = string(v)
			case 7:
				st.ReqID = string(v)
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return st
		}
		b = b[n:]
	}
	return st
}

// statusText are the string fields of clarifai.api.status.Status:
// description, details, stack_trace (repeated), req_id, internal_details,
// developer_notes.
var statusText = map[protowire.Number]bool{2: true, 3: true, 4: true, 7: true, 8: true, 10: true}

// RewriteStatus re-encodes a clarifai.api.status.Status whose bytes contain
// secret: its text fields have secret replaced by redacted, and any other
// field that holds secret is dropped. Malformed bytes end the copy where
// they start.
func RewriteStatus(b []byte, secret, redacted string) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			break
		}
		field := b[:n+m]
		b = b[n+m:]
		if !cleantext.ContainsSecret(string(field), secret) {
			out = append(out, field...)
			continue
		}
		if typ != protowire.BytesType || !statusText[num] {
			continue
		}
		v, _ := protowire.ConsumeBytes(field[n:])
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendString(out, cleantext.ReplaceSecret(string(v), secret, redacted))
	}
	return out
}
