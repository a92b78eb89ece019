package interceptor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// resolve finds the credential for one call, in order of precedence:
// CallKey, then keysource.WithKey on ctx, then an authorization (or session
// token) header the caller already put in the outgoing metadata, then src.
// handWritten reports the third case: the header is already on ctx and k is
// the parsed copy of it.
func resolve(ctx context.Context, src keysource.Source, callOpts []grpc.CallOption) (k keysource.Key, override, handWritten bool, err error) {
	for i := len(callOpts) - 1; i >= 0; i-- {
		if ck, ok := callOpts[i].(callKey); ok {
			if ck.err == nil && ck.key.IsZero() {
				ck.err = fmt.Errorf("%w: CallKeyValue given the zero Key", keysource.ErrNoKey)
			}
			return ck.key, true, false, ck.err
		}
	}
	if k, ok, err := keysource.FromContext(ctx); ok {
		return k, true, false, err
	}
	if k, ok, err := fromOutgoing(ctx); ok {
		return k, false, true, err
	}
	if src == nil {
		return keysource.Key{}, false, false, fmt.Errorf("%w: no Source configured", keysource.ErrNoKey)
	}
	k, err = src.Key(ctx)
	if err == nil && k.IsZero() {
		err = fmt.Errorf("%w: source returned the zero Key", keysource.ErrNoKey)
	}
	return k, false, false, err
}

// fromOutgoing reads a credential the caller wrote into the outgoing
// metadata by hand. It does not allocate when there is none.
func fromOutgoing(ctx context.Context) (keysource.Key, bool, error) {
	auth := metadata.ValueFromOutgoingContext(ctx, keysource.AuthorizationHeader)
	tok := metadata.ValueFromOutgoingContext(ctx, keysource.SessionTokenHeader)
	switch {
	case len(auth) == 0 && len(tok) == 0:
		return keysource.Key{}, false, nil
	case len(auth)+len(tok) > 1:
		return keysource.Key{}, true, fmt.Errorf("%w: the outgoing metadata holds %d credential values; send exactly one", keysource.ErrInvalidKey, len(auth)+len(tok))
	case len(tok) == 1:
		k, err := keysource.NewKey(keysource.KindSessionToken, tok[0])
		return k, true, err
	}
	secret, ok := strings.CutPrefix(auth[0], "Key ")
	if !ok {
		return keysource.Key{}, true, fmt.Errorf("%w: the authorization header must read \"Key <secret>\"", keysource.ErrInvalidKey)
	}
	k, err := keysource.NewKey(keysource.KindAPIKey, secret)
	return k, true, err
}

// attach resolves the call's credential and returns ctx with exactly one
// credential header on it. The common case, a key from the Source or an
// override on a context without hand-written credentials, costs what
// metadata.AppendToOutgoingContext costs and nothing more.
func (o *options) attach(ctx context.Context, src keysource.Source, callOpts []grpc.CallOption) (context.Context, keysource.Key, error) {
	k, override, handWritten, err := resolve(ctx, src, callOpts)
	if err != nil {
		return ctx, keysource.Key{}, keyError(err)
	}
	switch {
	case handWritten:
		if o.tag != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, RequestIDPrefixHeader, o.tag)
		}
		return ctx, k, nil
	case override && hasCredentialHeader(ctx):
		// An override replaces what the caller wrote by hand, so that
		// exactly one credential goes out.
		md, _ := metadata.FromOutgoingContext(ctx)
		md.Delete(keysource.AuthorizationHeader)
		md.Delete(keysource.SessionTokenHeader)
		md.Set(k.HeaderName(), k.HeaderValue())
		if o.tag != "" {
			md.Set(RequestIDPrefixHeader, o.tag)
		}
		return metadata.NewOutgoingContext(ctx, md), k, nil
	case o.tag != "":
		return metadata.AppendToOutgoingContext(ctx, k.HeaderName(), k.HeaderValue(), RequestIDPrefixHeader, o.tag), k, nil
	}
	return metadata.AppendToOutgoingContext(ctx, k.HeaderName(), k.HeaderValue()), k, nil
}

func hasCredentialHeader(ctx context.Context) bool {
	return len(metadata.ValueFromOutgoingContext(ctx, keysource.AuthorizationHeader)) > 0 ||
		len(metadata.ValueFromOutgoingContext(ctx, keysource.SessionTokenHeader)) > 0
}

// credentialError is a local failure to find a usable credential. It carries
// a gRPC status (Unauthenticated, or Canceled/DeadlineExceeded when the
// Source gave up with the call's context) and unwraps to the keysource
// error, so both status.Code and errors.Is work on it. Its text comes from
// keysource errors, which never hold a secret.
type credentialError struct {
	err  error
	code codes.Code
}

func keyError(err error) error {
	code := codes.Unauthenticated
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return &credentialError{err: err, code: code}
}

func (e *credentialError) Error() string {
	return "clarifaiauth: no usable credential, call not sent: " + e.err.Error()
}

func (e *credentialError) Unwrap() error { return e.err }

// GRPCStatus lets status.Code and status.FromError see the gRPC code.
func (e *credentialError) GRPCStatus() *status.Status { return status.New(e.code, e.Error()) }

// fingerprint identifies k to caches without holding its secret.
func fingerprint(k keysource.Key) string {
	sum := sha256.Sum256([]byte(k.HeaderName() + "\x00" + k.Secret()))
	return hex.EncodeToString(sum[:12])
}
