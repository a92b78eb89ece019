package throttle

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrLimited is what errors.Is finds in the error of a call that a Limiter
// refused to send: its token would come after the call's deadline, or the
// retry budget is spent. The error's gRPC code is ResourceExhausted.
var ErrLimited = errors.New("throttle: call not sent")

// refusal is a Limiter's refusal to send a call.
type refusal struct{ msg string }

func (e *refusal) Error() string              { return e.msg }
func (e *refusal) Is(target error) bool       { return target == ErrLimited }
func (e *refusal) GRPCStatus() *status.Status { return status.New(codes.ResourceExhausted, e.msg) }

var (
	errDeadline = &refusal{"throttle: call not sent: its rate-limit token comes after its deadline"}
	errBudget   = &refusal{"throttle: call not sent: too many throttled replies for this credential to retry now"}
)

// contextError is the gRPC error of a call whose context ended while it
// waited for its token.
func contextError(ctx context.Context) error {
	return status.FromContextError(ctx.Err()).Err()
}
