package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// A Local limiter of one call a second: the first call with a key goes at
// once; the next would wait a second, past its deadline, so it fails at
// once, unsent; another key has a budget of its own. The interceptors make
// these calls for you (interceptor.WithThrottle).
func ExampleLocal() {
	l := throttle.Local(1, 1)
	fmt.Println(l.Wait(context.Background(), "key-a", false))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := l.Wait(ctx, "key-a", false)
	fmt.Println(errors.Is(err, throttle.ErrLimited), status.Code(err))
	fmt.Println(l.Wait(ctx, "key-b", false))
	// Output:
	// <nil>
	// true ResourceExhausted
	// <nil>
}

// Forty pods share Clarifai's default rate, 15 calls a second, through one
// Redis; while Redis is down, each paces itself at its share.
func ExampleRedis() {
	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
	defer rdb.Close()
	l := throttle.Redis(rdb, 15, 15,
		throttle.FallbackRate(15.0/40, 1),
		throttle.Logger(slog.Default()))

	conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	// ... pb.NewV2Client(conn) ...
}

// The same limiter on a connection of your own, with one budget for every
// key of the account.
func ExampleAccount() {
	l := throttle.Local(15, 15, throttle.Account("my-account"))
	opts := clarifaiauth.DialOptions(keysource.Env(), interceptor.WithThrottle(l))
	_ = opts // grpc.NewClient(target, append(opts, transportCredentials)...)
}

// snippets holds the package doc's and the README's snippets, so that they
// compile (see the root package's TestDocSnippetsCompile).
func snippets(t *testing.T, rdb *redis.Client, src keysource.Source) {
	{
		l := throttle.Redis(rdb, 15, 15)
		conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)))
		// or, for a connection of your own:
		opts := clarifaiauth.DialOptions(src, interceptor.WithThrottle(l))
		_, _, _ = conn, err, opts
	}
	{
		rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
		l := throttle.Redis(rdb, 15, 15) // shared by every pod using this Redis
		conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)))
		// or, on a connection you dial yourself:
		opts := clarifaiauth.DialOptions(src, interceptor.WithThrottle(l))
		_, _, _ = conn, err, opts
	}
	{
		l := throttle.Local(15, 15)
		opts := clarifaiauth.DialOptions(src, interceptor.WithThrottle(l))
		_ = opts
		fake, conn := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(src,
			interceptor.AllowInsecureTransport(), interceptor.WithThrottle(l))...)
		fake.SetRateLimit(15, 15)
		_ = conn
	}
}

var _ = snippets
