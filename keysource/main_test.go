package keysource

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: Cached
// starts refresh goroutines, and they must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
