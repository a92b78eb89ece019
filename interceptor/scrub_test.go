package interceptor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// TestGRPCErrorCleaned: a gRPC error from the server reaches the caller
// with its message on one line of at most 4 KiB, without control, format
// or separator characters, and with the echoed key replaced; its code and
// details are kept. An in-band status's text already was.
func TestGRPCErrorCleaned(t *testing.T) {
	marker := testutil.Marker(t)
	e := newEnv(t, staticSource(marker), nil)
	e.srv.AddPAT(marker, []string{"All"}, nil)
	// 200 KB of hostile text (1.5 MB in a soak): fifty times the 4 KiB cut.
	reps := 1 << 14
	if testutil.Soak() {
		reps = 1 << 17
	}
	hostile := "\x1b[31mKey " + marker + "\u202e\u2028\r\nforged\x00" + strings.Repeat("\x1b[31m\u202e\u2028x", reps)
	sent, err := status.New(codes.Internal, hostile).WithDetails(&pb.Status{Code: pb.StatusCode_FAILURE, ReqId: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetError(predictPath, sent.Err())
	_, callErr := e.client.PostModelOutputs(context.Background(), predictReq())
	st := status.Convert(callErr)
	if st.Code() != codes.Internal || len(st.Details()) != 1 {
		t.Fatalf("code %v with %d details, want Internal with the one detail", st.Code(), len(st.Details()))
	}
	testutil.NoSecretIn(t, "call error", callErr, marker)
	for name, text := range map[string]string{"Error()": callErr.Error(), "status message": st.Message()} {
		if len(text) > 4096+64 {
			t.Errorf("%s is %d bytes", name, len(text))
		}
		if r, ok := printableLine(text); !ok {
			t.Errorf("%s holds %U", name, r)
		}
	}
	if !strings.Contains(st.Message(), keyOf(marker).String()) {
		t.Errorf("message %q lacks the redacted key", testutil.Clip(st.Message(), 100))
	}
}

// TestErrorHoldsNoEchoedKey: what a *scopes.Error holds, not only what it
// prints, is free of a key the server echoed in its in-band status:
// encoding/json and a dump of its fields show none.
func TestErrorHoldsNoEchoedKey(t *testing.T) {
	marker := testutil.Marker(t)
	e := newEnv(t, staticSource(marker), nil)
	e.srv.AddPAT(marker, []string{"All"}, nil)
	e.srv.SetStatus(predictPath, 11009, "API key not found: Key "+marker, "details: "+marker)
	_, err := e.client.PostModelOutputs(context.Background(), predictReq())
	var se *scopes.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *scopes.Error", err)
	}
	b, jerr := json.Marshal(se)
	if jerr != nil {
		t.Fatal(jerr)
	}
	testutil.NoSecret(t, "json", string(b), marker)
	type fields scopes.Error // without its methods: a dump of every field
	testutil.NoSecret(t, "fields", fmt.Sprintf("%#v", fields(*se)), marker)
}
