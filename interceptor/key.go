package interceptor

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/grpc-keyauth/clarifaiauth/internal/callsecret"
	"github.com/grpc-keyauth/clarifaiauth/internal/keyhook"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// What a Key holds for the wire, and the override on a context, through
// keysource's internal hooks: not part of its API.
var (
	keyFromContext = keyhook.FromContext.(func(context.Context) (keysource.Key, bool))
	headerName     = keyhook.HeaderName.(func(keysource.Key) string)
	headerValue    = keyhook.HeaderValue.(func(keysource.Key) string)
)

// CallKey makes calls use k over every other credential: given to one call,
// that call; given when building, every call without one of its own. A
// zero k fails the call locally with Unauthenticated. Without this
// package's interceptors in the chain it does nothing.
//
//	resp, err := client.PostInputs(ctx, req, interceptor.CallKey(pat))
func CallKey(k keysource.Key) CallOption {
	return &callOption{kind: optKey, key: k}
}

// resolve finds the credential for one call, in order of precedence:
// CallKey (cfg), then keysource.WithKey on ctx, then an authorization (or
// session token) header the caller already put in md, the call's outgoing
// metadata, then src. handWritten reports the third case: the header is
// already in md and k is the parsed copy of it. fromSource reports the last.
func resolve(ctx context.Context, src keysource.Source, cfg *callConfig, md metadata.MD) (k keysource.Key, fromSource, handWritten bool, err error) {
	if cfg.hasKey {
		if cfg.key.IsZero() {
			return keysource.Key{}, false, false, errZeroCallKey
		}
		return cfg.key, false, false, nil
	}
	if k, ok := keyFromContext(ctx); ok {
		return k, false, false, nil
	}
	if k, ok, err := fromMetadata(md); ok {
		return k, false, true, err
	}
	if src == nil {
		return keysource.Key{}, false, false, errNoSource
	}
	k, err = src.Key(ctx)
	if err == nil && k.IsZero() {
		err = errZeroFromSource
	}
	return k, true, false, err
}

var (
	errZeroCallKey    = fmt.Errorf("%w: CallKey given the zero Key", keysource.ErrNoKey)
	errNoSource       = fmt.Errorf("%w: no Source configured", keysource.ErrNoKey)
	errZeroFromSource = fmt.Errorf("%w: source returned the zero Key", keysource.ErrNoKey)
)

// fromMetadata reads and validates a credential the caller wrote into the
// outgoing metadata by hand. The header goes out exactly as written, so it
// must be exactly what the Key would send: no white space around the secret.
func fromMetadata(md metadata.MD) (keysource.Key, bool, error) {
	auth, tok := md[wire.HeaderAuthorization], md[wire.HeaderSessionToken]
	var (
		k   keysource.Key
		err error
		raw string
	)
	switch {
	case len(auth) == 0 && len(tok) == 0:
		return keysource.Key{}, false, nil
	case len(auth)+len(tok) > 1:
		return keysource.Key{}, true, fmt.Errorf("%w: the outgoing metadata holds %d credential values; send exactly one", keysource.ErrInvalidKey, len(auth)+len(tok))
	case len(tok) == 1:
		raw = tok[0]
		k, err = keysource.NewKey(keysource.KindSessionToken, raw)
	default:
		raw = auth[0]
		secret, ok := strings.CutPrefix(raw, "Key ")
		if !ok {
			return keysource.Key{}, true, fmt.Errorf("%w: the authorization header must read \"Key <secret>\"", keysource.ErrInvalidKey)
		}
		k, err = keysource.NewKey(keysource.KindKey, secret)
	}
	if err == nil && headerValue(k) != raw {
		err = fmt.Errorf("%w: white space around the secret in the hand-written header", keysource.ErrInvalidKey)
	}
	if err != nil {
		return keysource.Key{}, true, err
	}
	return k, true, nil
}

// attach resolves the call's credential into c and returns ctx with
// exactly one credential header on it.
//
// On a context without outgoing metadata, the common case, the metadata
// holding the key is built once per key and shared by the calls that use
// it (one cache for the Source's key, one for overrides, so that a mix of
// both does not evict either): attaching it costs one context value,
// cheaper than the metadata.AppendToOutgoingContext a caller would write by
// hand. With other metadata present, the credential is merged into a copy
// of it.
func (o *options) attach(ctx context.Context, src keysource.Source, cfg *callConfig, c *call) (context.Context, error) {
	md, hasMD := metadata.FromOutgoingContext(ctx) // a copy; nothing when absent
	k, fromSource, handWritten, err := resolve(ctx, src, cfg, md)
	if err != nil {
		return ctx, keyError(ctx, err)
	}
	c.k, c.fromSource = k, fromSource && !handWritten
	// Code reporting on the call (MyScopes, which decodes the reply itself)
	// learns what to cut out of the server's text.
	callsecret.Record(ctx, k)
	switch {
	case handWritten:
		if o.tag != "" && len(md[wire.HeaderRequestTag]) == 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, wire.HeaderRequestTag, o.tag)
		}
		return ctx, nil
	case !hasMD && fromSource:
		return metadata.NewOutgoingContext(ctx, o.cachedMD(&o.lastMD, k)), nil
	case !hasMD:
		return metadata.NewOutgoingContext(ctx, o.cachedMD(&o.lastOverride, k)), nil
	}
	// An override replaces whatever the caller wrote by hand, so that
	// exactly one credential goes out.
	md.Delete(wire.HeaderAuthorization)
	md.Delete(wire.HeaderSessionToken)
	md.Set(headerName(k), headerValue(k))
	if o.tag != "" && len(md[wire.HeaderRequestTag]) == 0 {
		md.Set(wire.HeaderRequestTag, o.tag) // a tag the caller set wins
	}
	return metadata.NewOutgoingContext(ctx, md), nil
}

// newMD returns fresh outgoing metadata holding k and the request tag.
func (o *options) newMD(k keysource.Key) metadata.MD {
	if o.tag != "" {
		return metadata.MD{headerName(k): {headerValue(k)}, wire.HeaderRequestTag: {o.tag}}
	}
	return metadata.MD{headerName(k): {headerValue(k)}}
}

// cachedMD returns the outgoing metadata for k, built once per key
// (compared by content, so a Source that builds a new Key per call still
// hits): gRPC only reads the metadata a context carries, so calls can share
// it. The last key's metadata is kept in *last, read without a lock; another
// key replaces it.
func (o *options) cachedMD(last *atomic.Pointer[keyMD], k keysource.Key) metadata.MD {
	if c := last.Load(); c != nil && c.key.Equal(k) {
		return c.md
	}
	c := &keyMD{key: k, md: o.newMD(k)}
	last.Store(c)
	return c.md
}

// keyMD is the outgoing metadata built for one key.
type keyMD struct {
	key keysource.Key
	md  metadata.MD
}

// credentialError is a local failure to find a usable credential. It carries
// a gRPC status (Unauthenticated, or Canceled/DeadlineExceeded when the
// call's own context is done) and unwraps to the keysource error, so both
// status.Code and errors.Is work on it. Its text comes from keysource
// errors, which never hold a secret.
type credentialError struct {
	err  error
	code codes.Code
}

// keyError wraps err, a failure to get the credential for a call on ctx. The
// code follows the call's context, not err: a Source's own timeout (a secret
// manager that did not answer within its RefreshTimeout) is a missing
// credential, not the caller's deadline.
func keyError(ctx context.Context, err error) error {
	code := codes.Unauthenticated
	if ctxErr := ctx.Err(); ctxErr != nil {
		code = status.FromContextError(ctxErr).Code()
	}
	return &credentialError{err: err, code: code}
}

func (e *credentialError) Error() string {
	return "clarifaiauth: no usable credential, call not sent: " + e.err.Error()
}

func (e *credentialError) Unwrap() error { return e.err }

// Local marks the error as the client's own, so scopes.FromError does not
// read it as the server rejecting the key.
func (e *credentialError) Local() bool { return true }

// GRPCStatus lets status.Code and status.FromError see the gRPC code.
func (e *credentialError) GRPCStatus() *status.Status { return status.New(e.code, e.Error()) }

// ctxStatus returns ctx's error as a gRPC status error.
func ctxStatus(ctx context.Context) error {
	return status.FromContextError(ctx.Err()).Err()
}
