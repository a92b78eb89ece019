package clarifaiauth_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
)

// NewClient dials with the key, the server and the default app from the
// environment, as Clarifai's SDKs read them. Here the server is a local
// fake, so the connection is told to allow plaintext; against Clarifai,
// NewClient() alone does it.
func ExampleNewClient() {
	fake, err := clarifaifake.New()
	if err != nil {
		log.Fatal(err)
	}
	fake.AddPAT(examplePAT, []string{"All"}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go fake.Serve(lis)
	defer fake.Stop()
	os.Setenv("CLARIFAI_PAT", examplePAT)
	defer os.Unsetenv("CLARIFAI_PAT")

	conn, err := clarifaiauth.NewClient(
		clarifaiauth.WithAPIBase("http://"+lis.Addr().String()),
		clarifaiauth.WithInterceptorOptions(interceptor.AllowInsecureTransport()),
	)
	if err != nil {
		log.Fatal(err) // for example, no key anywhere
	}
	defer conn.Close()

	code, err := predictModel(context.Background(), conn, fake)
	fmt.Println(code, err)
	// Output: SUCCESS <nil>
}

// Resolve says what NewClient will use and where each setting came from,
// with the key redacted.
func ExampleResolve() {
	os.Setenv("CLARIFAI_PAT", examplePAT)
	defer os.Unsetenv("CLARIFAI_PAT")
	os.Setenv("CLARIFAI_USER_ID", "me")
	defer os.Unsetenv("CLARIFAI_USER_ID")
	os.Setenv("CLARIFAI_APP_ID", "my-app")
	defer os.Unsetenv("CLARIFAI_APP_ID")

	s, err := clarifaiauth.Resolve(clarifaiauth.WithAPIBase("api.clarifai.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connecting to", s)
	// Output: connecting to https://api.clarifai.com:443 (WithAPIBase), user "me" ($CLARIFAI_USER_ID), app "my-app" ($CLARIFAI_APP_ID), key pat(…0001) ($CLARIFAI_PAT)
}
