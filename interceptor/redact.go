package interceptor

import (
	"errors"
	"io"

	"github.com/grpc-keyauth/clarifaiauth/internal/redact"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// sourceInvalidator is a Source that can fetch a fresh key (see
// keysource.Source).
type sourceInvalidator interface{ Invalidate(keysource.Key) }

// invalidator returns src as a sourceInvalidator, or nil.
func invalidator(src keysource.Source) sourceInvalidator {
	inv, _ := src.(sourceInvalidator)
	return inv
}

// invalidate tells the Source that the server rejected c's key, when err
// says so, the key came from the Source (an override was chosen by the
// caller, and the Source may well hold a good key) and the Source has an
// Invalidate method. It costs nothing unless err is non-nil.
func (o *options) invalidate(err error, c *call) {
	if o.inv != nil && c.fromSource && err != nil && rejectsKey(err) {
		o.inv.Invalidate(c.k)
	}
}

// fail turns err, from gRPC or the server, into what the caller gets: it
// tells the Source of a rejected key and scrubs the key from the text. nil
// and io.EOF pass unchanged.
func (o *options) fail(err error, c *call) error {
	if err == nil || err == io.EOF {
		return err
	}
	o.invalidate(err, c)
	return redact.Error(err, c.k)
}

// rejectsKey reports whether err is the server's rejection of the key it
// was sent: CONN_TOKEN_INVALID (11001), CONN_CREDENTIALS_INVALID (11002),
// CONN_KEY_INVALID (11008) or CONN_KEY_NOT_FOUND (11009), in-band or as
// scopes.FromError reads a gRPC Unauthenticated error. Errors the client
// made itself are not (see scopes.FromError).
func rejectsKey(err error) bool {
	se, ok := scopes.FromError(err)
	if !ok || se.Local {
		return false
	}
	return errors.Is(se, scopes.ErrKeyInvalid) || errors.Is(se, scopes.ErrKeyNotFound)
}
