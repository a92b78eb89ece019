// Package transportsec holds the library's one rule for where a key may
// go: over a connection that reports privacy and integrity, exactly (no
// lower level, no unknown higher one, no connection that reports none), or
// anywhere when the caller opted in with AllowInsecureTransport. Every way
// a key leaves the library (DialOptions, NewClient, PerRPCCredentials, the
// interceptors wired by hand) applies it through this package.
package transportsec

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"

	"github.com/grpc-keyauth/clarifaiauth/internal/localerr"
)

// ErrInsecureBase is what NewClient's error wraps when the API base asks for
// plaintext to another machine and AllowInsecureTransport was not given.
var ErrInsecureBase = errors.New("clarifaiauth: a plaintext API base off this machine needs interceptor.AllowInsecureTransport (through WithInterceptorOptions)")

// ErrInsecure refuses a call whose connection the rule does not allow.
var ErrInsecure error = localerr.New(codes.Unauthenticated, "clarifaiauth: refusing to send a Clarifai credential over a connection without transport security (see interceptor.AllowInsecureTransport)")

// Allows reports whether a key may go over a connection with auth info ai:
// one that reports exactly credentials.PrivacyAndIntegrity.
func Allows(ai credentials.AuthInfo) bool {
	ci, ok := ai.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	})
	return ok && ci.GetCommonAuthInfo().SecurityLevel == credentials.PrivacyAndIntegrity
}

// Check returns ErrInsecure unless the call on ctx, the context gRPC gives
// a credentials.PerRPCCredentials, goes over a connection Allows.
func Check(ctx context.Context) error {
	ri, _ := credentials.RequestInfoFromContext(ctx)
	if !Allows(ri.AuthInfo) {
		return ErrInsecure
	}
	return nil
}

// Guard is a per-RPC credential that adds nothing and applies the rule:
// gRPC refuses it on a connection without transport security, and it
// refuses, per call, a connection the rule does not allow.
type Guard struct{}

// GetRequestMetadata adds nothing, or refuses the call.
func (Guard) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	return nil, Check(ctx)
}

// RequireTransportSecurity is always true.
func (Guard) RequireTransportSecurity() bool { return true }

// CallOption puts Guard on one call: an interceptor that attaches a key
// adds it, so the rule holds on a connection dialled without DialOptions.
var CallOption grpc.CallOption = grpc.PerRPCCredentials(Guard{})
