// Package clarifaiotel holds a gRPC stats.Handler that makes OpenTelemetry
// traces show Clarifai's in-band failures: it wraps otelgrpc's client handler,
// reads the Clarifai status of every reply the call receives, and marks the
// call's span as an error when that status says the call failed.
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
// When a reply's code is a failure (by the call's interceptor.WithStatusCheck;
// by scopes.Code.Failed without one or with the check off):
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
// a reply ends a stream. Progress and state statuses are not failures.
//
// Of the server's text only the req_id reaches the span, bounded and
// stripped, and the call's credential is replaced by "[redacted]" there and
// in a gRPC error's message; docs/observability.md has the details. Each
// in-band failure also adds one to the counter [FailureMetric] of the meter
// provider given with WithMeterProvider (otel's global one by default).
//
// Only programs that import this package link OpenTelemetry through it.
package clarifaiotel
