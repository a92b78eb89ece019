package scopes_test

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func ExampleCode_Failed() {
	for _, c := range []scopes.Code{10000, 68000, 21107, 21100, 21200, 11004} {
		fmt.Println(c, c.Failed())
	}
	// Output:
	// SUCCESS false
	// UPLOAD_IN_PROGRESS false
	// MODEL_BUILDING false
	// MODEL_TRAINED false
	// MODEL_DOES_NOT_EXIST true
	// CONN_EXCEED_MONTHLY_LIMIT true
}

func ExampleError() {
	// The *Error an interceptor returns for a reply whose Clarifai status
	// is CONN_INSUFFICIENT_SCOPES.
	var err error = &scopes.Error{
		Method:      "/clarifai.api.V2/PostInputs",
		Code:        11007,
		Description: "Insufficient scopes",
		Details:     "Missing scopes: [Inputs:Add]",
		ReqID:       "req-1",
		Missing:     []string{"Inputs:Add"},
	}
	fmt.Println(err)
	fmt.Println(errors.Is(err, scopes.ErrInsufficientScopes), status.Code(err))
	// Output:
	// clarifai: /clarifai.api.V2/PostInputs: CONN_INSUFFICIENT_SCOPES (11007): Insufficient scopes: Missing scopes: [Inputs:Add]; req_id req-1
	// true PermissionDenied
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

func ExampleCatalog_Required() {
	// Descriptors from a descriptor set; NewCatalog(nil) reads those
	// linked into the program with Clarifai's client.
	req, ok := scopes.NewCatalog(clarifaifake.FixtureFiles()).Required("PostModelOutputs")
	fmt.Println(ok, req.Method, req.AuthType)
	fmt.Println(req.Scopes)
	// Output:
	// true /clarifai.api.V2/PostModelOutputs KeyAuth
	// [Apps:Get Concepts:Get Models:Get Predict]
}
