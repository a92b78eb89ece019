// Package interceptor holds the gRPC client interceptors that put a Clarifai
// credential on every call and turn Clarifai's in-band failure statuses into
// errors. Each call runs one pipeline (pipeline.go): resolve the key and
// attach it; check the request (the key's kind, the default app, the PAT
// rule, the preflight grant); wait for the limiter; send; check the reply's
// status by protobuf reflection; cut the key out of any error.
//
// UnaryClient and StreamClient are client interceptors; PerRPCCredentials is
// the credential part alone, through gRPC's credentials hook. Each call
// carries exactly one credential header ("authorization: Key <secret>" for
// API keys and PATs, "x-clarifai-session-token" for session tokens) and the
// request tag "x-clarifai-request-id-prefix" (see WithRequestTag).
//
// Where the credential comes from, highest precedence first: CallKey (per
// call, then when building); keysource.WithKey on the context; an
// authorization header the caller appended by hand (validated, sent as it
// is); the keysource.Source the interceptor was built with.
//
// A failure inside a successful reply becomes a *scopes.Error with the
// matching gRPC code; WithStatusCheck changes which codes count. A call
// with a personal access token whose request names no app, without a
// WithUserApp default, fails unsent with FailedPrecondition. Options are
// given when building; CallOptions also per call.
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
