// Package clarifaiotel holds a gRPC stats.Handler that makes OpenTelemetry
// traces show Clarifai's in-band failures: it wraps otelgrpc's client handler
// and marks a call's span as an error when a reply's Clarifai status says the
// call failed.
//
// Clarifai answers most failures with gRPC code OK and a failed status inside
// the reply (CONN_INSUFFICIENT_SCOPES, CONN_THROTTLED, …). otelgrpc's handler
// ends the call's span inside the transport, before any interceptor reads the
// reply, so without this package such calls show as green spans. Wrap it:
//
//	conn, err := clarifaiauth.NewClient(
//		clarifaiauth.WithDialOptions(grpc.WithStatsHandler(clarifaiotel.Wrap(otelgrpc.NewClientHandler()))),
//		clarifaiauth.WithInterceptorOptions(interceptor.WithPreflight(preflight.New())),
//	)
//
// For every reply the call receives, the handler reads the reply's status by
// protobuf reflection (cached per message type; see scopes.CheckReply). When
// the code is a failure (scopes.Code.Failed by default, see WithStatusCheck):
//
//   - in the first reply of a call, or with a connection-level code (11xxx:
//     key, scopes, limits, throttling) in any reply, the span's status becomes
//     Error with the description "clarifai: <NAME> (<number>)", and the span
//     gets the attributes [CodeKey], [NameKey] and [ReqIDKey];
//   - in a later reply of a stream (a per-item failure, after which Clarifai's
//     streams go on) it adds an event named [ItemFailureEvent] with the same
//     attributes and the reply's index, and leaves the span's status alone.
//
// This is the rule the library's stream interceptor follows to decide whether
// a reply ends a stream. Progress and state statuses (UPLOAD_IN_PROGRESS,
// MODEL_BUILDING, …) are not failures and leave the span alone. A unary call
// has one reply, so an in-band failure always marks it.
//
// Nothing from the request reaches the span, and of the server's text only
// the req_id does, bounded and stripped to printable ASCII: the status
// description and details are left out, because a server may echo the
// caller's credential there. In the req_id, and in a gRPC error's message
// (which otelgrpc puts in the span's status description), the credential the
// call's outgoing metadata carries (where the library's interceptors put it)
// is replaced by "[redacted]"; a credential sent only by per-RPC credentials
// is out of the handler's reach.
//
// Each in-band failure also adds one to the counter [FailureMetric] of the
// meter provider given with WithMeterProvider (otel's global one by default).
// otelgrpc's own metrics are left as they are.
//
// Only programs that import this package link OpenTelemetry through it; the
// rest of the library does not depend on it.
package clarifaiotel
