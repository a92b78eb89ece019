package clarifaiauth_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/version"
)

// BenchmarkCall measures one unary call through each way of
// authenticating a connection, in one run, over loopback TCP to the fake
// server: the hand-written headers (authorization and the request tag, as
// the library sends them), DialOptions, and NewClient. DialOptions is
// given what NewClient adds (its message size limits, and its retry when
// NewClient has one), so that the two are compared with the same options.
// The last two run over a transport that reports privacy and integrity,
// where DialOptions applies the transport rule.
// Run: go test -run '^$' -bench '^BenchmarkCall$' -benchmem -count 6 .
func BenchmarkCall(b *testing.B) {
	fake, err := clarifaifake.New()
	if err != nil {
		b.Fatal(err)
	}
	key := strings.Clone(clientPAT) // built at run time, as a real key is
	fake.AddPAT(key, []string{"All"}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go fake.Serve(lis)
	defer fake.Stop()
	addr := lis.Addr().String()
	src := staticSource(key)
	tag := "clarifaiauth-go-" + version.Version
	plain := grpc.WithTransportCredentials(insecure.NewCredentials())
	sizes := grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20), grpc.MaxCallSendMsgSize(128<<20))
	withRetry := grpc.WithChainUnaryInterceptor(retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...))
	insecureOK := interceptor.AllowInsecureTransport() // as NewClient gives itself for a base on loopback

	dial := func(opts ...grpc.DialOption) pb.V2Client {
		conn, err := grpc.NewClient(addr, opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		return pb.NewV2Client(conn)
	}
	newClient := func(opts ...clarifaiauth.Option) pb.V2Client {
		opts = append(opts, clarifaiauth.WithAPIBase("http://"+addr), clarifaiauth.WithSource(src))
		conn, err := clarifaiauth.NewClient(opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		return pb.NewV2Client(conn)
	}
	ctx := context.Background()
	req := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}, ModelId: "m"}
	byHand := func(c pb.V2Client) func() error {
		return func() error {
			_, err := c.PostModelOutputs(metadata.AppendToOutgoingContext(ctx,
				"authorization", "Key "+key, "x-clarifai-request-id-prefix", tag), req)
			return err
		}
	}
	byLib := func(c pb.V2Client) func() error {
		return func() error {
			_, err := c.PostModelOutputs(ctx, req)
			return err
		}
	}
	for _, bc := range []struct {
		name string
		call func() error
	}{
		{"a-hand-written", byHand(dial(plain, sizes))},
		{"b-dial-options", byLib(dial(append(clarifaiauth.DialOptions(src, insecureOK), plain, sizes)...))},
		{"c-new-client-no-retry", byLib(newClient(clarifaiauth.WithoutRetry()))},
		{"d-hand-written-retry", byHand(dial(plain, sizes, withRetry))},
		{"e-dial-options-retry", byLib(dial(append([]grpc.DialOption{plain, sizes, withRetry}, clarifaiauth.DialOptions(src, insecureOK)...)...))},
		{"f-new-client", byLib(newClient())},
		{"g-hand-written-secure", byHand(dial(secure))},
		{"h-dial-options-secure", byLib(dial(append(clarifaiauth.DialOptions(src), secure)...))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := bc.call(); err != nil {
					b.Fatal(err)
				}
				if n++; n%1024 == 0 {
					fake.ResetCalls() // the fake records every call
				}
			}
		})
	}
}
