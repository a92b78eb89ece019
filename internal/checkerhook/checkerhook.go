// Package checkerhook gives the interceptors what a preflight.Checker does
// for them (what a method requires, a key's grant) without making it part
// of package preflight's API: grpc-go's internal hook idiom. Package
// preflight sets the hooks in its init; they are typed any so that this
// package need not import it.
package checkerhook

var (
	// Required is func(*preflight.Checker, string) (scopes.Requirement, bool):
	// what a method needs, from the Checker's catalog.
	Required any
	// Grant is func(c *preflight.Checker, ctx context.Context,
	// cc grpc.ClientConnInterface, k keysource.Key, userID, appID, method
	// string, opts ...grpc.CallOption) (preflight.Grant, error): k's grant
	// in the app, cached or learnt with one shared MyScopes call.
	Grant any
)
