package wire

// Metadata keys Clarifai reads on every call.
const (
	HeaderAuthorization = "authorization"                // "Key <key or PAT>"
	HeaderSessionToken  = "x-clarifai-session-token"     // a session token, bare
	HeaderRequestTag    = "x-clarifai-request-id-prefix" // prefix of the reply's req_id
)

// MethodMyScopes is the full name of the RPC that lists a credential's scopes.
const MethodMyScopes = "/clarifai.api.V2/MyScopes"

// Clarifai status codes this module acts on by number; scopes.Code names
// them all.
const (
	CodeSuccess            = 10000
	CodeConnThrottled      = 11005
	CodeInsufficientScopes = 11007
	CodeKeyNotFound        = 11009
	CodeAuthMethodDisabled = 11200
	CodeTokenInvalid       = 11001
	CodeKeyInvalid         = 11008
	CodeInvalidRequest     = 11102
	CodeModelBuilding      = 21107
	CodeUploadInProgress   = 68000
)
