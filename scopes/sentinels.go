package scopes

import (
	"errors"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Sentinel errors matched by [Error.Is], for use with errors.Is. Each names a
// family of Clarifai codes that callers commonly act on; an *Error matches at
// most one of them. Other codes match none: compare e.Code, or ask
// status.Code(err).
var (
	// ErrTryAgain matches TRY_AGAIN (10030): the request may succeed if
	// retried. [Retriable] knows the other codes that ask for a retry.
	ErrTryAgain = errors.New("clarifai: try again")
	// ErrKeyInvalid matches CONN_TOKEN_INVALID (11001),
	// CONN_CREDENTIALS_INVALID (11002) and CONN_KEY_INVALID (11008).
	ErrKeyInvalid = errors.New("clarifai: key or credentials invalid")
	// ErrThrottled matches the throttling and limit codes 11003 to 11006.
	// Only some of them clear by waiting: see [Retriable].
	ErrThrottled = errors.New("clarifai: throttled or over limits")
	// ErrInsufficientScopes matches CONN_INSUFFICIENT_SCOPES (11007): the key
	// lacks scopes the method needs.
	ErrInsufficientScopes = errors.New("clarifai: key has insufficient scopes")
	// ErrKeyNotFound matches CONN_KEY_NOT_FOUND (11009).
	ErrKeyNotFound = errors.New("clarifai: key not found")
	// ErrAuthMethodDisabled matches CONN_AUTH_METHOD_DISABLED (11200): the
	// method does not accept this kind of credential.
	ErrAuthMethodDisabled = errors.New("clarifai: authentication method disabled")
	// ErrInternal matches server-side errors: SERVER_ERROR (90500) and every
	// code from 98000 to 99999 (INTERNAL_* and *_UNCATEGORIZED).
	ErrInternal = errors.New("clarifai: internal server error")
)

// sentinel returns the sentinel error of c's family, or nil.
func (c Code) sentinel() error {
	switch c {
	case wire.CodeTryAgain:
		return ErrTryAgain
	case wire.CodeTokenInvalid, wire.CodeCredentialsInvalid, wire.CodeKeyInvalid:
		return ErrKeyInvalid
	case wire.CodeExceedHourlyLimit, wire.CodeExceedMonthlyLimit, wire.CodeConnThrottled, wire.CodeExceedsLimits:
		return ErrThrottled
	case wire.CodeInsufficientScopes:
		return ErrInsufficientScopes
	case wire.CodeKeyNotFound:
		return ErrKeyNotFound
	case wire.CodeAuthMethodDisabled:
		return ErrAuthMethodDisabled
	}
	if c == wire.CodeServerError || (c >= 98000 && c <= 99999) {
		return ErrInternal
	}
	return nil
}
