package scopes

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
)

func TestErrorText(t *testing.T) {
	tests := []struct {
		desc string
		err  *Error
		want []string // substrings
		not  []string
	}{
		{"nil receiver", nil, []string{"<nil>"}, nil},
		{"zero value", &Error{}, []string{"ZERO (0)"}, nil},
		{"full", &Error{
			Method: postInputs, Code: Code(11007), Description: "Insufficient scopes",
			Details: "Missing scopes: [Inputs:Add]", ReqID: "r-9",
			Missing: []string{"Inputs:Add", "Predict"}, MissingEndpoints: []string{postInputs},
		}, []string{postInputs, "CONN_INSUFFICIENT_SCOPES (11007)", "Insufficient scopes", "Missing scopes: [Inputs:Add]",
			"; missing scopes [Predict]", "or endpoints [" + postInputs + "]", "req_id r-9"}, []string{"missing scopes [Inputs:Add"}},
		{"missing scopes said once", &Error{
			Code: Code(11007), Description: "Insufficient scopes",
			Details: "Missing scopes: [Inputs_Add, Predict]; or endpoint PostInputs",
			Missing: []string{"Inputs:Add", "Predict"}, MissingEndpoints: []string{postInputs},
		}, []string{"Missing scopes: [Inputs_Add, Predict]; or endpoint PostInputs"}, []string{"; missing scopes", "; or endpoints"}},
		{"local refusal lists what is missing", &Error{
			Code: Code(11007), Description: "refused locally", Local: true,
			Missing: []string{"Inputs:Add"}, MissingEndpoints: []string{postInputs},
		}, []string{"refused locally; missing scopes [Inputs:Add]; or endpoints [" + postInputs + "]"}, nil},
		{"details equal to description once", &Error{Code: 10020, Description: "boom", Details: "boom"},
			[]string{"FAILURE (10020): boom"}, []string{"boom: boom"}},
		{"control characters", &Error{Code: 10020, Description: "line1\nline2\r\x00", ReqID: "a\nb"},
			[]string{"line1 line2"}, []string{"\n", "\r", "\x00"}},
		{"format and separator characters", &Error{Code: 10020, Description: "abc\u202edcba\u2066x\u2069\u2028y\u2029z\u200b\ufeff\u0085"},
			[]string{"abc dcba x  y z"}, []string{"\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\u200b", "\ufeff", "\u0085"}},
		{"invalid utf8", &Error{Code: 10020, Description: "\xff\xfe"}, []string{"\uFFFD"}, nil},
		{"long text is cut", &Error{Code: 10020, Details: strings.Repeat("x", 5000)}, []string{"…"}, []string{strings.Repeat("x", 600)}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			msg := tc.err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Error() = %q, missing %q", msg, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(msg, w) {
					t.Errorf("Error() = %q, contains %q", msg, w)
				}
			}
		})
	}
	var nilErr *Error
	if nilErr.Is(ErrInternal) || nilErr.Unwrap() != nil || nilErr.GRPCStatus().Code() != codes.Unknown {
		t.Error("nil *Error methods misbehave")
	}
}

func TestFromError(t *testing.T) {
	clarifaiStatus, err := anypb.New(&ct.Status{Code: ct.StatusCode_CONN_KEY_NOT_FOUND, Description: "API key not found", ReqId: "r-7"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := anypb.New(&errdetails.ErrorInfo{Reason: "SCOPES", Metadata: map[string]string{"missing": "Models:Train, Predict"}})
	if err != nil {
		t.Fatal(err)
	}
	withDetails := func(c codes.Code, msg string, d ...*anypb.Any) error {
		p := status.New(c, msg).Proto()
		p.Details = d
		return status.FromProto(p).Err()
	}
	own := &Error{Code: Code(11005)}

	tests := []struct {
		desc    string
		err     error
		ok      bool
		code    Code
		grpc    codes.Code
		missing []string
		endpts  []string
		reqID   string
	}{
		{"nil", nil, false, 0, 0, nil, nil, ""},
		{"plain error", errors.New("x"), false, 0, 0, nil, nil, ""},
		{"other status", status.Error(codes.Unavailable, "down"), false, 0, 0, nil, nil, ""},
		{"own error", own, true, Code(11005), codes.ResourceExhausted, nil, nil, ""},
		{"wrapped own error", fmt.Errorf("ctx: %w", own), true, Code(11005), codes.ResourceExhausted, nil, nil, ""},
		{"permission denied", status.Error(codes.PermissionDenied, "key lacks scopes [Inputs:Add Predict]; or endpoint /clarifai.api.V2/PostInputs"),
			true, Code(11007), codes.PermissionDenied, []string{"Inputs:Add", "Predict"}, []string{postInputs}, ""},
		{"wrapped permission denied", fmt.Errorf("call: %w", status.Error(codes.PermissionDenied, "missing scope Inputs_Get")),
			true, Code(11007), codes.PermissionDenied, []string{"Inputs:Get"}, nil, ""},
		{"unauthenticated", status.Error(codes.Unauthenticated, "bad key"), true, Code(11008), codes.Unauthenticated, nil, nil, ""},
		{"unauthenticated not found", status.Error(codes.Unauthenticated, "API key not found"), true, Code(11009), codes.Unauthenticated, nil, nil, ""},
		{"clarifai status in details", withDetails(codes.Unauthenticated, "denied", clarifaiStatus),
			true, Code(11009), codes.Unauthenticated, nil, nil, "r-7"},
		{"error info in details", withDetails(codes.PermissionDenied, "denied", info),
			true, Code(11007), codes.PermissionDenied, []string{"Models:Train", "Predict"}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			e, ok := FromError(tc.err)
			if ok != tc.ok || (ok && e == nil) || (!ok && e != nil) {
				t.Fatalf("FromError = %v, %v; want ok %v", e, ok, tc.ok)
			}
			if !ok {
				return
			}
			if e.Code != tc.code {
				t.Errorf("Code = %v, want %v", e.Code, tc.code)
			}
			if got := status.Code(e); got != tc.grpc {
				t.Errorf("status.Code = %v, want %v", got, tc.grpc)
			}
			if !slices.Equal(e.Missing, tc.missing) || !slices.Equal(e.MissingEndpoints, tc.endpts) {
				t.Errorf("Missing = %q %q, want %q %q", e.Missing, e.MissingEndpoints, tc.missing, tc.endpts)
			}
			if e.ReqID != tc.reqID {
				t.Errorf("ReqID = %q, want %q", e.ReqID, tc.reqID)
			}
			if e != own {
				if e.Status == nil || e.Unwrap() != tc.err {
					t.Errorf("built Error does not keep the original: Status %v, Unwrap %v", e.Status, e.Unwrap())
				}
				// The server's own status, details included, is what gRPC sees.
				var inner interface{ GRPCStatus() *status.Status }
				if !errors.As(tc.err, &inner) || !proto.Equal(e.GRPCStatus().Proto(), inner.GRPCStatus().Proto()) {
					t.Errorf("GRPCStatus = %v, want the original", e.GRPCStatus())
				}
			}
		})
	}
}

// TestErrorPrintsNoFields: printing an Error, as a pointer or as a value
// with any verb, gives its one-line text and never dumps its fields.
func TestErrorPrintsNoFields(t *testing.T) {
	st := status.New(codes.PermissionDenied, "reply-only-text-0001")
	e := &Error{Method: postInputs, Code: Code(11007), Status: st}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for name, v := range map[string]any{"pointer": e, "value": *e} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, "reply-only-text-0001") || !strings.Contains(out, "CONN_INSUFFICIENT_SCOPES") {
				t.Errorf("%s %s = %s", name, verb, out)
			}
		}
	}
}

// localErr is an error a client makes itself, as the interceptor's "no
// usable credential" error is: it carries Unauthenticated for status.Code.
type localErr struct{ local bool }

func (e localErr) Error() string { return "no usable credential, call not sent" }
func (e localErr) GRPCStatus() *status.Status {
	return status.New(codes.Unauthenticated, e.Error())
}
func (e localErr) Local() bool { return e.local }

// TestFromErrorLeavesLocalErrorsAlone: a credential error the client made
// is not the server's CONN_KEY_INVALID.
func TestFromErrorLeavesLocalErrorsAlone(t *testing.T) {
	if e, ok := FromError(fmt.Errorf("call: %w", localErr{true})); ok {
		t.Errorf("FromError(local) = %v, true", e)
	}
	if e, ok := FromError(localErr{false}); !ok || e.Code != 11008 {
		t.Errorf("FromError(not local) = %v, %v; want CONN_KEY_INVALID", e, ok)
	}
}

// TestFromErrorLeavesClientStatusesAlone: the client's own refusals are
// never read as the server rejecting the key: this module's carry a type
// (transportsec.ErrInsecure), gRPC's refusals to run a credential are told by
// their exact text.
func TestFromErrorLeavesClientStatusesAlone(t *testing.T) {
	for _, err := range []error{
		transportsec.ErrInsecure,
		fmt.Errorf("call: %w", transportsec.ErrInsecure),
		status.Error(codes.Unauthenticated, "transport: per-RPC creds failed due to error: token expired"),
		status.Error(codes.Unauthenticated, "transport: cannot send secure credentials on an insecure connection"),
	} {
		if e, ok := FromError(err); ok {
			t.Errorf("FromError(%v) = %v, want (nil, false)", err, e)
		}
	}
	if e, ok := FromError(status.Error(codes.Unauthenticated, "API key not found")); !ok || e.Code != 11009 {
		t.Errorf("FromError(server's rejection) = %v, %v; want CONN_KEY_NOT_FOUND", e, ok)
	}
}
