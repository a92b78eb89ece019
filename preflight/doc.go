// Package preflight learns what a Clarifai key may do, by asking the server
// (MyScopes), and keeps it, so that a call the key's scopes do not allow
// can be refused before it is sent.
//
// A Checker holds the grants it learnt, per key and app, and shares one
// MyScopes call among concurrent callers. Give it to the interceptors:
//
//	checker := preflight.New()
//	opts := []interceptor.Option{interceptor.WithPreflight(checker)}
//	conn, err := grpc.NewClient("api.clarifai.com:443",
//		grpc.WithTransportCredentials(credentials.NewTLS(nil)),
//		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
//		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)))
//
// A call refused this way fails with a *scopes.Error (PermissionDenied,
// Local set) that names the missing scopes. When the grant cannot be
// learnt the call goes out unchecked: the server stays the authority.
//
// It is a package of its own because it makes calls: package scopes only
// says what statuses and methods mean.
package preflight
