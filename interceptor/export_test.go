package interceptor

import (
	"context"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// Test access to the preflight check, which is otherwise reached only
// through the interceptors.

// Preflight is the check WithPreflight configures, with the options of the
// interceptor that holds it.
type Preflight struct{ o *options }

// NewPreflight returns the check of WithPreflight(preflight.New(opts...))
// with catalog.
func NewPreflight(catalog *scopes.Catalog, opts ...preflight.Option) *Preflight {
	opts = append(opts, preflight.WithCatalog(catalog))
	return &Preflight{o: newOptions([]Option{WithPreflight(preflight.New(opts...))})}
}

// Check runs the preflight's checks (the key's kind, then its grant) for
// one call with key k; MyScopes goes out on cc with CallKey(k), so cc needs
// this package's interceptors.
func (t *Preflight) Check(ctx context.Context, cc grpc.ClientConnInterface, method string, req any, k keysource.Key) error {
	c := call{method: method, k: k, cc: cc}
	c.need, c.known = preflightRequired(t.o.preflight, method)
	if err := refuseAuthType(method, c.need, c.known, k); err != nil {
		return err
	}
	if !grantCheck.on(t.o, c) {
		return nil
	}
	return t.o.checkGrant(ctx, c, req)
}

// UserApp is userApp: the app a request names.
var UserApp = userApp

// RequestShapes returns how many request types the cache holds.
func RequestShapes() int { return requestShapes.Len() }

// ConnectionLevel is connectionLevel: which codes end a stream in any reply.
var ConnectionLevel = connectionLevel
