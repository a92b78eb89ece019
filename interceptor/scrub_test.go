package interceptor_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// TestScrubStatusDetails: a server that echoes the key inside the Clarifai
// status it packs into a gRPC error's details, and in a detail of another
// type, reaches the caller with the key redacted in the Clarifai status and
// the other detail dropped, whatever the caller reads: Error(), the status's
// details, or scopes.FromError.
func TestScrubStatusDetails(t *testing.T) {
	marker := testutil.Marker(t)
	e := newEnv(t, staticSource(marker), nil)
	e.srv.AddPAT(marker, []string{"All"}, nil)
	echoed, err := status.New(codes.Unauthenticated, "denied: Key "+marker).WithDetails(
		&pb.Status{Code: pb.StatusCode_CONN_KEY_NOT_FOUND, Description: "API key not found: Key " + marker,
			Details: "no " + marker, ReqId: "req-1", StackTrace: []string{"at " + marker}},
		durationpb.New(0), // a detail without the key: kept
	)
	if err != nil {
		t.Fatal(err)
	}
	withForeign, err := echoed.WithDetails(&pb.UserAppIDSet{UserId: marker}) // a detail of unknown layout holding the key
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetError(predictPath, withForeign.Err())

	_, callErr := e.client.PostModelOutputs(context.Background(), predictReq())
	if status.Code(callErr) != codes.Unauthenticated {
		t.Fatalf("err = %v, want Unauthenticated", callErr)
	}
	testutil.NoSecretIn(t, "call error", callErr, marker)
	st := status.Convert(callErr)
	testutil.NoSecret(t, "status details", fmt.Sprint(st.Details()), marker)
	if n := len(st.Details()); n != 2 {
		t.Errorf("%d details, want 2: the scrubbed Clarifai status and the duration", n)
	}
	var desc string
	for _, d := range st.Details() {
		if cs, ok := d.(*pb.Status); ok {
			desc = cs.GetDescription()
		}
	}
	if desc != "API key not found: Key "+keyOf(marker).String() {
		t.Errorf("Clarifai status description = %q, want the key redacted", desc)
	}
	se, ok := scopes.FromError(callErr)
	if !ok {
		t.Fatal("FromError: no Clarifai status found")
	}
	testutil.NoSecretIn(t, "scopes.FromError", se, marker)
	if se.ReqID != "req-1" {
		t.Errorf("ReqID = %q, want the detail's other fields kept", se.ReqID)
	}
}
