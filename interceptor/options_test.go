package interceptor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
)

// optionSpy is an interceptor placed after the one under test: it records
// whether any of this package's Options reached it.
type optionSpy struct{ leaked, last int }

func (s *optionSpy) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	s.count(opts)
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (s *optionSpy) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s.count(opts)
	return streamer(ctx, desc, cc, method, opts...)
}

func (s *optionSpy) count(opts []grpc.CallOption) {
	s.last = len(opts)
	for _, o := range opts {
		if _, ok := o.(interceptor.Option); ok {
			s.leaked++
		}
	}
}

func TestPerCallOptions(t *testing.T) {
	spy := &optionSpy{}
	e := newEnv(t, staticSource(sourceKey), nil,
		grpc.WithChainUnaryInterceptor(spy.unary), grpc.WithChainStreamInterceptor(spy.stream))
	e.srv.SetStatus(predictPath, 11005, "throttled", "")
	ctx := context.Background()

	// Checked by default, not for the one call that says so.
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); !errors.Is(err, scopes.ErrThrottled) {
		t.Fatalf("default: %v, want ErrThrottled", err)
	}
	resp, err := e.client.PostModelOutputs(ctx, predictReq(), interceptor.WithStatusCheck(nil))
	if err != nil || resp.GetStatus().GetCode() != 11005 {
		t.Fatalf("WithoutStatusCheck on the call: %v, %v", resp.GetStatus(), err)
	}
	// A narrower check on the call.
	only11007 := interceptor.WithStatusCheck(func(c scopes.Code) bool { return c == scopes.Code(11007) })
	if _, err := e.client.PostModelOutputs(ctx, predictReq(), grpc.WaitForReady(false), only11007, grpc.WaitForReady(false)); err != nil {
		t.Fatalf("narrowed check on the call, between gRPC options: %v", err)
	}
	// The generated client's StaticMethod, the two WaitForReady and the
	// transport guard.
	if spy.last != 4 {
		t.Errorf("the next interceptor saw %d call options, want 4", spy.last)
	}
	// Streams too.
	e.srv.SetStreamCodes(generatePath, 11005)
	stream, err := e.client.GenerateModelOutputs(ctx, predictReq(), interceptor.WithStatusCheck(nil))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := stream.Recv(); err != nil || m.GetStatus().GetCode() != 11005 {
		t.Fatalf("stream WithoutStatusCheck: %v, %v", m.GetStatus(), err)
	}
	if spy.leaked != 0 {
		t.Errorf("%d Options reached the next interceptor", spy.leaked)
	}
}

func TestBuildTimeCallKey(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), []interceptor.Option{interceptor.CallKey(keyOf(callKey))})
	ctx := keysource.WithKey(context.Background(), keyOf(contextKey))
	if _, err := e.client.PostModelOutputs(ctx, predictReq()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PostModelOutputs(ctx, predictReq(), interceptor.CallKey(keyOf(handKey))); err != nil {
		t.Fatal(err)
	}
	calls := e.srv.Calls()
	for i, want := range []string{"Key " + callKey, "Key " + handKey} {
		if _, got := credentialOf(t, calls[i]); got != want {
			t.Errorf("call %d carried %q, want %q", i, got, want)
		}
	}
}

// TestBuildOnlyOptionsAreNoCallOptions: a build-only option given to a
// call does not compile, because it is no grpc.CallOption.
func TestBuildOnlyOptionsAreNoCallOptions(t *testing.T) {
	for _, opt := range []interceptor.Option{
		interceptor.WithPreflight(preflight.New()), interceptor.AllowInsecureTransport(),
		interceptor.WithRequestTag(""), interceptor.WithUserApp("u", "a"), interceptor.WithThrottle(nil),
	} {
		if _, ok := opt.(grpc.CallOption); ok {
			t.Errorf("%T is a grpc.CallOption", opt)
		}
	}
	for _, opt := range []interceptor.CallOption{
		interceptor.CallKey(keyOf(callKey)), interceptor.WithStatusCheck(nil),
	} {
		var _ grpc.CallOption = opt
	}
}

// TestOptionPrintsNoSecret: an Option holding a key prints no secret,
// whatever the verb.
func TestOptionPrintsNoSecret(t *testing.T) {
	marker := testutil.Marker(t)
	for _, opt := range []interceptor.Option{
		interceptor.CallKey(mustKey(keysource.KindPAT, marker)),
		interceptor.CallKey(mustKey(keysource.KindSessionToken, marker)),
	} {
		testutil.NoSecretIn(t, "CallKey option", opt, marker)
	}
}
