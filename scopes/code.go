package scopes

import (
	"errors"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Code is a Clarifai status code: the value of field 1 of
// clarifai.api.status.Status (enum clarifai.api.status.StatusCode).
//
// Code is a plain number so that it can hold codes added to the API after
// this package was written; see [Code.String] for how those are named.
type Code int32

// Clarifai status codes. The names follow the Clarifai enum
// clarifai.api.status.StatusCode; [Code.String] returns the Clarifai spelling.
const (
	// CodeZero is the zero value: the reply carried no status at all.
	CodeZero Code = 0

	CodeSuccess                        Code = 10000 // SUCCESS
	CodeSuccessWarningAPIDeprecated    Code = 10001 // SUCCESS_WARNING_API_DEPRECATED
	CodeSuccessWarningClientDeprecated Code = 10002 // SUCCESS_WARNING_CLIENT_DEPRECATED
	CodeMixedStatus                    Code = 10010 // MIXED_STATUS: some items failed, the reply still holds results
	CodeFailure                        Code = 10020 // FAILURE
	CodeTryAgain                       Code = 10030 // TRY_AGAIN

	CodeConnAccountIssues      Code = 11000 // CONN_ACCOUNT_ISSUES
	CodeConnTokenInvalid       Code = 11001 // CONN_TOKEN_INVALID
	CodeConnCredentialsInvalid Code = 11002 // CONN_CREDENTIALS_INVALID
	CodeConnExceedHourlyLimit  Code = 11003 // CONN_EXCEED_HOURLY_LIMIT
	CodeConnExceedMonthlyLimit Code = 11004 // CONN_EXCEED_MONTHLY_LIMIT
	CodeConnThrottled          Code = 11005 // CONN_THROTTLED
	CodeConnExceedsLimits      Code = 11006 // CONN_EXCEEDS_LIMITS
	CodeConnInsufficientScopes Code = 11007 // CONN_INSUFFICIENT_SCOPES
	CodeConnKeyInvalid         Code = 11008 // CONN_KEY_INVALID
	CodeConnKeyNotFound        Code = 11009 // CONN_KEY_NOT_FOUND
	CodeConnBadRequestFormat   Code = 11100 // CONN_BAD_REQUEST_FORMAT
	CodeConnDoesNotExist       Code = 11101 // CONN_DOES_NOT_EXIST
	CodeConnInvalidRequest     Code = 11102 // CONN_INVALID_REQUEST
	CodeConnMethodNotAllowed   Code = 11103 // CONN_METHOD_NOT_ALLOWED
	CodeConnNoGDPRConsent      Code = 11104 // CONN_NO_GDPR_CONSENT
	CodeConnInvalidRange       Code = 11105 // CONN_INVALID_RANGE
	CodeConnAuthMethodDisabled Code = 11200 // CONN_AUTH_METHOD_DISABLED

	CodeBadRequest  Code = 90400 // BAD_REQUEST
	CodeServerError Code = 90500 // SERVER_ERROR

	CodeInternalServerIssue        Code = 98004 // INTERNAL_SERVER_ISSUE
	CodeInternalFetchingIssue      Code = 98005 // INTERNAL_FETCHING_ISSUE
	CodeInternalDatabaseIssue      Code = 98006 // INTERNAL_DATABASE_ISSUE
	CodeInternalUnexpectedTimeout  Code = 98009 // INTERNAL_UNEXPECTED_TIMEOUT
	CodeInternalUnexpectedV1       Code = 98010 // INTERNAL_UNEXPECTED_V1
	CodeInternalUnexpectedPanic    Code = 98011 // INTERNAL_UNEXPECTED_PANIC
	CodeInternalUnexpectedSpire    Code = 98012 // INTERNAL_UNEXPECTED_SPIRE
	CodeInternalRedisUnavailable   Code = 98013 // INTERNAL_REDIS_UNAVAILABLE
	CodeInternalResourceExhausted  Code = 98014 // INTERNAL_RESOURCE_EXHAUSTED
	CodeInternalRedisUncategorized Code = 98015 // INTERNAL_REDIS_UNCATEGORIZED
	CodeInternalAWSUncategorized   Code = 98016 // INTERNAL_AWS_UNCATEGORIZED
	CodeInternalAzureUncategorized Code = 98017 // INTERNAL_AZURE_UNCATEGORIZED
	CodeConnUncategorized          Code = 99001 // CONN_UNCATEGORIZED
	CodeModelUncategorized         Code = 99002 // MODEL_UNCATEGORIZED
	CodeInputUncategorized         Code = 99003 // INPUT_UNCATEGORIZED
	CodeAnnotationUncategorized    Code = 99004 // ANNOTATION_UNCATEGORIZED
	CodeBillingUncategorized       Code = 99005 // BILLING_UNCATEGORIZED
	CodeInternalUncategorized      Code = 99009 // INTERNAL_UNCATEGORIZED
)

var codeNames = map[Code]string{
	CodeZero:                           "ZERO",
	CodeSuccess:                        "SUCCESS",
	CodeSuccessWarningAPIDeprecated:    "SUCCESS_WARNING_API_DEPRECATED",
	CodeSuccessWarningClientDeprecated: "SUCCESS_WARNING_CLIENT_DEPRECATED",
	CodeMixedStatus:                    "MIXED_STATUS",
	CodeFailure:                        "FAILURE",
	CodeTryAgain:                       "TRY_AGAIN",
	CodeConnAccountIssues:              "CONN_ACCOUNT_ISSUES",
	CodeConnTokenInvalid:               "CONN_TOKEN_INVALID",
	CodeConnCredentialsInvalid:         "CONN_CREDENTIALS_INVALID",
	CodeConnExceedHourlyLimit:          "CONN_EXCEED_HOURLY_LIMIT",
	CodeConnExceedMonthlyLimit:         "CONN_EXCEED_MONTHLY_LIMIT",
	CodeConnThrottled:                  "CONN_THROTTLED",
	CodeConnExceedsLimits:              "CONN_EXCEEDS_LIMITS",
	CodeConnInsufficientScopes:         "CONN_INSUFFICIENT_SCOPES",
	CodeConnKeyInvalid:                 "CONN_KEY_INVALID",
	CodeConnKeyNotFound:                "CONN_KEY_NOT_FOUND",
	CodeConnBadRequestFormat:           "CONN_BAD_REQUEST_FORMAT",
	CodeConnDoesNotExist:               "CONN_DOES_NOT_EXIST",
	CodeConnInvalidRequest:             "CONN_INVALID_REQUEST",
	CodeConnMethodNotAllowed:           "CONN_METHOD_NOT_ALLOWED",
	CodeConnNoGDPRConsent:              "CONN_NO_GDPR_CONSENT",
	CodeConnInvalidRange:               "CONN_INVALID_RANGE",
	CodeConnAuthMethodDisabled:         "CONN_AUTH_METHOD_DISABLED",
	CodeBadRequest:                     "BAD_REQUEST",
	CodeServerError:                    "SERVER_ERROR",
	CodeInternalServerIssue:            "INTERNAL_SERVER_ISSUE",
	CodeInternalFetchingIssue:          "INTERNAL_FETCHING_ISSUE",
	CodeInternalDatabaseIssue:          "INTERNAL_DATABASE_ISSUE",
	CodeInternalUnexpectedTimeout:      "INTERNAL_UNEXPECTED_TIMEOUT",
	CodeInternalUnexpectedV1:           "INTERNAL_UNEXPECTED_V1",
	CodeInternalUnexpectedPanic:        "INTERNAL_UNEXPECTED_PANIC",
	CodeInternalUnexpectedSpire:        "INTERNAL_UNEXPECTED_SPIRE",
	CodeInternalRedisUnavailable:       "INTERNAL_REDIS_UNAVAILABLE",
	CodeInternalResourceExhausted:      "INTERNAL_RESOURCE_EXHAUSTED",
	CodeInternalRedisUncategorized:     "INTERNAL_REDIS_UNCATEGORIZED",
	CodeInternalAWSUncategorized:       "INTERNAL_AWS_UNCATEGORIZED",
	CodeInternalAzureUncategorized:     "INTERNAL_AZURE_UNCATEGORIZED",
	CodeConnUncategorized:              "CONN_UNCATEGORIZED",
	CodeModelUncategorized:             "MODEL_UNCATEGORIZED",
	CodeInputUncategorized:             "INPUT_UNCATEGORIZED",
	CodeAnnotationUncategorized:        "ANNOTATION_UNCATEGORIZED",
	CodeBillingUncategorized:           "BILLING_UNCATEGORIZED",
	CodeInternalUncategorized:          "INTERNAL_UNCATEGORIZED",
}

// statusCodeEnum is the full name of the Clarifai status enum, consulted for
// names this package does not know when the program links Clarifai's
// descriptors (the official client, or test fixtures).
const statusCodeEnum protoreflect.FullName = "clarifai.api.status.StatusCode"

// String returns the Clarifai name of c, such as "CONN_INSUFFICIENT_SCOPES".
// For a number this package does not list, it asks the enum
// clarifai.api.status.StatusCode in protoregistry.GlobalFiles (present when
// the official Clarifai client is linked) and otherwise returns "CODE_<n>".
// It is safe for concurrent use.
func (c Code) String() string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(statusCodeEnum); err == nil {
		if ed, ok := d.(protoreflect.EnumDescriptor); ok {
			if v := ed.Values().ByNumber(protoreflect.EnumNumber(c)); v != nil {
				return string(v.Name())
			}
		}
	}
	return "CODE_" + strconv.FormatInt(int64(c), 10)
}

// Failed reports whether c means the call did not do what was asked.
// SUCCESS, the two SUCCESS_WARNING codes and MIXED_STATUS (some items failed
// but the reply holds results the caller must inspect) are not failures;
// every other code is, including 0 (the reply carried no status) and codes
// this package does not know.
func (c Code) Failed() bool {
	switch c {
	case CodeSuccess, CodeSuccessWarningAPIDeprecated, CodeSuccessWarningClientDeprecated, CodeMixedStatus:
		return false
	}
	return true
}

// isInternal reports whether c is one of the server-side internal codes
// (SERVER_ERROR and the 98xxx/99xxx families).
func (c Code) isInternal() bool {
	return c == CodeServerError || (c >= 98000 && c <= 99999)
}

// GRPCCode returns the gRPC code that best describes c; the full table is in
// the package documentation. Codes that are not failures map to codes.OK,
// and codes this package does not know map to codes.Unknown.
func (c Code) GRPCCode() codes.Code {
	switch c {
	case CodeSuccess, CodeSuccessWarningAPIDeprecated, CodeSuccessWarningClientDeprecated, CodeMixedStatus:
		return codes.OK
	case CodeZero, CodeFailure:
		return codes.Unknown
	case CodeTryAgain:
		return codes.Unavailable
	case CodeConnTokenInvalid, CodeConnCredentialsInvalid, CodeConnKeyInvalid, CodeConnKeyNotFound,
		CodeConnAuthMethodDisabled:
		return codes.Unauthenticated
	case CodeConnAccountIssues, CodeConnInsufficientScopes:
		return codes.PermissionDenied
	case CodeConnExceedHourlyLimit, CodeConnExceedMonthlyLimit, CodeConnThrottled, CodeConnExceedsLimits:
		return codes.ResourceExhausted
	case CodeConnBadRequestFormat, CodeConnInvalidRequest, CodeConnInvalidRange, CodeBadRequest:
		return codes.InvalidArgument
	case CodeConnDoesNotExist:
		return codes.NotFound
	case CodeConnMethodNotAllowed:
		return codes.Unimplemented
	case CodeConnNoGDPRConsent:
		return codes.FailedPrecondition
	}
	if c.isInternal() {
		return codes.Internal
	}
	return codes.Unknown
}

// Sentinel errors matched by [Error.Is], for use with errors.Is. Each names a
// family of Clarifai codes; an *Error matches at most one of them.
var (
	// ErrMissingStatus matches code 0: the reply carried no status.
	ErrMissingStatus = errors.New("clarifai: reply carries no status")
	// ErrFailure matches FAILURE (10020), Clarifai's generic failure.
	ErrFailure = errors.New("clarifai: failure")
	// ErrTryAgain matches TRY_AGAIN (10030): the request may succeed if retried.
	ErrTryAgain = errors.New("clarifai: try again")
	// ErrAccountIssues matches CONN_ACCOUNT_ISSUES (11000): an account or plan problem.
	ErrAccountIssues = errors.New("clarifai: account or plan issue")
	// ErrKeyInvalid matches CONN_TOKEN_INVALID (11001),
	// CONN_CREDENTIALS_INVALID (11002) and CONN_KEY_INVALID (11008).
	ErrKeyInvalid = errors.New("clarifai: key or credentials invalid")
	// ErrThrottled matches the throttling and limit codes 11003 to 11006.
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
	// code from 98000 to 99999.
	ErrInternal = errors.New("clarifai: internal server error")
)

// sentinel returns the sentinel error of c's family, or nil.
func (c Code) sentinel() error {
	switch c {
	case CodeZero:
		return ErrMissingStatus
	case CodeFailure:
		return ErrFailure
	case CodeTryAgain:
		return ErrTryAgain
	case CodeConnAccountIssues:
		return ErrAccountIssues
	case CodeConnTokenInvalid, CodeConnCredentialsInvalid, CodeConnKeyInvalid:
		return ErrKeyInvalid
	case CodeConnExceedHourlyLimit, CodeConnExceedMonthlyLimit, CodeConnThrottled, CodeConnExceedsLimits:
		return ErrThrottled
	case CodeConnInsufficientScopes:
		return ErrInsufficientScopes
	case CodeConnKeyNotFound:
		return ErrKeyNotFound
	case CodeConnBadRequestFormat, CodeConnInvalidRange, CodeBadRequest:
		return ErrBadRequest
	case CodeConnDoesNotExist:
		return ErrNotFound
	case CodeConnInvalidRequest:
		return ErrInvalidRequest
	case CodeConnMethodNotAllowed:
		return ErrMethodNotAllowed
	case CodeConnNoGDPRConsent:
		return ErrNoGDPRConsent
	case CodeConnAuthMethodDisabled:
		return ErrAuthMethodDisabled
	}
	if c.isInternal() {
		return ErrInternal
	}
	return nil
}
