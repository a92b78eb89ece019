package preflight

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"

	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	"github.com/grpc-keyauth/clarifaiauth/internal/callsecret"
	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/internal/keyhook"
	"github.com/grpc-keyauth/clarifaiauth/internal/redact"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// Bounds on a MyScopes reply.
const (
	maxGrantItems   = 4096    // scopes, and endpoints, in one reply
	maxGrantItemLen = 1 << 10 // bytes of one scope or endpoint name
)

// MyScopes asks the server, with /clarifai.api.V2/MyScopes on cc, what the
// key on the call may do in the app named by userID and appID (empty: the
// key's own app); opts go to the call. A failed status or a reply that does
// not decode is a *scopes.Error; no error holds a key the call sent. See
// docs/scopes.md for the bounds on the reply.
func MyScopes(ctx context.Context, cc grpc.ClientConnInterface, userID, appID string, opts ...grpc.CallOption) (Grant, error) {
	ctx, sent := callsecret.With(ctx)
	names, endpoints, err := myScopes(ctx, cc, userID, appID, opts...)
	if err != nil {
		return Grant{}, scrub(ctx, err, sent)
	}
	// Names are server text: kept and shown only cleaned, without a key
	// the server echoed.
	keys := keysOf(ctx, sent)
	clean := func(list []string) {
		for i, s := range list {
			for _, k := range keys {
				s = cleantext.ReplaceSecret(s, k.Secret(), k.String())
			}
			list[i] = cleantext.String(s, maxGrantItemLen)
		}
	}
	clean(names)
	clean(endpoints)
	return newGrant(names, endpoints), nil
}

func myScopes(ctx context.Context, cc grpc.ClientConnInterface, userID, appID string, opts ...grpc.CallOption) (names, endpoints []string, err error) {
	req := wire.EncodeMyScopesRequest(userID, appID)
	var reply []byte
	opts = append(opts[:len(opts):len(opts)], grpc.ForceCodecV2(rawCodec{}))
	if err = cc.Invoke(ctx, wire.MethodMyScopes, &req, &reply, opts...); err != nil {
		return nil, nil, err
	}
	r, err := wire.DecodeMyScopesReply(reply, maxGrantItems, maxGrantItemLen)
	if err != nil {
		return nil, nil, &scopes.Error{Method: wire.MethodMyScopes, Description: err.Error()}
	}
	st := r.Status
	if !r.HasStatus || !replystatus.OK(st.Code) {
		e := &scopes.Error{Method: wire.MethodMyScopes, Code: scopes.Code(st.Code), Description: st.Description, Details: st.Details, ReqID: st.ReqID}
		if !r.HasStatus {
			e.Code, e.Description = 0, "reply carries no status"
		}
		e.Missing, e.MissingEndpoints = scopename.ParseMissing(e.Description, e.Details)
		e.Required = scopes.Requirement{Method: wire.MethodMyScopes, AuthType: scopes.KeyAuth}
		return nil, nil, e
	}
	return r.Scopes, r.Endpoints, nil
}

// keyFromContext is keysource's override on a context, through its
// internal hook.
var keyFromContext = keyhook.FromContext.(func(context.Context) (keysource.Key, bool))

// scrub cuts out of err every secret the call may have sent: those the
// library's credentials recorded on the call, and one on ctx
// (keysource.WithKey) or written in its outgoing metadata.
func scrub(ctx context.Context, err error, sent *callsecret.Holder) error {
	for _, k := range keysOf(ctx, sent) {
		err = redact.Error(err, k)
	}
	return err
}

// keysOf returns the keys the call on ctx may have sent.
func keysOf(ctx context.Context, sent *callsecret.Holder) []keysource.Key {
	keys := sent.Keys()
	if k, ok := keyFromContext(ctx); ok {
		keys = append(keys, k)
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	add := func(kind keysource.Kind, secrets []string) {
		for _, s := range secrets {
			if k, err := keysource.NewKey(kind, s); err == nil {
				keys = append(keys, k)
			}
		}
	}
	var auth []string
	for _, v := range md.Get(wire.HeaderAuthorization) {
		auth = append(auth, strings.TrimPrefix(v, "Key "))
	}
	add(keysource.KindKey, auth)
	add(keysource.KindSessionToken, md.Get(wire.HeaderSessionToken))
	return keys
}

// ownCall returns ctx for the Checker's own MyScopes call: without the
// caller's outgoing metadata (its headers, a retry's attempt number), so
// that the call carries only what the interceptor puts on it (the key, the
// request tag), and with a callinfo.Call of its own, which says whether the
// limiter refused it.
func ownCall(ctx context.Context) (context.Context, *callinfo.Call) {
	return callinfo.Own(metadata.NewOutgoingContext(ctx, nil))
}

// rawCodec passes *[]byte messages through unchanged. It is named "proto"
// so the call's content type is the one the server expects for the bytes it
// receives, which are protobuf.
type rawCodec struct{}

var _ encoding.CodecV2 = rawCodec{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("preflight: raw codec cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*p)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("preflight: raw codec cannot unmarshal into %T", v)
	}
	*p = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }
