package scopes

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// MyScopesMethod is the full name of the method that tells what a key may do.
const MyScopesMethod = "/clarifai.api.V2/MyScopes"

// scopeAll grants every scope.
const scopeAll = "All"

// Grant is what a key may do in one app, as MyScopes reports it.
type Grant struct {
	// Scopes are operation scopes, "Inputs:Add" spelling; "All" grants
	// every scope.
	Scopes []string
	// Endpoints are endpoint scopes: full method names that are allowed
	// whatever the operation scopes say.
	Endpoints []string
	// UserID and AppID name the app the grant was asked for ("" when the
	// request named none).
	UserID, AppID string
}

// Allows reports whether the grant covers req: when it holds "All", when
// req.Method is one of its endpoints, or when it holds every scope in
// req.Scopes (":" and "_" spellings compare equal). A requirement without
// scopes is always allowed. Allows does not allocate.
func (g Grant) Allows(req Requirement) bool {
	if g.hasScope(scopeAll) {
		return true
	}
	if req.Method != "" && slices.Contains(g.Endpoints, req.Method) {
		return true
	}
	for _, s := range req.Scopes {
		if !g.hasScope(s) {
			return false
		}
	}
	return true
}

func (g Grant) hasScope(s string) bool {
	for _, have := range g.Scopes {
		if sameScope(have, s) {
			return true
		}
	}
	return false
}

// sameScope compares two scope names, treating ':' and '_' as equal.
func sameScope(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '_' {
			x = ':'
		}
		if y == '_' {
			y = ':'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Missing returns what the grant lacks for req: the required scopes it does
// not hold and, as the alternative, req.Method as an endpoint scope. It
// returns nil, nil when [Grant.Allows] is true.
func (g Grant) Missing(req Requirement) (scopes, endpoints []string) {
	if g.Allows(req) {
		return nil, nil
	}
	for _, s := range req.Scopes {
		if !g.hasScope(s) {
			scopes = append(scopes, normalizeScope(s))
		}
	}
	if req.Method != "" {
		endpoints = []string{req.Method}
	}
	return sortUnique(scopes), endpoints
}

// MyScopes asks the server what the key on the call may do in the app named
// by userID and appID (either may be empty: the key's own app is implied), by
// calling /clarifai.api.V2/MyScopes on cc. opts are passed to the call; this
// is where a per-call credential goes.
//
// MyScopes needs no Clarifai Go types: it encodes the request and decodes
// the reply itself and sends them with a pass-through codec. A gRPC error is
// returned as it is (status.Code works on it). A reply whose status is a
// failure, or absent, is returned as an *Error with Method set. Scopes are
// returned in "Inputs:Add" spelling, sorted.
func MyScopes(ctx context.Context, cc grpc.ClientConnInterface, userID, appID string, opts ...grpc.CallOption) (Grant, error) {
	req := encodeMyScopesRequest(userID, appID)
	var reply []byte
	opts = append(opts[:len(opts):len(opts)], grpc.ForceCodecV2(rawCodec{}))
	if err := cc.Invoke(ctx, MyScopesMethod, &req, &reply, opts...); err != nil {
		return Grant{}, err
	}
	g, st, err := decodeMultiScopeResponse(reply)
	if err != nil {
		return Grant{}, &Error{Method: MyScopesMethod, Code: CodeZero, Description: err.Error()}
	}
	g.UserID, g.AppID = userID, appID
	if !st.has || st.code.Failed() {
		e := &Error{Method: MyScopesMethod, Code: st.code, Description: st.description, Details: st.details, ReqID: st.reqID}
		if !st.has {
			e.Code, e.Description = CodeZero, "reply carries no status"
		}
		e.Missing, e.MissingEndpoints = ParseMissing(e.Description + "\n" + e.Details)
		e.Required, _ = Required(MyScopesMethod)
		return Grant{}, e
	}
	return g, nil
}

// encodeMyScopesRequest encodes
// MyScopesRequest{1: user_app_id UserAppIDSet{1: user_id, 2: app_id}}.
func encodeMyScopesRequest(userID, appID string) []byte {
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

// decodeMultiScopeResponse decodes MultiScopeResponse{1: status, 2: scopes,
// 4: endpoints}, skipping the other fields.
func decodeMultiScopeResponse(b []byte) (Grant, wireStatus, error) {
	var (
		g  Grant
		st wireStatus
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return g, st, fmt.Errorf("malformed MyScopes reply: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if typ == protowire.BytesType && (num == 1 || num == 2 || num == 4) {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return g, st, fmt.Errorf("malformed MyScopes reply: %w", protowire.ParseError(n))
			}
			b = b[n:]
			switch num {
			case 1:
				st = decodeStatus(v)
				st.has = true
			case 2:
				g.Scopes = append(g.Scopes, normalizeScope(string(v)))
			case 4:
				g.Endpoints = append(g.Endpoints, string(v))
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return g, st, fmt.Errorf("malformed MyScopes reply: %w", protowire.ParseError(n))
		}
		b = b[n:]
	}
	g.Scopes = sortUnique(g.Scopes)
	g.Endpoints = sortUnique(g.Endpoints)
	return g, st, nil
}

// rawCodec passes *[]byte messages through unchanged. It is named "proto"
// so the call's content type is the one the server expects for the bytes it
// receives, which are protobuf.
type rawCodec struct{}

var _ encoding.CodecV2 = rawCodec{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("scopes: raw codec cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*p)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("scopes: raw codec cannot unmarshal into %T", v)
	}
	*p = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }
