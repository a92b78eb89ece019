// Package interceptor puts a Clarifai credential on every gRPC call.
//
// UnaryClient and StreamClient are client interceptors; PerRPCCredentials is
// the same through gRPC's credentials hook. Each call carries exactly one
// credential header: "authorization: Key <secret>" for API keys and personal
// access tokens, "x-clarifai-session-token: <token>" for session tokens.
//
// Where the credential comes from, highest precedence first:
//
//  1. CallKey, a per-call option: client.PostInputs(ctx, req, interceptor.CallKey(k)).
//  2. keysource.WithKey on the context.
//  3. An authorization header the caller already appended by hand, as
//     Clarifai's examples do; it is validated and left as it is.
//  4. The keysource.Source the interceptor was built with.
//
// Clarifai reports most failures inside a successful reply. The
// interceptors read the reply's status field and turn a failure into a
// *scopes.Error with the right gRPC code; WithStatusCheck narrows that and
// WithoutStatusCheck turns it off. WithPreflight refuses a call the key is
// not scoped for before it is sent.
//
// # Chain order
//
// Put retry before these interceptors and tracing or logging before retry:
//
//	grpc.WithChainUnaryInterceptor(
//		logging.UnaryClientInterceptor(logger),  // sees each call once, with its final error
//		retry.UnaryClientInterceptor(retryOpts...),
//		interceptor.UnaryClient(src),            // runs on every attempt
//	)
//
// Every retry attempt then resolves the key again (a rotated key is used by
// the next attempt) and the in-band status check gives retry the gRPC code
// it decides on (throttling is ResourceExhausted, TRY_AGAIN Unavailable).
// Whatever order, the credential is added to the metadata only, never to a
// log or span attribute by this package.
package interceptor
