package localerr

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestReadsAsAStatus: an Error prints, and gives status.Code and
// status.FromError, what the plain status error it replaces gave, and its
// mark is found through wrapping.
func TestReadsAsAStatus(t *testing.T) {
	e := New(codes.Unauthenticated, "clarifaiauth: refused")
	plain := status.Error(codes.Unauthenticated, "clarifaiauth: refused")
	if e.Error() != plain.Error() {
		t.Errorf("Error() = %q, want %q", e.Error(), plain.Error())
	}
	wrapped := fmt.Errorf("call: %w", e)
	if st, ok := status.FromError(wrapped); !ok || st.Code() != codes.Unauthenticated || status.Code(wrapped) != codes.Unauthenticated {
		t.Errorf("status of the wrapped Error = %v, %v", st, ok)
	}
	var l interface{ Local() bool }
	if !errors.As(wrapped, &l) || !l.Local() {
		t.Error("the Local mark is not found through wrapping")
	}
	if errors.As(plain, &l) {
		t.Error("a plain status error carries the mark")
	}
}
