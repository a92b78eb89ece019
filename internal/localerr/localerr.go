// Package localerr marks the errors this module makes itself, before or
// instead of sending a call, with a type: scopes.FromError finds the mark
// (a method Local() bool that returns true) with errors.As and never reads
// such an error as the server's verdict on a key. A server cannot forge it,
// as it could forge a message or a status detail.
package localerr

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a gRPC status error the module made itself. gRPC passes it
// through unchanged when a per-RPC credential returns it.
type Error struct {
	st   *status.Status
	text string
}

// New returns an Error with code c and message msg, printed as
// status.Error(c, msg) prints.
func New(c codes.Code, msg string) *Error {
	st := status.New(c, msg)
	return &Error{st: st, text: st.Err().Error()}
}

func (e *Error) Error() string { return e.text }

// GRPCStatus lets status.Code and status.FromError see the code and message.
func (e *Error) GRPCStatus() *status.Status { return e.st }

// Local marks e as the client's own.
func (e *Error) Local() bool { return true }
