package interceptor

import (
	"errors"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// invalidator returns src's keysource.Invalidator, or nil.
func invalidator(src keysource.Source) keysource.Invalidator {
	inv, _ := src.(keysource.Invalidator)
	return inv
}

// invalidate tells inv that the server rejected k, when err says so and k
// came from the Source (fromSource): an override was chosen by the caller,
// and the Source may well hold a good key. It costs nothing unless err is
// non-nil.
func invalidate(inv keysource.Invalidator, fromSource bool, k keysource.Key, err error) {
	if inv != nil && fromSource && err != nil && rejectsKey(err) {
		inv.Invalidate(k)
	}
}

// rejectsKey reports whether err is the server's rejection of the key it
// was sent: an in-band CONN_TOKEN_INVALID (11001), CONN_CREDENTIALS_INVALID
// (11002), CONN_KEY_INVALID (11008) or CONN_KEY_NOT_FOUND (11009), or a gRPC
// Unauthenticated error that is not the client's own (an error saying of
// itself Local() true, as a refusal before sending does).
func rejectsKey(err error) bool {
	var se *scopes.Error
	if errors.As(err, &se) && se != nil {
		if se.Local {
			return false
		}
		switch se.Code {
		case 11001, 11002, 11008, 11009:
			return true
		}
		if se.Status == nil {
			return false // another in-band code
		}
	}
	var local interface{ Local() bool }
	if errors.As(err, &local) && local.Local() {
		return false
	}
	return status.Code(err) == codes.Unauthenticated
}
