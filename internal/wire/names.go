package wire

// Metadata keys Clarifai reads on every call.
const (
	HeaderAuthorization = "authorization"                // "Key <key or PAT>"
	HeaderSessionToken  = "x-clarifai-session-token"     // a session token, bare
	HeaderRequestTag    = "x-clarifai-request-id-prefix" // prefix of the reply's req_id
)

// ServiceV2 prefixes the full name of every method of Clarifai's API;
// a bare method name ("PostInputs") belongs to it.
const ServiceV2 = "/clarifai.api.V2/"

// MethodMyScopes is the full name of the RPC that lists a credential's scopes.
const MethodMyScopes = ServiceV2 + "MyScopes"

// StatusTypeName is the full name of Clarifai's status message, the type of
// a reply's field "status" and of the status Clarifai packs in gRPC error
// details.
const StatusTypeName = "clarifai.api.status.Status"

// Clarifai status codes this module acts on by number: the one declaration
// of each. scopes.Code names every code of the enum (a table generated from
// scopes/testdata/clarifai-status-codes.tsv) but declares none.
const (
	CodeSuccess              = 10000 // SUCCESS
	CodeTryAgain             = 10030 // TRY_AGAIN
	CodeAccountIssues        = 11000 // CONN_ACCOUNT_ISSUES
	CodeTokenInvalid         = 11001 // CONN_TOKEN_INVALID (deprecated)
	CodeCredentialsInvalid   = 11002 // CONN_CREDENTIALS_INVALID
	CodeExceedHourlyLimit    = 11003 // CONN_EXCEED_HOURLY_LIMIT
	CodeExceedMonthlyLimit   = 11004 // CONN_EXCEED_MONTHLY_LIMIT
	CodeConnThrottled        = 11005 // CONN_THROTTLED
	CodeExceedsLimits        = 11006 // CONN_EXCEEDS_LIMITS
	CodeInsufficientScopes   = 11007 // CONN_INSUFFICIENT_SCOPES
	CodeKeyInvalid           = 11008 // CONN_KEY_INVALID
	CodeKeyNotFound          = 11009 // CONN_KEY_NOT_FOUND
	CodeInvalidRequest       = 11102 // CONN_INVALID_REQUEST
	CodeAuthMethodDisabled   = 11200 // CONN_AUTH_METHOD_DISABLED
	CodeModelBuilding        = 21107 // MODEL_BUILDING
	CodeModelBusyPleaseRetry = 21354 // MODEL_BUSY_PLEASE_RETRY
	CodeRunnerNeedsRetry     = 25604 // RUNNER_NEEDS_RETRY
	CodeRPCRequestQueueFull  = 40030 // RPC_REQUEST_QUEUE_FULL
	CodeRPCServerUnavailable = 40031 // RPC_SERVER_UNAVAILABLE
	CodeUploadInProgress     = 68000 // UPLOAD_IN_PROGRESS
	CodeServerError          = 90500 // SERVER_ERROR
)

// IsConnCode reports whether code is about the connection or the credential
// (CONN_*, 11000 to 11999: key, scopes, limits, throttling), not the request.
func IsConnCode(code int32) bool { return code >= 11000 && code < 12000 }
