package clarifaiauth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// TestRetryPolicy chains retry before the interceptors, as the README does,
// and checks which in-band failures are tried again: a throttled call is
// retried and succeeds, a monthly limit or a missing scope is tried once.
func TestRetryPolicy(t *testing.T) {
	const key = "retry-policy-key-0123456789"
	src := staticSource(key)
	fake, conn := clarifaifake.NewForTest(t, secure,
		grpc.WithChainUnaryInterceptor(
			retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...),
			interceptor.UnaryClient(src),
		))
	fake.AddPAT(key, []string{"All"}, nil)
	client := pb.NewV2Client(conn)
	// The policy waits seconds between attempts; the test waits a millisecond.
	fast := retry.WithBackoff(retry.BackoffLinear(time.Millisecond))

	for _, tt := range []struct {
		desc      string
		failures  []int32 // in-band codes of the first replies, then SUCCESS
		wantCalls int
		wantErr   error
		wantCode  codes.Code
	}{
		{"throttled twice, then served", []int32{11005, 11005}, 3, nil, codes.OK},
		{"hourly limit, then served", []int32{11003}, 2, nil, codes.OK},
		{"model busy, then served", []int32{21354}, 2, nil, codes.OK},
		{"monthly limit: no retry", []int32{11004, 11004}, 1, scopes.ErrThrottled, codes.ResourceExhausted},
		{"missing scopes: no retry", []int32{11007, 11007}, 1, scopes.ErrInsufficientScopes, codes.PermissionDenied},
		{"throttled for good: five attempts", []int32{11005, 11005, 11005, 11005, 11005, 11005}, 5, scopes.ErrThrottled, codes.ResourceExhausted},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			var n atomic.Int32
			fake.SetReply("/clarifai.api.V2/PostModelOutputs", func(context.Context, proto.Message) ([]proto.Message, error) {
				i := int(n.Add(1)) - 1
				code := int32(10000)
				if i < len(tt.failures) {
					code = tt.failures[i]
				}
				return []proto.Message{clarifaifake.WithStatus(&pb.MultiOutputResponse{}, code, "injected", "")}, nil
			})
			_, err := client.PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{ModelId: "m"}, fast)
			if got := int(n.Load()); got != tt.wantCalls {
				t.Errorf("server answered %d calls, want %d", got, tt.wantCalls)
			}
			if status.Code(err) != tt.wantCode || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("err = %v (%v), want %v with code %v", err, status.Code(err), tt.wantErr, tt.wantCode)
			}
		})
	}
}
