package interceptor_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const (
	generatePath = "/clarifai.api.V2/GenerateModelOutputs"
	streamPath   = "/clarifai.api.V2/StreamModelOutputs"
)

func TestServerStream(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []interceptor.Option
	}{
		{"checked", nil},
		{"unchecked", []interceptor.Option{interceptor.WithStatusCheck(nil)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, staticSource(sourceKey), tt.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, "x-custom", "kept")
			stream, err := e.client.GenerateModelOutputs(ctx, predictReq(), interceptor.CallKey(keyOf(callKey)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Header(); err != nil {
				t.Errorf("Header: %v", err)
			}
			if stream.Context() == nil {
				t.Error("Context is nil")
			}
			n := 0
			for {
				resp, err := stream.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Recv: %v", err)
				}
				if len(resp.GetOutputs()) == 0 {
					t.Error("stream message lost its outputs")
				}
				n++
			}
			if n != 3 {
				t.Errorf("received %d messages, want 3", n)
			}
			_ = stream.Trailer() // must not panic or block once the stream is over
			c := e.onlyCall(t)
			if _, v := credentialOf(t, c); v != "Key "+callKey {
				t.Errorf("stream carried %q, want the CallKey", v)
			}
			if got := c.Header("x-custom"); len(got) != 1 {
				t.Errorf("x-custom = %q", got)
			}
		})
	}
}

func TestServerStreamFailedMessage(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	e.srv.SetStreamCodes(generatePath, 10000, 11005, 10000)
	stream, err := e.client.GenerateModelOutputs(context.Background(), predictReq())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first message: %v", err)
	}
	_, err = stream.Recv()
	if status.Code(err) != codes.ResourceExhausted || !errors.Is(err, scopes.ErrThrottled) {
		t.Fatalf("second message: err = %v, want ResourceExhausted ErrThrottled", err)
	}
	// The stream is over: the same error again, not the third message.
	if _, again := stream.Recv(); !errors.Is(again, scopes.ErrThrottled) {
		t.Errorf("Recv after failure = %v, want the same error", again)
	}
	// The underlying stream was cancelled, although the caller never
	// cancelled its context: nothing keeps receiving from the server.
	if err := stream.Context().Err(); err != context.Canceled {
		t.Errorf("stream context after a failed status: %v, want context.Canceled", err)
	}
}

func TestBidiStream(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := e.client.StreamModelOutputs(keysource.WithKey(ctx, keyOf(contextKey)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := stream.Send(predictReq()); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if resp.GetStatus().GetCode() != pb.StatusCode_SUCCESS {
			t.Errorf("Recv %d: status %v", i, resp.GetStatus())
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after CloseSend = %v, want io.EOF", err)
	}
	if _, v := credentialOf(t, e.onlyCall(t)); v != "Key "+contextKey {
		t.Errorf("stream carried %q, want the context key", v)
	}
}

func TestStreamCancellation(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := e.client.StreamModelOutputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictReq()); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("Recv after cancel = %v, want Canceled", err)
	}
}

func TestStreamLocalFailure(t *testing.T) {
	e := newEnv(t, keysource.Env("CLARIFAIAUTH_TEST_UNSET"), nil)
	_, err := e.client.StreamModelOutputs(context.Background())
	if status.Code(err) != codes.Unauthenticated || !errors.Is(err, keysource.ErrNoKey) {
		t.Fatalf("err = %v, want Unauthenticated ErrNoKey", err)
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("server saw %d calls", n)
	}
}

// TestStreamInterceptorOrder checks the stream interceptor chains with
// others in both orders and each sees the credential-bearing context.
func TestStreamInterceptorOrder(t *testing.T) {
	var seen []string
	spy := func(name string) grpc.StreamClientInterceptor {
		return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			seen = append(seen, name+":"+string(rune('0'+len(metadata.ValueFromOutgoingContext(ctx, "authorization")))))
			return streamer(ctx, desc, cc, method, opts...)
		}
	}
	e := newEnv(t, nil, nil) // the interceptor under test is added below, in the middle
	e.conn.Close()
	src := staticSource(sourceKey)
	conn, err := e.srv.Dial(secure, grpc.WithChainStreamInterceptor(spy("before"), interceptor.StreamClient(src), spy("after")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := pb.NewV2Client(conn).GenerateModelOutputs(context.Background(), predictReq())
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
	}
	if got := []string{"before:0", "after:1"}; len(seen) != 2 || seen[0] != got[0] || seen[1] != got[1] {
		t.Errorf("interceptors saw %v, want %v", seen, got)
	}
}
