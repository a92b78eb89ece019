// Package interceptor holds the gRPC client interceptors that put a Clarifai
// credential on every call and turn Clarifai's in-band failure statuses into
// errors.
//
// UnaryClient and StreamClient are client interceptors; PerRPCCredentials is
// the credential part alone, through gRPC's credentials hook. Each call
// carries exactly one credential header: "authorization: Key <secret>" for
// API keys and personal access tokens, "x-clarifai-session-token: <token>"
// for session tokens, and the request tag "x-clarifai-request-id-prefix"
// (see WithRequestTag).
//
// Where the credential comes from, highest precedence first:
//
//  1. CallKey, as a call option: client.PostInputs(ctx, req, interceptor.CallKey(k)).
//  2. CallKey given when building the interceptor.
//  3. keysource.WithKey on the context.
//  4. An authorization header the caller already appended by hand, as
//     Clarifai's examples do; it is validated and left as it is.
//  5. The keysource.Source the interceptor was built with.
//
// A key set with keysource.WithKey travels with the context, to every call
// made with it; CallKey applies to one call only.
//
// Clarifai reports most failures inside a successful reply. The
// interceptors read the reply's status and turn a failure into a
// *scopes.Error with the matching gRPC code; WithStatusCheck changes which
// codes count. Options are given when building; CallOptions also per call.
// WithPreflight refuses a call the key may not make before it is sent. A call
// with a personal access token whose request names no user and no app, and
// no WithUserApp default, is refused with FailedPrecondition.
//
// # Chain order
//
// Put retry before these interceptors and tracing or logging before retry:
//
//	grpc.WithChainUnaryInterceptor(
//		logging.UnaryClientInterceptor(logger), // sees each call once, with its final error
//		retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...),
//		interceptor.UnaryClient(src), // runs on every attempt
//	)
//
// Every attempt then resolves the key again, so a rotated key is used by
// the next one, and retry decides on the gRPC code the status check gives.
package interceptor
