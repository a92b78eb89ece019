package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/internal/checkerhook"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
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

// grantCheck refuses a call that the key's grant, from MyScopes through
// the preflight, does not allow. A stream is checked on its first message,
// before it opens.
var grantCheck = check{
	on: func(o *options, c call) bool {
		return c.known && len(c.need.Scopes) > 0 && c.method != wire.MethodMyScopes && c.cc != nil
	},
	at:   atFirst,
	lazy: true,
	run: func(ctx context.Context, o *options, c call, req any) (any, error) {
		return req, o.checkGrant(ctx, c, req)
	},
}

// checkGrant returns a *scopes.Error when c's key may not call c.method
// with req, and nil otherwise: when the grant allows it, or when the grant
// cannot be had. A caller whose ctx ends while it waits for the grant gets
// its context's error as a gRPC status.
func (o *options) checkGrant(ctx context.Context, c call, req any) error {
	if needsUserApp(c.k, req) != nil {
		return nil // a PAT call without an app is refused by patRuleCheck
	}
	userID, appID := userApp(req)
	g, err := preflightGrant(o.preflight, ctx, c.cc, c.k, userID, appID, c.method, o.keyOpts(c.k)...)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return nil
	}
	if g.Allows(c.need) {
		return nil
	}
	missing, endpoints := g.Missing(c.need)
	return &scopes.Error{
		Method:           c.method,
		Code:             wire.CodeInsufficientScopes,
		Description:      "refused locally before sending: the key's scopes (from MyScopes) do not allow this method",
		Missing:          missing,
		MissingEndpoints: endpoints,
		Required:         c.need,
		Local:            true,
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
