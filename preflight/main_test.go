package preflight

import (
	"context"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// keyCreds sends `authorization: Key <secret>` on a call over an insecure
// test connection.
type keyCreds string

func (k keyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Key " + string(k)}, nil
}

func (keyCreds) RequireTransportSecurity() bool { return false }

// withKey is the per-call option carrying secret.
func withKey(secret string) grpc.CallOption { return grpc.PerRPCCredentials(keyCreds(secret)) }

// startFake starts a fake V2 server and returns it with a connection to it;
// both are closed when the test ends.
func startFake(t *testing.T) (*clarifaifake.Server, *grpc.ClientConn) {
	t.Helper()
	return clarifaifake.NewForTest(t)
}

// Scopes of the test methods (Clarifai 12.4.0).
var (
	postInputsScopes = []string{"Annotations:Add", "Annotations:Get", "Apps:Get", "Concepts:Get",
		"Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"}
	postModelOutputsScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}
)

const (
	postInputs       = "/clarifai.api.V2/PostInputs"
	postModelOutputs = "/clarifai.api.V2/PostModelOutputs"
)
