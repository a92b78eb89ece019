package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// authTypeCheck refuses a call whose key's kind the method never accepts
// (see refuseAuthType). It needs the preflight's catalog.
var authTypeCheck = check{
	on: func(o *options, c call) bool { return c.known },
	at: atOpen,
	run: func(_ context.Context, _ *options, c call, req any) (any, error) {
		return req, refuseAuthType(c.method, c.need, c.known, c.k)
	},
}

// refuseAuthType returns a local *scopes.Error when k's kind can never
// satisfy what method accepts: a key declared an app-specific API key
// (keysource.KindAPIKey) on a method for personal access tokens only
// (PATAuth), or anything but a session token on a method for session tokens
// only (SessionTokenAuth). A keysource.KindKey, which may be an API key or a
// PAT, is never refused on a PATAuth method.
//
// The error's code is CONN_AUTH_METHOD_DISABLED, its gRPC code
// PermissionDenied and errors.Is(err, scopes.ErrAuthMethodDisabled) holds:
// the credential is valid, only not accepted for this method, so it is not
// Unauthenticated, which would tell a caller (or its retry and key
// rotation) that the credential itself is bad.
func refuseAuthType(method string, need scopes.Requirement, known bool, k keysource.Key) error {
	if !known {
		return nil
	}
	var why string
	switch {
	case need.AuthType == scopes.PATAuth && k.Kind() == keysource.KindAPIKey:
		why = "accepts only personal access tokens (PATAuth); the key was declared an app-specific API key"
	case need.AuthType == scopes.SessionTokenAuth && k.Kind() != keysource.KindSessionToken:
		why = "accepts only session tokens (SessionTokenAuth); the credential is a key or a personal access token"
	default:
		return nil
	}
	return &scopes.Error{
		Method:      method,
		Code:        wire.CodeAuthMethodDisabled,
		Description: "refused locally before sending: the method " + why,
		Required:    need,
		Local:       true,
	}
}
