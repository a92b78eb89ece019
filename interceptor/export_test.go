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

// Check runs the preflight for one call with key k; MyScopes goes out on cc
// with CallKey(k), so cc needs this package's interceptors.
func (t *Preflight) Check(ctx context.Context, cc grpc.ClientConnInterface, method string, req any, k keysource.Key) error {
	return t.o.check(ctx, cc, method, req, k)
}

// UserApp is userApp: the app a request names.
var UserApp = userApp

// RequestShapes returns how many request types the cache holds.
func RequestShapes() int { return requestShapes.Len() }

// ConnectionLevel is connectionLevel: which codes end a stream in any reply.
var ConnectionLevel = connectionLevel
