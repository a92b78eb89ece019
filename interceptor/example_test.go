package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

const predict = "/clarifai.api.V2/PostModelOutputs"

// fake starts a fake Clarifai server that knows a PAT allowed to read
// apps only, and returns it with a connection through the interceptors
// built with opts.
func fake(opts ...interceptor.Option) (*clarifaifake.Server, *grpc.ClientConn) {
	srv, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	srv.AddPAT("example-pat-0000000000000000001", []string{"Apps:Get"}, nil)
	pat, err := keysource.NewKey(keysource.KindPAT, "example-pat-0000000000000000001")
	if err != nil {
		log.Fatal(err)
	}
	opts = append(opts, interceptor.AllowInsecureTransport(), interceptor.WithUserApp("me", "my-app"))
	conn, err := srv.Dial(
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(pat, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(pat, opts...)))
	if err != nil {
		log.Fatal(err)
	}
	return srv, conn
}

// A Clarifai failure comes back inside a successful reply; the interceptor
// turns it into an error that errors.Is, errors.As and status.Code read.
func ExampleUnaryClient() {
	srv, conn := fake()
	defer srv.Stop()
	defer conn.Close()

	req, reply := srv.NewRequest(predict), srv.NewReply(predict)
	err := conn.Invoke(context.Background(), predict, req, reply)

	var se *scopes.Error
	fmt.Println(errors.Is(err, scopes.ErrInsufficientScopes), status.Code(err))
	if errors.As(err, &se) {
		fmt.Println("missing:", se.Missing)
	}
	// Output:
	// true PermissionDenied
	// missing: [Concepts:Get Models:Get Predict]
}

// WithStatusCheck(nil), given to one call, leaves its reply for the caller
// to read, as with the bare Clarifai client.
func ExampleWithStatusCheck() {
	srv, conn := fake()
	defer srv.Stop()
	defer conn.Close()

	req, reply := srv.NewRequest(predict), srv.NewReply(predict)
	err := conn.Invoke(context.Background(), predict, req, reply, interceptor.WithStatusCheck(nil))
	fmt.Println(err)
	// Output:
	// <nil>
}

// CallKey sends one call with another credential than the Source's.
func ExampleCallKey() {
	srv, conn := fake()
	defer srv.Stop()
	defer conn.Close()
	srv.AddPAT("other-pat-00000000000000000000001", []string{"All"}, nil)
	other, err := keysource.NewKey(keysource.KindPAT, "other-pat-00000000000000000000001")
	if err != nil {
		log.Fatal(err)
	}

	req, reply := srv.NewRequest(predict), srv.NewReply(predict)
	err = conn.Invoke(context.Background(), predict, req, reply, interceptor.CallKey(other))
	fmt.Println(err)
	// Output:
	// <nil>
}

// countingLimiter lets every call go and counts them per credential.
type countingLimiter struct{ sent, throttled map[string]int }

func (l *countingLimiter) Wait(_ context.Context, bucket string, _ bool) error {
	l.sent[bucket]++
	return nil
}

func (l *countingLimiter) Done(bucket string, throttled bool) {
	if throttled {
		l.throttled[bucket]++
	}
}

// A Limiter sees every call before it is sent, and whether the server
// throttled it.
func ExampleWithThrottle() {
	l := &countingLimiter{sent: map[string]int{}, throttled: map[string]int{}}
	srv, conn := fake(interceptor.WithThrottle(l))
	defer srv.Stop()
	defer conn.Close()
	srv.SetStatus(predict, 11005, "throttled", "") // CONN_THROTTLED

	for range 3 {
		req, reply := srv.NewRequest(predict), srv.NewReply(predict)
		_ = conn.Invoke(context.Background(), predict, req, reply)
	}
	for bucket, n := range l.sent {
		fmt.Println("one credential:", len(l.sent) == 1, "sent:", n, "throttled:", l.throttled[bucket])
	}
	// Output:
	// one credential: true sent: 3 throttled: 3
}
