package interceptor_test

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/callinfo"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"google.golang.org/grpc"
)

// repeatUnary is a retry interceptor of another library: it sends every
// call twice, and sets no "x-retry-attempt" header.
func repeatUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
		return err
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// repeatStream opens every stream twice, as repeatUnary: the first is
// cancelled, the second kept.
func repeatStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	firstCtx, cancel := context.WithCancel(ctx)
	first, err := streamer(firstCtx, desc, cc, method, opts...)
	cancel()
	if err == nil {
		for first.RecvMsg(new(pb.MultiOutputResponse)) == nil {
		}
	}
	return streamer(ctx, desc, cc, method, opts...)
}

// TestRetryKnownFromTheCall: with the call's record chained before a retry
// interceptor that sets no header, the limiter hears the second attempt of
// a call as a retry, and the first attempt of the next call as none.
func TestRetryKnownFromTheCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &recLimiter{}
	opts := []interceptor.Option{interceptor.WithThrottle(l)}
	srv, conn := clarifaifake.NewForTest(t, secure,
		grpc.WithChainUnaryInterceptor(callinfo.Unary, repeatUnary, interceptor.UnaryClient(staticSource(sourceKey), opts...)),
		grpc.WithChainStreamInterceptor(callinfo.Stream, repeatStream, interceptor.StreamClient(staticSource(sourceKey), opts...)))
	srv.AddPAT(sourceKey, []string{"All"}, nil)
	client := pb.NewV2Client(conn)

	for range 2 {
		if _, err := client.PostModelOutputs(ctx, predictReq()); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := client.GenerateModelOutputs(ctx, predictReq())
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	waits, _ := l.got()
	var retries []bool
	for _, w := range waits {
		retries = append(retries, w.retry)
	}
	// Two unary calls, then one stream, each sent twice.
	if want := []bool{false, true, false, true, false, true}; !slices.Equal(retries, want) {
		t.Errorf("the limiter's retry flags = %v, want %v", retries, want)
	}
}
