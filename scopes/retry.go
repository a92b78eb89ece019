package scopes

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Retriable reports whether err is worth retrying as it is, after a pause:
// the predicate for go-grpc-middleware's retry.WithRetriable, whose default
// would retry every ResourceExhausted, limits that do not clear by waiting.
//
// It is true for CONN_THROTTLED, CONN_EXCEED_HOURLY_LIMIT, TRY_AGAIN,
// MODEL_BUSY_PLEASE_RETRY, RUNNER_NEEDS_RETRY, RPC_SERVER_UNAVAILABLE and
// RPC_REQUEST_QUEUE_FULL (in an *Error in err's chain or a Clarifai status
// in a gRPC status' details) and for Unavailable without a Clarifai status;
// false for nil, context errors, every other code and errors without a
// status. An error in the chain with a method Retriable() bool decides
// first (a retry the limiter refused says false). It is safe for concurrent use.
func Retriable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// An error that says itself whether it is retriable decides: a call a
	// limiter refused after a retriable failure carries that failure.
	var r interface{ Retriable() bool }
	if errors.As(err, &r) {
		return r.Retriable()
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e.Code.retriable()
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	if cs, ok := wire.DetailStatus(st.Proto().GetDetails()); ok {
		return Code(cs.Code).retriable()
	}
	return st.Code() == codes.Unavailable
}

// retriable reports whether c asks the client to retry later.
func (c Code) retriable() bool {
	switch c {
	case wire.CodeConnThrottled, wire.CodeExceedHourlyLimit, wire.CodeTryAgain, wire.CodeModelBusyPleaseRetry,
		wire.CodeRunnerNeedsRetry, wire.CodeRPCServerUnavailable, wire.CodeRPCRequestQueueFull:
		return true
	}
	return false
}
