// Package interceptor holds the gRPC client interceptors that put a Clarifai
// credential on every call and turn Clarifai's in-band failure statuses into
// errors: on each attempt they resolve the key, attach it as metadata, and
// read the reply's status by protobuf reflection.
//
// UnaryClient and StreamClient are client interceptors; PerRPCCredentials is
// the credential part alone, through gRPC's credentials hook. Each call
// carries exactly one credential header ("authorization: Key <secret>" for
// API keys and PATs, "x-clarifai-session-token" for session tokens) and the
// request tag "x-clarifai-request-id-prefix" (see WithRequestTag).
//
// Where the credential comes from, highest precedence first:
//
//  1. CallKey as a call option, then CallKey given when building;
//  2. keysource.WithKey on the context (it travels to every call made with
//     that context);
//  3. an authorization header the caller appended by hand, as Clarifai's
//     examples do (validated and left as it is);
//  4. the keysource.Source the interceptor was built with.
//
// Clarifai reports most failures inside a successful reply. The
// interceptors read the reply's status and turn a failure into a
// *scopes.Error with the matching gRPC code; WithStatusCheck changes which
// codes count. Options are given when building; CallOptions also per call.
// WithPreflight refuses a call the key may not make, and WithThrottle paces
// calls, before they are sent. A PAT call whose request names no user and
// no app, with no WithUserApp default, is refused with FailedPrecondition.
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
