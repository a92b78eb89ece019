package scopes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeTable lists every code of the facts file with what the package must
// say about it.
var codeTable = []struct {
	code     Code
	name     string
	failed   bool
	grpc     codes.Code
	sentinel error
}{
	{0, "ZERO", true, codes.Unknown, ErrMissingStatus},
	{10000, "SUCCESS", false, codes.OK, nil},
	{10001, "SUCCESS_WARNING_API_DEPRECATED", false, codes.OK, nil},
	{10002, "SUCCESS_WARNING_CLIENT_DEPRECATED", false, codes.OK, nil},
	{10010, "MIXED_STATUS", false, codes.OK, nil},
	{10020, "FAILURE", true, codes.Unknown, ErrFailure},
	{10030, "TRY_AGAIN", true, codes.Unavailable, ErrTryAgain},
	{11000, "CONN_ACCOUNT_ISSUES", true, codes.PermissionDenied, ErrAccountIssues},
	{11001, "CONN_TOKEN_INVALID", true, codes.Unauthenticated, ErrKeyInvalid},
	{11002, "CONN_CREDENTIALS_INVALID", true, codes.Unauthenticated, ErrKeyInvalid},
	{11003, "CONN_EXCEED_HOURLY_LIMIT", true, codes.ResourceExhausted, ErrThrottled},
	{11004, "CONN_EXCEED_MONTHLY_LIMIT", true, codes.ResourceExhausted, ErrThrottled},
	{11005, "CONN_THROTTLED", true, codes.ResourceExhausted, ErrThrottled},
	{11006, "CONN_EXCEEDS_LIMITS", true, codes.ResourceExhausted, ErrThrottled},
	{11007, "CONN_INSUFFICIENT_SCOPES", true, codes.PermissionDenied, ErrInsufficientScopes},
	{11008, "CONN_KEY_INVALID", true, codes.Unauthenticated, ErrKeyInvalid},
	{11009, "CONN_KEY_NOT_FOUND", true, codes.Unauthenticated, ErrKeyNotFound},
	{11100, "CONN_BAD_REQUEST_FORMAT", true, codes.InvalidArgument, ErrBadRequest},
	{11101, "CONN_DOES_NOT_EXIST", true, codes.NotFound, ErrNotFound},
	{11102, "CONN_INVALID_REQUEST", true, codes.InvalidArgument, ErrInvalidRequest},
	{11103, "CONN_METHOD_NOT_ALLOWED", true, codes.Unimplemented, ErrMethodNotAllowed},
	{11104, "CONN_NO_GDPR_CONSENT", true, codes.FailedPrecondition, ErrNoGDPRConsent},
	{11105, "CONN_INVALID_RANGE", true, codes.InvalidArgument, ErrBadRequest},
	{11200, "CONN_AUTH_METHOD_DISABLED", true, codes.Unauthenticated, ErrAuthMethodDisabled},
	{90400, "BAD_REQUEST", true, codes.InvalidArgument, ErrBadRequest},
	{90500, "SERVER_ERROR", true, codes.Internal, ErrInternal},
	{98004, "INTERNAL_SERVER_ISSUE", true, codes.Internal, ErrInternal},
	{98005, "INTERNAL_FETCHING_ISSUE", true, codes.Internal, ErrInternal},
	{98006, "INTERNAL_DATABASE_ISSUE", true, codes.Internal, ErrInternal},
	{98009, "INTERNAL_UNEXPECTED_TIMEOUT", true, codes.Internal, ErrInternal},
	{98010, "INTERNAL_UNEXPECTED_V1", true, codes.Internal, ErrInternal},
	{98011, "INTERNAL_UNEXPECTED_PANIC", true, codes.Internal, ErrInternal},
	{98012, "INTERNAL_UNEXPECTED_SPIRE", true, codes.Internal, ErrInternal},
	{98013, "INTERNAL_REDIS_UNAVAILABLE", true, codes.Internal, ErrInternal},
	{98014, "INTERNAL_RESOURCE_EXHAUSTED", true, codes.Internal, ErrInternal},
	{98015, "INTERNAL_REDIS_UNCATEGORIZED", true, codes.Internal, ErrInternal},
	{98016, "INTERNAL_AWS_UNCATEGORIZED", true, codes.Internal, ErrInternal},
	{98017, "INTERNAL_AZURE_UNCATEGORIZED", true, codes.Internal, ErrInternal},
	{98021, "", true, codes.Internal, ErrInternal}, // in the facts' range, name not published
	{99001, "CONN_UNCATEGORIZED", true, codes.Internal, ErrInternal},
	{99009, "INTERNAL_UNCATEGORIZED", true, codes.Internal, ErrInternal},
	{12345, "CODE_12345", true, codes.Unknown, nil},
	{-7, "CODE_-7", true, codes.Unknown, nil},
}

var allSentinels = []error{
	ErrMissingStatus, ErrFailure, ErrTryAgain, ErrAccountIssues, ErrKeyInvalid, ErrThrottled,
	ErrInsufficientScopes, ErrKeyNotFound, ErrBadRequest, ErrNotFound, ErrInvalidRequest,
	ErrMethodNotAllowed, ErrNoGDPRConsent, ErrAuthMethodDisabled, ErrInternal,
}

func TestCodeTable(t *testing.T) {
	const method = "/clarifai.api.V2/PostInputs"
	for _, tc := range codeTable {
		t.Run(fmt.Sprint(int32(tc.code)), func(t *testing.T) {
			if tc.name != "" {
				if got := tc.code.String(); got != tc.name {
					t.Errorf("String() = %q, want %q", got, tc.name)
				}
			} else if got := tc.code.String(); got == "" {
				t.Errorf("String() is empty")
			}
			if got := tc.code.Failed(); got != tc.failed {
				t.Errorf("Failed() = %v, want %v", got, tc.failed)
			}
			if got := tc.code.GRPCCode(); got != tc.grpc {
				t.Errorf("GRPCCode() = %v, want %v", got, tc.grpc)
			}

			e := &Error{Method: method, Code: tc.code, Description: "desc", ReqID: "req-42"}
			for _, s := range allSentinels {
				if got, want := errors.Is(e, s), s == tc.sentinel; got != want {
					t.Errorf("errors.Is(e, %v) = %v, want %v", s, got, want)
				}
			}
			msg := e.Error()
			for _, want := range []string{method, tc.code.String(), fmt.Sprint(int32(tc.code)), "req-42", "desc"} {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q, missing %q", msg, want)
				}
			}
			wantGRPC := tc.grpc
			if wantGRPC == codes.OK {
				wantGRPC = codes.Unknown
			}
			wrapped := fmt.Errorf("calling: %w", e)
			if got := status.Code(e); got != wantGRPC {
				t.Errorf("status.Code(e) = %v, want %v", got, wantGRPC)
			}
			if got := status.Code(wrapped); got != wantGRPC {
				t.Errorf("status.Code(wrapped) = %v, want %v", got, wantGRPC)
			}
			if st, ok := status.FromError(wrapped); !ok || st.Code() != wantGRPC {
				t.Errorf("status.FromError(wrapped) = %v, %v", st, ok)
			}
			if tc.sentinel != nil && !errors.Is(wrapped, tc.sentinel) {
				t.Errorf("errors.Is(wrapped, %v) = false", tc.sentinel)
			}
			var got *Error
			if !errors.As(wrapped, &got) || got != e {
				t.Errorf("errors.As(wrapped) did not find the *Error")
			}
		})
	}
}

func TestAuthTypeString(t *testing.T) {
	for a, want := range map[AuthType]string{
		AuthTypeUndef: "undef", NoAuth: "NoAuth", KeyAuth: "KeyAuth", SessionTokenAuth: "SessionTokenAuth",
		AdminAuth: "AdminAuth", PATAuth: "PATAuth", 9: "AuthType(9)",
	} {
		if got := a.String(); got != want {
			t.Errorf("AuthType(%d).String() = %q, want %q", int32(a), got, want)
		}
	}
}
