// Package interceptor holds the gRPC client interceptors that put a Clarifai
// credential on every call and turn Clarifai's in-band failure statuses into
// errors.
//
// UnaryClient and StreamClient are client interceptors; PerRPCCredentials is
// the credential part alone through gRPC's credentials hook. Each call
// carries exactly one credential header: "authorization: Key <secret>" for
// API keys and personal access tokens, "x-clarifai-session-token: <token>"
// for session tokens.
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
// A key set with keysource.WithKey travels with the context: every call made
// with that context, or one derived from it, through any connection that
// uses this library carries it, including calls to another Clarifai
// connection or account. Use a context without the override where that
// matters, or CallKey, which applies to one call only.
//
// Clarifai reports most failures inside a successful reply. The
// interceptors read the reply's status field and turn a failure into a
// *scopes.Error with the right gRPC code; WithStatusCheck narrows that and
// WithoutStatusCheck turns it off. WithPreflight refuses a call the key is
// not scoped for before it is sent.
//
// Options are given when building an interceptor, and CallKey,
// WithStatusCheck, WithoutStatusCheck and WithStreamEnd also per call, as
// grpc.CallOptions (see Option). Streams end on a failure in their first
// reply or a connection-level one (see WithStreamEnd); a later reply that
// reports one item's failure is delivered as it is.
//
// Every error the interceptors return has the call's secret replaced by its
// redacted form, should the server echo it; a Source that implements
// keysource.Invalidator is told when the server rejects its key.
//
// PerRPCCredentials, like the connection the root package's DialOptions
// builds, sends keys only over a connection that reports transport security
// (TLS, ALTS); AllowInsecureTransport opts in to plaintext for a local
// server or a test.
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
// Every retry attempt then resolves the key again (a rotated key is used by
// the next attempt) and the in-band status check gives retry the gRPC code
// it decides on; clarifaiauth.RetryOptions retries what scopes.Retriable
// says can succeed on another try, with waits sized for Clarifai's
// throttling.
// Whatever order, the credential is added to the metadata only, never to a
// log or span attribute by this package.
package interceptor
