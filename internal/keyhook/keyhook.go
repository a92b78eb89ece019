// Package keyhook gives the module's packages what a keysource.Key holds
// for the wire (its header) and the per-request override on a context,
// without making them part of package keysource's API: grpc-go's internal
// hook idiom. Package keysource sets the hooks in its init; they are typed
// any so that this package need not import it. Assert them once, in a
// package-level variable.
package keyhook

var (
	// FromContext is func(context.Context) (keysource.Key, bool): the
	// override keysource.WithKey put on the context.
	FromContext any
	// HeaderName is func(keysource.Key) string: the metadata key the
	// credential travels under ("" for the zero Key).
	HeaderName any
	// HeaderValue is func(keysource.Key) string: the complete header value,
	// "Key <secret>" or the bare session token, without allocating.
	HeaderValue any
)
