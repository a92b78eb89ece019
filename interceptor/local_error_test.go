package interceptor_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// TestNoKeyIsNotTheServersVerdict: a call refused locally for want of a key
// fails with Unauthenticated, but scopes.FromError does not read it as the
// server's CONN_KEY_INVALID, through the interceptors and PerRPCCredentials.
func TestNoKeyIsNotTheServersVerdict(t *testing.T) {
	e := newEnv(t, keysource.Env("CLARIFAIAUTH_TEST_UNSET"), nil)
	_, err := e.client.PostModelOutputs(context.Background(), predictReq())
	if status.Code(err) != codes.Unauthenticated || !errors.Is(err, keysource.ErrNoKey) {
		t.Fatalf("err = %v, want a local Unauthenticated", err)
	}
	if se, ok := scopes.FromError(err); ok {
		t.Errorf("scopes.FromError = %v, want the local error left alone", se)
	}

	// The transport-security refusal is left out here (it is a plain
	// status error still): this checks the missing key.
	creds := interceptor.PerRPCCredentials(keysource.Env("CLARIFAIAUTH_TEST_UNSET"), interceptor.AllowInsecureTransport())
	_, err = creds.GetRequestMetadata(context.Background())
	if err == nil {
		t.Fatal("PerRPCCredentials without a key gave metadata")
	}
	if se, ok := scopes.FromError(err); ok {
		t.Errorf("scopes.FromError(PerRPCCredentials error) = %v", se)
	}
}
