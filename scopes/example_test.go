package scopes_test

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/status"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func ExampleParseMissing() {
	s, e := scopes.ParseMissing("Insufficient scopes. Missing scopes: [Inputs_Add Predict]; or endpoint: /clarifai.api.V2/PostInputs")
	fmt.Println(s, e)
	// Output: [Inputs:Add Predict] [/clarifai.api.V2/PostInputs]
}

func ExampleCheckReply() {
	reply := &ct.MultiInputResponse{Status: &ct.Status{
		Code:        ct.StatusCode_CONN_INSUFFICIENT_SCOPES,
		Description: "Insufficient scopes",
		Details:     "Missing scopes: [Inputs:Add]",
		ReqId:       "req-1",
	}}
	err := scopes.CheckReply("/clarifai.api.V2/PostInputs", reply, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, scopes.ErrInsufficientScopes), status.Code(err))
	// Output:
	// clarifai: /clarifai.api.V2/PostInputs: CONN_INSUFFICIENT_SCOPES (11007): Insufficient scopes: Missing scopes: [Inputs:Add]; missing scopes [Inputs:Add]; req_id req-1
	// true PermissionDenied
}

func ExampleGrant_Missing() {
	req, _ := scopes.Required("/clarifai.api.V2/PostModelOutputs")
	g := scopes.Grant{Scopes: []string{"Apps:Get", "Models:Get"}}
	fmt.Println(g.Allows(req))
	fmt.Println(g.Missing(req))
	// Output:
	// false
	// [Concepts:Get Predict] [/clarifai.api.V2/PostModelOutputs]
}
