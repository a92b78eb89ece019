package scopes

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Retriable reports whether err is worth retrying as it is, after a pause:
// true for throttling, TRY_AGAIN and busy or unavailable servers (in-band or
// in a gRPC error's details) and for Unavailable without a Clarifai status.
// It is the predicate for go-grpc-middleware's retry.WithRetriable, whose
// default also retries limits that do not clear by waiting.
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
