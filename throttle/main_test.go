package throttle_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// Redis limiter asks Redis in goroutines of its own, which must all end.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{}) // the tests kill Redis on purpose
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// A Limiter is what the interceptors take.
var _ interceptor.Limiter = (*throttle.Limiter)(nil)
