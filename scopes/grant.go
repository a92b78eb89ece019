package scopes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// MyScopesMethod is the full name of the method that tells what a key may do.
const MyScopesMethod = "/clarifai.api.V2/MyScopes"

// scopeAll grants every scope.
const scopeAll = "All"

// Grant is what a key may do in one app, as [MyScopes] reports it: its
// operation scopes and its endpoint scopes. A Grant is built once (by
// MyScopes or [NewGrant]) and never changes; it answers each scope or
// endpoint query with a map lookup, without allocating, and is safe for
// concurrent use. The zero Grant holds nothing: it allows only methods that
// need no scopes.
type Grant struct {
	scopes, endpoints []string            // normalised, sorted, unique
	scopeSet          map[string]struct{} // scopes
	endpointSet       map[string]struct{} // endpoints
	all               bool                // scopes holds "All"
}

// NewGrant returns the Grant of the given operation scopes ("Inputs:Add" or
// "Inputs_Add") and endpoint scopes (full method names, with or without the
// leading slash, or bare method names of clarifai.api.V2), normalised as
// [MyScopes] normalises the server's lists. It copies its arguments.
func NewGrant(scopes, endpoints []string) Grant {
	g := Grant{
		scopes:    make([]string, 0, len(scopes)),
		endpoints: make([]string, 0, len(endpoints)),
	}
	for _, s := range scopes {
		if s = normalizeScope(strings.TrimSpace(s)); s != "" {
			g.scopes = append(g.scopes, s)
		}
	}
	for _, s := range endpoints {
		if s = normalizeEndpoint(s); s != "" {
			g.endpoints = append(g.endpoints, s)
		}
	}
	g.scopes, g.endpoints = sortUnique(g.scopes), sortUnique(g.endpoints)
	g.scopeSet = make(map[string]struct{}, len(g.scopes))
	for _, s := range g.scopes {
		g.scopeSet[s] = struct{}{}
	}
	g.endpointSet = make(map[string]struct{}, len(g.endpoints))
	for _, s := range g.endpoints {
		g.endpointSet[s] = struct{}{}
	}
	_, g.all = g.scopeSet[scopeAll]
	return g
}

// Scopes returns the grant's operation scopes, "Inputs:Add" spelling,
// sorted; "All" grants every scope. The slice is the caller's.
func (g Grant) Scopes() []string { return slices.Clone(g.scopes) }

// Endpoints returns the grant's endpoint scopes: full method names, such as
// "/clarifai.api.V2/PostInputs", that are allowed whatever the operation
// scopes say, sorted. The slice is the caller's.
func (g Grant) Endpoints() []string { return slices.Clone(g.endpoints) }

// Allows reports whether the grant covers req: when it holds "All", when
// req.Method is one of its endpoints, or when it holds every scope in
// req.Scopes (":" and "_" spellings compare equal). A requirement without
// scopes is always allowed. Allows costs a map lookup per scope and does
// not allocate for requirements from a [Catalog].
func (g Grant) Allows(req Requirement) bool {
	if len(req.Scopes) == 0 || g.all {
		return true
	}
	if req.Method != "" && g.hasEndpoint(req.Method) {
		return true
	}
	for _, s := range req.Scopes {
		if !g.hasScope(s) {
			return false
		}
	}
	return true
}

// hasScope reports whether the grant holds s, in either spelling.
func (g Grant) hasScope(s string) bool {
	if _, ok := g.scopeSet[s]; ok {
		return true
	}
	if n := normalizeScope(s); n != s {
		_, ok := g.scopeSet[n]
		return ok
	}
	return false
}

// hasEndpoint reports whether the grant holds the endpoint m, however m is
// spelled.
func (g Grant) hasEndpoint(m string) bool {
	if _, ok := g.endpointSet[m]; ok {
		return true
	}
	if n := normalizeEndpoint(m); n != m {
		_, ok := g.endpointSet[n]
		return ok
	}
	return false
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
		endpoints = []string{normalizeEndpoint(req.Method)}
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
// returned as it is (status.Code works on it). A reply whose status is not
// a success (ok class), or is absent, is returned as an *Error with Method
// set, and so is a reply that does not decode or lists more than 4096
// scopes or endpoints (no real key has that many; a grant that large would
// only cost memory). Names are normalised as by [NewGrant]; a name longer
// than 1 KiB is left out.
func MyScopes(ctx context.Context, cc grpc.ClientConnInterface, userID, appID string, opts ...grpc.CallOption) (Grant, error) {
	req := encodeMyScopesRequest(userID, appID)
	var reply []byte
	opts = append(opts[:len(opts):len(opts)], grpc.ForceCodecV2(rawCodec{}))
	if err := cc.Invoke(ctx, MyScopesMethod, &req, &reply, opts...); err != nil {
		return Grant{}, err
	}
	r, err := decodeMultiScopeResponse(reply)
	if err != nil {
		return Grant{}, &Error{Method: MyScopesMethod, Code: codeZero, Description: err.Error()}
	}
	st := r.status
	if !st.has || st.code.Class() != ClassOK {
		e := &Error{Method: MyScopesMethod, Code: st.code, Description: st.description, Details: st.details, ReqID: st.reqID}
		if !st.has {
			e.Code, e.Description = codeZero, "reply carries no status"
		}
		e.Missing, e.MissingEndpoints = parseMissing(e.Description, e.Details)
		e.Required, _ = Required(MyScopesMethod)
		return Grant{}, e
	}
	return NewGrant(r.scopes, r.endpoints), nil
}

// Bounds on a MyScopes reply.
const (
	maxGrantItems   = 4096    // scopes, and endpoints, in one reply
	maxGrantItemLen = 1 << 10 // bytes of one scope or endpoint name
)

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

// myScopesReply is a decoded MultiScopeResponse.
type myScopesReply struct {
	status            wireStatus
	scopes, endpoints []string // as sent, overlong names left out
}

// decodeMultiScopeResponse decodes MultiScopeResponse{1: status, 2: scopes,
// 4: endpoints}, skipping the other fields.
func decodeMultiScopeResponse(b []byte) (myScopesReply, error) {
	var r myScopesReply
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
			list := &r.scopes
			switch num {
			case 1:
				r.status = decodeStatus(v)
				r.status.has = true
				continue
			case 4:
				list = &r.endpoints
			}
			if len(*list) >= maxGrantItems {
				return r, fmt.Errorf("MyScopes reply lists more than %d scopes or endpoints", maxGrantItems)
			}
			if len(v) <= maxGrantItemLen {
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
