package wire

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// EncodeMyScopesRequest encodes
// MyScopesRequest{1: user_app_id UserAppIDSet{1: user_id, 2: app_id}},
// leaving out empty fields.
func EncodeMyScopesRequest(userID, appID string) []byte {
	var set []byte
	if userID != "" {
		set = protowire.AppendTag(set, 1, protowire.BytesType)
		set = protowire.AppendString(set, userID)
	}
	if appID != "" {
		set = protowire.AppendTag(set, 2, protowire.BytesType)
		set = protowire.AppendString(set, appID)
	}
	var b []byte
	if set != nil {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, set)
	}
	return b
}

// MyScopesReply is a decoded MultiScopeResponse.
type MyScopesReply struct {
	Status            Status
	HasStatus         bool     // field 1 was present
	Scopes, Endpoints []string // as sent, names over the length bound left out
}

// DecodeMyScopesReply decodes MultiScopeResponse{1: status, 2: scopes,
// 4: endpoints}, skipping the other fields. It fails on malformed bytes and
// on more than maxItems scopes or endpoints; names longer than maxLen bytes
// are left out.
func DecodeMyScopesReply(b []byte, maxItems, maxLen int) (MyScopesReply, error) {
	var r MyScopesReply
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return r, fmt.Errorf("malformed MyScopes reply: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if typ == protowire.BytesType && (num == 1 || num == 2 || num == 4) {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return r, fmt.Errorf("malformed MyScopes reply: %w", protowire.ParseError(n))
			}
			b = b[n:]
			list := &r.Scopes
			switch num {
			case 1:
				r.Status, r.HasStatus = DecodeStatus(v), true
				continue
			case 4:
				list = &r.Endpoints
			}
			if len(*list) >= maxItems {
				return r, fmt.Errorf("MyScopes reply lists more than %d scopes or endpoints", maxItems)
			}
			if len(v) <= maxLen {
				*list = append(*list, string(v))
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return r, fmt.Errorf("malformed MyScopes reply: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	return r, nil
}
