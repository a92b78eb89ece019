package scopes

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Retriable reports whether err is worth retrying as it is, after a pause:
// a Clarifai status that asks for a retry or reports throttling that clears
// with time, or a gRPC Unavailable error that carries no Clarifai status.
// It is meant as the predicate of a retry policy (go-grpc-middleware's
// retry.WithRetriable), whose default of retrying every ResourceExhausted
// would retry limits that do not clear by waiting.
//
// Retriable is true for CONN_THROTTLED, CONN_EXCEED_HOURLY_LIMIT,
// TRY_AGAIN, MODEL_BUSY_PLEASE_RETRY, RUNNER_NEEDS_RETRY,
// RPC_SERVER_UNAVAILABLE and RPC_REQUEST_QUEUE_FULL, found in an *Error in
// err's chain or in a Clarifai status packed in a gRPC status' details, and
// for a gRPC status error with code Unavailable and no Clarifai status.
// It is false for nil, for context errors (the caller's deadline or
// cancellation, also as gRPC Canceled or DeadlineExceeded), for every other
// Clarifai code (monthly limits, CONN_EXCEEDS_LIMITS, keys, scopes, bad
// requests, …), for other gRPC codes and for errors without a status.
// Retriable is safe for concurrent use.
func Retriable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e.Code.retriable()
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	if c, ok := clarifaiCodeIn(st); ok {
		return c.retriable()
	}
	return st.Code() == codes.Unavailable
}

// retriable reports whether c asks the client to retry later.
func (c Code) retriable() bool {
	switch c {
	case codeConnThrottled, codeConnExceedHourlyLimit, codeTryAgain, codeModelBusyPleaseRetry,
		codeRunnerNeedsRetry, codeRpcServerUnavailable, codeRpcRequestQueueFull:
		return true
	}
	return false
}

// clarifaiCodeIn returns the code of the first Clarifai status among st's
// details, reading at most maxDetails of them.
func clarifaiCodeIn(st *status.Status) (Code, bool) {
	for i, d := range st.Proto().GetDetails() {
		if i >= maxDetails {
			break
		}
		if !wire.IsStatusURL(d.GetTypeUrl()) {
			continue
		}
		if ws := wire.DecodeStatus(d.GetValue()); ws.Has {
			return Code(ws.Code), true
		}
	}
	return 0, false
}
