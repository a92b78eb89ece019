package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const myScopesPath = "/clarifai.api.V2/MyScopes"

// countCalls counts the server's calls per method.
func (e *env) countCalls() map[string]int {
	n := make(map[string]int)
	for _, c := range e.srv.Calls() {
		n[c.Method]++
	}
	return n
}

func TestPreflightRefusesLocally(t *testing.T) {
	e := newEnv(t, keysource.Static(limitedKey), []interceptor.Option{interceptor.WithPreflight(scopes.NewPreflight())})
	inputs := &pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}}
	for i := 0; i < 3; i++ {
		_, err := e.client.PostInputs(context.Background(), inputs)
		var se *scopes.Error
		if !errors.As(err, &se) || !se.Local {
			t.Fatalf("err = %v, want a local *scopes.Error", err)
		}
		if status.Code(err) != codes.PermissionDenied || !errors.Is(err, scopes.ErrInsufficientScopes) {
			t.Errorf("err = %v (code %v)", err, status.Code(err))
		}
		if want := "[Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]"; fmt.Sprint(se.Missing) != want {
			t.Errorf("Missing = %v, want %s", se.Missing, want)
		}
		assertNoSecret(t, "error", err.Error())
	}
	// A call the key may make goes out.
	if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Fatalf("PostModelOutputs: %v", err)
	}
	got := e.countCalls()
	if got["/clarifai.api.V2/PostInputs"] != 0 {
		t.Errorf("refused calls reached the server: %v", got)
	}
	if got[myScopesPath] != 1 || got[predictPath] != 1 {
		t.Errorf("server calls = %v, want one MyScopes (grant cached per key and app) and one PostModelOutputs", got)
	}
	// MyScopes went out with the call's own key.
	for _, c := range e.srv.Calls() {
		if _, v := credentialOf(t, c.MD); v != "Key "+limitedKey {
			t.Errorf("%s carried %q", c.Method, v)
		}
	}
}

func TestPreflightPerKeyAndApp(t *testing.T) {
	e := newEnv(t, keysource.Static(limitedKey), []interceptor.Option{interceptor.WithPreflight(scopes.NewPreflight())})
	inputs := func(app string) *pb.PostInputsRequest {
		return &pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: app}}
	}
	// The limited key is refused; an All-scoped key on the same client is
	// not, and each key (and app) gets its own grant.
	if _, err := e.client.PostInputs(context.Background(), inputs("a")); !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Fatalf("limited key: %v", err)
	}
	if _, err := e.client.PostInputs(keysource.WithKey(context.Background(), keyOf(contextKey)), inputs("a")); err != nil {
		t.Fatalf("All-scoped key: %v", err)
	}
	if _, err := e.client.PostInputs(keysource.WithKey(context.Background(), keyOf(contextKey)), inputs("b")); err != nil {
		t.Fatalf("All-scoped key, other app: %v", err)
	}
	if n := e.countCalls()[myScopesPath]; n != 3 {
		t.Errorf("MyScopes calls = %d, want 3 (two keys on app a, one on app b)", n)
	}
}

func TestPreflightFetchFailureLetsCallThrough(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	p := scopes.NewPreflight(scopes.OnFetchError(func(method string, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	e := newEnv(t, keysource.Static(limitedKey), []interceptor.Option{interceptor.WithPreflight(p)})
	e.srv.SetError(myScopesPath, status.Error(codes.Unavailable, "scopes service down"))
	_, err := e.client.PostInputs(context.Background(), &pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}})
	// The server, still the authority, refuses it in-band.
	var se *scopes.Error
	if !errors.As(err, &se) || se.Local || se.Code != scopes.Code(11007) {
		t.Fatalf("err = %v, want the server's own CONN_INSUFFICIENT_SCOPES", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || status.Code(reported[0]) != codes.Unavailable {
		t.Errorf("OnFetchError got %v, want one Unavailable", reported)
	}
}

func TestPreflightStream(t *testing.T) {
	e := newEnv(t, keysource.Static(limitedKey), []interceptor.Option{interceptor.WithPreflight(scopes.NewPreflight())})
	// Allowed: the stream works as usual.
	stream, err := e.client.StreamModelOutputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictReq()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err == nil {
		t.Fatal("Recv after CloseSend returned a message")
	}

	// Refused: a key scoped only for PostInputs' endpoint may not predict.
	e.srv.AddKey(unknownKey, nil, []string{"/clarifai.api.V2/PostInputs"})
	stream, err = e.client.StreamModelOutputs(context.Background(), interceptor.CallKey(keyOf(unknownKey)))
	if err != nil {
		t.Fatal(err)
	}
	err = stream.Send(predictReq())
	var se *scopes.Error
	if !errors.As(err, &se) || !se.Local {
		t.Fatalf("Send = %v, want a local refusal", err)
	}
	if _, err := stream.Recv(); !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Errorf("Recv after refusal = %v", err)
	}
	if err := stream.Context().Err(); err != context.Canceled {
		t.Errorf("refused stream's context: %v, want context.Canceled", err)
	}
	// The refused stream was opened (headers) but no message reached the
	// server's handler as a request; goleak checks it was released.
}
