package clarifaiotel

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// Names this package writes on spans and metrics.
const (
	// CodeKey is the Clarifai status code number, such as 11007.
	CodeKey attribute.Key = "clarifai.status.code"
	// NameKey is the Clarifai status code name, such as
	// "CONN_INSUFFICIENT_SCOPES", taken from the library's table or the
	// program's descriptors, never from server text.
	NameKey attribute.Key = "clarifai.status.name"
	// ReqIDKey is the req_id of the failed reply, the id Clarifai's support
	// asks for: at most 128 bytes, printable ASCII only. It is left out
	// when the reply carried none.
	ReqIDKey attribute.Key = "clarifai.status.req_id"
	// FailureKey says, on [FailureMetric], whether a failure failed the call
	// ("call") or one item of a stream ("item").
	FailureKey attribute.Key = "clarifai.failure"

	// ItemFailureEvent is the name of the span event added for a per-item
	// failure: a failed status in a later reply of a stream that goes on.
	// It carries "clarifai.reply.index", the reply's position in the stream
	// from 1.
	ItemFailureEvent = "clarifai.item_failure"

	// FailureMetric is the name of the counter of in-band failures, by
	// "rpc.method" (spelled as otelgrpc spells it: "clarifai.api.V2/PostInputs"),
	// [NameKey] and [FailureKey]. Codes the program has no name for are
	// counted under the name "UNKNOWN", so a server cannot grow the number of
	// series.
	FailureMetric = "clarifai.rpc.client.failures"
)

// Names used only inside this package's output.
const (
	replyKey  attribute.Key = "clarifai.reply.index"
	methodKey attribute.Key = "rpc.method"
	// scopeName is the instrumentation scope of the meter this package uses.
	scopeName = "github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
)

// maxReqID bounds the req_id copied from a reply. Clarifai's ids are well
// under it.
const maxReqID = 128

// metricName is name for the failure counter: a code without a name (String
// spells those "CODE_<n>") counts as "UNKNOWN".
func metricName(name string) string {
	if strings.HasPrefix(name, "CODE_") {
		return "UNKNOWN"
	}
	return name
}
