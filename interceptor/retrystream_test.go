package interceptor_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRetryOpensStreamAgain: go-grpc-middleware's retry, put before the
// interceptors, opens a server stream again when its first opening fails
// with Unavailable (a connection in transient failure), with or without
// the preflight, which opens a stream only once it has checked the first
// message.
func TestRetryOpensStreamAgain(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []interceptor.Option
	}{
		{"without preflight", nil},
		{"with preflight", []interceptor.Option{interceptor.WithPreflight(preflight.New())}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var opens atomic.Int32
			failFirst := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
				if opens.Add(1) == 1 {
					return nil, status.Error(codes.Unavailable, "connection in transient failure")
				}
				return streamer(ctx, desc, cc, method, opts...)
			}
			src := staticSource(sourceKey)
			srv, conn := clarifaifake.NewForTest(t, secure,
				grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, tt.opts...)),
				grpc.WithChainStreamInterceptor(
					retry.StreamClientInterceptor(retry.WithMax(3), retry.WithBackoff(retry.BackoffLinear(time.Millisecond))),
					interceptor.StreamClient(src, tt.opts...),
					failFirst,
				))
			srv.AddPAT(sourceKey, []string{"All"}, nil)
			stream, err := pb.NewV2Client(conn).GenerateModelOutputs(ctx, predictReq())
			if err != nil {
				t.Fatalf("GenerateModelOutputs: %v", err)
			}
			n := 0
			for {
				_, err := stream.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Recv after %d replies: %v", n, err)
				}
				n++
			}
			if n == 0 || opens.Load() != 2 {
				t.Errorf("%d replies after %d openings, want some after 2", n, opens.Load())
			}
		})
	}
}

// TestPreflightRefusalOpensNothing: a stream the preflight refuses fails
// its first SendMsg and never reaches the hop after the interceptor.
func TestPreflightRefusalOpensNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var opens atomic.Int32
	count := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		opens.Add(1)
		return streamer(ctx, desc, cc, method, opts...)
	}
	src := staticSource(limitedKey)
	opts := []interceptor.Option{interceptor.WithPreflight(preflight.New())}
	srv, conn := clarifaifake.NewForTest(t, secure,
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(
			retry.StreamClientInterceptor(retry.WithMax(3), retry.WithBackoff(retry.BackoffLinear(time.Millisecond))),
			interceptor.StreamClient(src, opts...),
			count,
		))
	srv.AddPAT(limitedKey, []string{"Apps:Get"}, nil)
	_, err := pb.NewV2Client(conn).GenerateModelOutputs(ctx, predictReq())
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("GenerateModelOutputs: %v, want the preflight's refusal", err)
	}
	if n := opens.Load(); n != 0 {
		t.Errorf("the refused stream was opened %d times", n)
	}
	for _, c := range srv.Calls() {
		if c.Method != myScopesPath {
			t.Errorf("server saw %s", c.Method)
		}
	}
}
