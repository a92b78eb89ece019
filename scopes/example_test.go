package scopes_test

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func ExampleCode_Class() {
	for _, c := range []scopes.Code{10000, 68000, 21107, 21100, 21200, 11004} {
		fmt.Println(c, c.Class(), c.GRPCCode())
	}
	// Output:
	// SUCCESS ok OK
	// UPLOAD_IN_PROGRESS progress OK
	// MODEL_BUILDING progress OK
	// MODEL_TRAINED state OK
	// MODEL_DOES_NOT_EXIST failure NotFound
	// CONN_EXCEED_MONTHLY_LIMIT failure ResourceExhausted
}

func ExampleRetriable() {
	throttled := &scopes.Error{Code: 11005} // CONN_THROTTLED: clears with time
	monthly := &scopes.Error{Code: 11004}   // CONN_EXCEED_MONTHLY_LIMIT: does not
	fmt.Println(scopes.Retriable(throttled), scopes.Retriable(monthly))
	fmt.Println(scopes.Retriable(status.Error(codes.Unavailable, "connection reset")))
	// Output:
	// true false
	// true
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
	// clarifai: /clarifai.api.V2/PostInputs: CONN_INSUFFICIENT_SCOPES (11007): Insufficient scopes: Missing scopes: [Inputs:Add]; req_id req-1
	// true PermissionDenied
}

func ExampleCatalog_Required() {
	// A nil registry means the descriptors linked into the program, here
	// those of a Clarifai client.
	req, ok := scopes.NewCatalog(nil).Required("PostModelOutputs")
	fmt.Println(ok, req.Method, req.AuthType)
	fmt.Println(req.Scopes)
	// Output:
	// true /clarifai.api.V2/PostModelOutputs KeyAuth
	// [Apps:Get Concepts:Get Models:Get Predict]
}
