package preflight_test

import (
	"log"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
)

// ExampleNew gives one Checker to both interceptors, so that they share
// what it learns.
func ExampleNew() {
	src := keysource.Env() // CLARIFAI_PAT, CLARIFAI_API_KEY or CLARIFAI_SESSION_TOKEN
	checker := preflight.New()
	opts := []interceptor.Option{interceptor.WithPreflight(checker)}
	conn, err := grpc.NewClient("api.clarifai.com:443",
		grpc.WithTransportCredentials(credentials.NewTLS(nil)),
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
}
