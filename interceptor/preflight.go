package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/checkerhook"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// WithPreflight makes the interceptors refuse, before sending, a call that
// c says the key's scopes do not allow, or that the key's kind can never
// make: the call fails locally with a *scopes.Error (PermissionDenied, Local
// set) that says what is missing. When c cannot learn the grant the call
// goes out unchecked. Interceptors built with the same c share its cache.
func WithPreflight(c *preflight.Checker) Option {
	return buildOption(func(o *options) { o.preflight = c })
}

// What the Checker does for the interceptors, through preflight's internal
// hooks: not part of its API.
var (
	preflightRequired = checkerhook.Required.(func(*preflight.Checker, string) (scopes.Requirement, bool))
	preflightGrant    = checkerhook.Grant.(func(*preflight.Checker, context.Context, grpc.ClientConnInterface, keysource.Key, string, string, string, ...grpc.CallOption) (preflight.Grant, error))
)

// myScopesMethod is the method the preflight itself calls; it is never
// checked.
const myScopesMethod = "/clarifai.api.V2/MyScopes"

// check returns a *scopes.Error when k may not call method with req, and
// nil otherwise: when the method needs no scopes or is unknown, when the
// grant allows it, or when the grant cannot be had. A caller whose ctx ends
// while it waits for the grant gets its context's error as a gRPC status.
func (o *options) check(ctx context.Context, cc grpc.ClientConnInterface, method string, req any, k keysource.Key) error {
	need, ok := preflightRequired(o.preflight, method)
	if err := refuseAuthType(method, need, ok, k); err != nil {
		return err
	}
	if !needsGrant(method, need, ok) || cc == nil || needsUserApp(k, req) != nil {
		return nil // a PAT call without an app is refused after this
	}
	userID, appID := userApp(req)
	g, err := preflightGrant(o.preflight, ctx, cc, k, userID, appID, method, o.keyOpts(k)...)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return nil
	}
	if g.Allows(need) {
		return nil
	}
	missing, endpoints := g.Missing(need)
	return &scopes.Error{
		Method:           method,
		Code:             codeConnInsufficientScopes,
		Description:      "refused locally before sending: the key's scopes (from MyScopes) do not allow this method",
		Missing:          missing,
		MissingEndpoints: endpoints,
		Required:         need,
		Local:            true,
	}
}

// needsGrant reports whether a call of method is checked against the key's
// grant.
func needsGrant(method string, need scopes.Requirement, known bool) bool {
	return known && len(need.Scopes) > 0 && method != myScopesMethod
}

// codeConnInsufficientScopes is CONN_INSUFFICIENT_SCOPES, the code of a
// local refusal for missing scopes.
const codeConnInsufficientScopes scopes.Code = 11007

// codeAuthMethodDisabled is CONN_AUTH_METHOD_DISABLED, the code of a local
// refusal for the credential's kind.
const codeAuthMethodDisabled scopes.Code = 11200

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
		Code:        codeAuthMethodDisabled,
		Description: "refused locally before sending: the method " + why,
		Required:    need,
		Local:       true,
	}
}

// keyOpts returns the call options that put k on the preflight's MyScopes
// call. The last key's are kept, so that a steady key does not allocate
// them on every checked call.
func (o *options) keyOpts(k keysource.Key) []grpc.CallOption {
	if c := o.lastKeyOpts.Load(); c != nil && c.key.Equal(k) {
		return c.opts
	}
	c := &keyOpts{key: k, opts: []grpc.CallOption{CallKey(k)}}
	o.lastKeyOpts.Store(c)
	return c.opts
}

// keyOpts are the call options made for one key.
type keyOpts struct {
	key  keysource.Key
	opts []grpc.CallOption
}
