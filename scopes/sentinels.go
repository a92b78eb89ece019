package scopes

import "errors"

// Sentinel errors matched by [Error.Is], for use with errors.Is. Each names a
// family of Clarifai codes; an *Error matches at most one of them. Codes
// outside these families match none: ask e.Code.GRPCCode() or e.Code.Class().
var (
	// ErrMissingStatus matches code 0: the reply carried no status.
	ErrMissingStatus = errors.New("clarifai: reply carries no status")
	// ErrFailure matches FAILURE (10020), Clarifai's generic failure.
	ErrFailure = errors.New("clarifai: failure")
	// ErrTryAgain matches TRY_AGAIN (10030): the request may succeed if
	// retried. [Retriable] knows the other codes that ask for a retry.
	ErrTryAgain = errors.New("clarifai: try again")
	// ErrAccountIssues matches CONN_ACCOUNT_ISSUES (11000): an account or plan problem.
	ErrAccountIssues = errors.New("clarifai: account or plan issue")
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
	// ErrBadRequest matches malformed requests: CONN_BAD_REQUEST_FORMAT
	// (11100), CONN_INVALID_RANGE (11105) and BAD_REQUEST (90400).
	ErrBadRequest = errors.New("clarifai: bad request")
	// ErrNotFound matches CONN_DOES_NOT_EXIST (11101).
	ErrNotFound = errors.New("clarifai: does not exist")
	// ErrInvalidRequest matches CONN_INVALID_REQUEST (11102), which is also
	// what a request without any key may get.
	ErrInvalidRequest = errors.New("clarifai: invalid request")
	// ErrMethodNotAllowed matches CONN_METHOD_NOT_ALLOWED (11103).
	ErrMethodNotAllowed = errors.New("clarifai: method not allowed")
	// ErrNoGDPRConsent matches CONN_NO_GDPR_CONSENT (11104).
	ErrNoGDPRConsent = errors.New("clarifai: no GDPR consent")
	// ErrAuthMethodDisabled matches CONN_AUTH_METHOD_DISABLED (11200).
	ErrAuthMethodDisabled = errors.New("clarifai: authentication method disabled")
	// ErrInternal matches server-side errors: SERVER_ERROR (90500) and every
	// code from 98000 to 99999 (INTERNAL_* and *_UNCATEGORIZED).
	ErrInternal = errors.New("clarifai: internal server error")
)

// sentinel returns the sentinel error of c's family, or nil.
func (c Code) sentinel() error {
	switch c {
	case codeZero:
		return ErrMissingStatus
	case codeFailure:
		return ErrFailure
	case codeTryAgain:
		return ErrTryAgain
	case codeConnAccountIssues:
		return ErrAccountIssues
	case codeConnTokenInvalid, codeConnCredentialsInvalid, codeConnKeyInvalid:
		return ErrKeyInvalid
	case codeConnExceedHourlyLimit, codeConnExceedMonthlyLimit, codeConnThrottled, codeConnExceedsLimits:
		return ErrThrottled
	case codeConnInsufficientScopes:
		return ErrInsufficientScopes
	case codeConnKeyNotFound:
		return ErrKeyNotFound
	case codeConnBadRequestFormat, codeConnInvalidRange, codeBadRequest:
		return ErrBadRequest
	case codeConnDoesNotExist:
		return ErrNotFound
	case codeConnInvalidRequest:
		return ErrInvalidRequest
	case codeConnMethodNotAllowed:
		return ErrMethodNotAllowed
	case codeConnNoGdprConsent:
		return ErrNoGDPRConsent
	case codeConnAuthMethodDisabled:
		return ErrAuthMethodDisabled
	}
	if c == codeServerError || (c >= 98000 && c <= 99999) {
		return ErrInternal
	}
	return nil
}
