package scopes_test

import (
	"errors"
	"fmt"
	"log"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
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
	// A reply as Clarifai's generated client returns it; this one is built
	// from descriptors, so that the example runs without that client.
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	reply := fake.NewReply("/clarifai.api.V2/PostInputs")
	m := reply.ProtoReflect()
	st := m.Mutable(m.Descriptor().Fields().ByName("status")).Message()
	f := st.Descriptor().Fields()
	st.Set(f.ByName("code"), protoreflect.ValueOfEnum(11007)) // CONN_INSUFFICIENT_SCOPES
	st.Set(f.ByName("description"), protoreflect.ValueOfString("Insufficient scopes"))
	st.Set(f.ByName("details"), protoreflect.ValueOfString("Missing scopes: [Inputs:Add]"))
	st.Set(f.ByName("req_id"), protoreflect.ValueOfString("req-1"))

	err = scopes.CheckReply("/clarifai.api.V2/PostInputs", reply, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, scopes.ErrInsufficientScopes), status.Code(err))
	// Output:
	// clarifai: /clarifai.api.V2/PostInputs: CONN_INSUFFICIENT_SCOPES (11007): Insufficient scopes: Missing scopes: [Inputs:Add]; req_id req-1
	// true PermissionDenied
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
