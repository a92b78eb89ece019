package replystatus_test

import (
	"errors"
	"testing"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func reply(code ct.StatusCode) *ct.MultiInputResponse {
	return &ct.MultiInputResponse{Status: &ct.Status{Code: code, Description: "Insufficient scopes", Details: "Missing scopes: [Inputs:Add]", ReqId: "r"}}
}

// TestCheck: the hooks package scopes sets give the check its callers had
// through scopes.CheckReply, with their own predicate.
func TestCheck(t *testing.T) {
	const method = "/clarifai.api.V2/PostInputs"
	err := replystatus.Check(method, reply(ct.StatusCode_CONN_INSUFFICIENT_SCOPES), scopes.Code.Failed)
	var se *scopes.Error
	if !errors.As(err, &se) || se.Code != 11007 || se.Method != method || se.ReqID != "r" || len(se.Missing) != 1 || se.Missing[0] != "Inputs:Add" {
		t.Fatalf("Check(CONN_INSUFFICIENT_SCOPES) = %#v", err)
	}
	if !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Error("the *Error does not match its sentinel")
	}
	for _, c := range []ct.StatusCode{ct.StatusCode_SUCCESS, ct.StatusCode_MODEL_BUILDING, ct.StatusCode_MIXED_STATUS} {
		if err := replystatus.Check(method, reply(c), scopes.Code.Failed); err != nil {
			t.Errorf("Check(%v) = %v, want nil", c, err)
		}
	}
	only := func(c scopes.Code) bool { return c == 10010 } // MIXED_STATUS only
	if err := replystatus.Check(method, reply(ct.StatusCode_MIXED_STATUS), only); err == nil {
		t.Error("Check with a predicate that fails MIXED_STATUS = nil")
	}
	if err := replystatus.Check(method, reply(ct.StatusCode_CONN_KEY_NOT_FOUND), only); err != nil {
		t.Errorf("Check with a predicate that passes 11009 = %v", err)
	}
	for _, r := range []any{nil, "text", &ct.PostInputsRequest{}} {
		if err := replystatus.Check(method, r, func(scopes.Code) bool { return true }); err != nil {
			t.Errorf("Check(%T) = %v: no status field, so no error", r, err)
		}
	}
	r := reply(ct.StatusCode_SUCCESS)
	if n := testing.AllocsPerRun(100, func() { _ = replystatus.Check(method, r, scopes.Code.Failed) }); n != 0 {
		t.Errorf("Check on SUCCESS: %v allocations, want 0", n)
	}
}

func TestOK(t *testing.T) {
	for code, want := range map[int32]bool{10000: true, 10010: true, 10070: true, 21107: false, 21100: false, 11007: false, 0: false, 123456: false} {
		if got := replystatus.OK(code); got != want {
			t.Errorf("OK(%d) = %v, want %v", code, got, want)
		}
	}
}
