// Package scopes turns Clarifai statuses into typed, scope-aware Go errors
// and tells what each Clarifai method needs from the caller's key.
//
// Most Clarifai failures are not gRPC errors: the call succeeds at the gRPC
// level and the reply's field "status" (clarifai.api.status.Status) carries
// a Clarifai code. [CheckReply] reads that status by protobuf reflection, on
// any generated or dynamic message, and turns a failure into an [*Error]
// that works with errors.Is (sentinels such as [ErrInsufficientScopes]),
// errors.As and status.Code. [FromError] does the same for gRPC
// Unauthenticated and PermissionDenied errors.
//
// [Required] and [Catalog] read the scopes (option 80322) and auth type
// (option 80323) Clarifai annotates each method with, from the descriptors
// linked into the program. [MyScopes] asks the server what a key may do, and
// [Preflight] uses both to refuse, before sending, a call the key cannot make.
//
// The package never imports Clarifai's Go client and never registers a
// protobuf type under a clarifai.* name: it reads Clarifai messages by full
// name and field number, so it works with whatever version a program links,
// or with none.
//
// # gRPC codes
//
// [Code.GRPCCode], and so status.Code on an *Error, maps Clarifai codes to
// gRPC codes as follows. Errors built by [FromError] keep the code of the
// original gRPC status.
//
//	Clarifai code                                    gRPC code           sentinel
//	0      (no status in the reply)                  Unknown             ErrMissingStatus
//	10000  SUCCESS                                   OK                  -
//	10001  SUCCESS_WARNING_API_DEPRECATED            OK                  -
//	10002  SUCCESS_WARNING_CLIENT_DEPRECATED         OK                  -
//	10010  MIXED_STATUS                              OK                  -
//	10020  FAILURE                                   Unknown             ErrFailure
//	10030  TRY_AGAIN                                 Unavailable         ErrTryAgain
//	11000  CONN_ACCOUNT_ISSUES                       PermissionDenied    ErrAccountIssues
//	11001  CONN_TOKEN_INVALID                        Unauthenticated     ErrKeyInvalid
//	11002  CONN_CREDENTIALS_INVALID                  Unauthenticated     ErrKeyInvalid
//	11003  CONN_EXCEED_HOURLY_LIMIT                  ResourceExhausted   ErrThrottled
//	11004  CONN_EXCEED_MONTHLY_LIMIT                 ResourceExhausted   ErrThrottled
//	11005  CONN_THROTTLED                            ResourceExhausted   ErrThrottled
//	11006  CONN_EXCEEDS_LIMITS                       ResourceExhausted   ErrThrottled
//	11007  CONN_INSUFFICIENT_SCOPES                  PermissionDenied    ErrInsufficientScopes
//	11008  CONN_KEY_INVALID                          Unauthenticated     ErrKeyInvalid
//	11009  CONN_KEY_NOT_FOUND                        Unauthenticated     ErrKeyNotFound
//	11100  CONN_BAD_REQUEST_FORMAT                   InvalidArgument     ErrBadRequest
//	11101  CONN_DOES_NOT_EXIST                       NotFound            ErrNotFound
//	11102  CONN_INVALID_REQUEST                      InvalidArgument     ErrInvalidRequest
//	11103  CONN_METHOD_NOT_ALLOWED                   Unimplemented       ErrMethodNotAllowed
//	11104  CONN_NO_GDPR_CONSENT                      FailedPrecondition  ErrNoGDPRConsent
//	11105  CONN_INVALID_RANGE                        InvalidArgument     ErrBadRequest
//	11200  CONN_AUTH_METHOD_DISABLED                 Unauthenticated     ErrAuthMethodDisabled
//	90400  BAD_REQUEST                               InvalidArgument     ErrBadRequest
//	90500  SERVER_ERROR                              Internal            ErrInternal
//	98000-99999 (INTERNAL_*, *_UNCATEGORIZED)        Internal            ErrInternal
//	any other code                                   Unknown             -
//
// CONN_ACCOUNT_ISSUES maps to PermissionDenied rather than Unauthenticated:
// the key was recognised, but the account or plan does not permit the call,
// and trying another credential source will not help. An *Error's
// GRPCStatus never reports OK: if a caller's failure predicate treats a
// non-failure code (such as MIXED_STATUS) as a failure, the status is Unknown.
//
// # Cost
//
// CheckReply is meant to run on every reply and stream message: after the
// first message of a type, a reply that is not a failure costs a lock-free
// map lookup and a field read, and allocates nothing. Requirements are
// computed once per method and cached.
package scopes
