package clarifaiauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakev2"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// The examples talk to an in-memory fake of Clarifai's API that knows these
// keys. In production, dial api.clarifai.com:443 with TLS instead of
// fake.Dial:
//
//	conn, err := grpc.NewClient("api.clarifai.com:443",
//		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(nil, "")),
//		clarifaiauth.DialOptions(keysource.Default())...)
const (
	examplePAT     = "example0pat0000000000000000000001" // scoped for everything
	exampleOther   = "example0pat0000000000000000000002" // scoped for everything
	examplePredict = "example0predict0only0000000000003" // may only predict
)

func startFake() *fakev2.Server {
	fake := fakev2.New()
	fake.AddKey(examplePAT, []string{"All"}, nil)
	fake.AddKey(exampleOther, []string{"All"}, nil)
	fake.AddKey(examplePredict, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	fake.Start()
	return fake
}

// lastKey returns, redacted, the credential the fake server saw last.
func lastKey(fake *fakev2.Server) string {
	calls := fake.Calls()
	md := calls[len(calls)-1].MD
	k, err := keysource.NewKey(keysource.KindPAT, md.Get("authorization")[0][len("Key "):])
	if err != nil {
		return err.Error()
	}
	return k.String()
}

func predictRequest() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "my-app"},
		ModelId:   "general-image-recognition",
	}
}

// Dial once with DialOptions and every call carries the key from the
// environment: no metadata to append, no resp.Status.Code to check.
func Example() {
	fake := startFake()
	defer fake.Stop()
	os.Setenv("CLARIFAI_PAT", examplePAT)
	defer os.Unsetenv("CLARIFAI_PAT")

	conn, err := fake.Dial(clarifaiauth.DialOptions(keysource.Env(), interceptor.AllowInsecureTransport())...)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)

	resp, err := client.PostModelOutputs(context.Background(), predictRequest())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetStatus().GetCode(), "with key", lastKey(fake))
	// Output: SUCCESS with key pat(…0001)
}

// A per-request key wins over the connection's Source: on the context with
// keysource.WithKey, or on one call with interceptor.CallKey.
func Example_perRequestKey() {
	fake := startFake()
	defer fake.Stop()
	conn, err := fake.Dial(clarifaiauth.DialOptions(keysource.Static(examplePAT), interceptor.AllowInsecureTransport())...)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)

	other, err := keysource.NewKey(keysource.KindPAT, exampleOther)
	if err != nil {
		log.Fatal(err)
	}
	ctx := keysource.WithKey(context.Background(), other)
	if _, err := client.PostModelOutputs(ctx, predictRequest()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("WithKey:", lastKey(fake))

	predictKey, err := keysource.NewKey(keysource.KindPAT, examplePredict)
	if err != nil {
		log.Fatal(err)
	}

	if _, err := client.PostModelOutputs(context.Background(), predictRequest(), interceptor.CallKey(predictKey)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("CallKey:", lastKey(fake))
	// Output:
	// WithKey: pat(…0002)
	// CallKey: pat(…0003)
}

// A key without the scopes a method needs gets a *scopes.Error that names
// what is missing, with a gRPC code that callers and retry understand.
func Example_scopesError() {
	fake := startFake()
	defer fake.Stop()
	conn, err := fake.Dial(clarifaiauth.DialOptions(keysource.Static(examplePredict), interceptor.AllowInsecureTransport())...)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	_, err = pb.NewV2Client(conn).PostInputs(context.Background(), &pb.PostInputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "my-app"},
	})
	var se *scopes.Error
	if errors.As(err, &se) {
		fmt.Println(se.Code, status.Code(err))
		fmt.Println("missing:", se.Missing)
		fmt.Println("or endpoint:", se.MissingEndpoints)
	}
	fmt.Println(errors.Is(err, scopes.ErrInsufficientScopes))
	// Output:
	// CONN_INSUFFICIENT_SCOPES PermissionDenied
	// missing: [Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]
	// or endpoint: [/clarifai.api.V2/PostInputs]
	// true
}

// Put go-grpc-middleware's retry before the interceptor: every attempt then
// resolves the key again, and Clarifai's in-band throttling (now
// ResourceExhausted) and TRY_AGAIN (now Unavailable) are retried.
func Example_retry() {
	fake := startFake()
	defer fake.Stop()
	fake.SetStatus("/clarifai.api.V2/PostModelOutputs", 11005, "Too many requests", "")

	attempts := 0
	conn, err := fake.Dial(grpc.WithChainUnaryInterceptor(
		retry.UnaryClientInterceptor(
			retry.WithMax(3),
			retry.WithBackoff(retry.BackoffLinear(10*time.Millisecond)),
			retry.WithOnRetryCallback(func(context.Context, uint, error) {
				attempts++
				fake.ClearStatus("/clarifai.api.V2/PostModelOutputs") // the limit lifts
			}),
		),
		interceptor.UnaryClient(keysource.Static(examplePAT)),
	))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	resp, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), predictRequest())
	fmt.Println(resp.GetStatus().GetCode(), err, "after", attempts, "retry")
	// Output: SUCCESS <nil> after 1 retry
}

// A mounted secret (a Kubernetes secret volume, a Docker secret) is read
// once and re-read at an interval, so a rotated key is used without a
// restart and without a file read on every call.
func Example_mountedSecret() {
	dir, err := os.MkdirTemp("", "clarifai-secret")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pat")
	if err := os.WriteFile(path, []byte(examplePAT+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	fake := startFake()
	defer fake.Stop()
	src := keysource.File(path, keysource.FileKind(keysource.KindPAT), keysource.FileRefreshInterval(time.Minute))
	conn, err := fake.Dial(clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), predictRequest()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", lastKey(fake))
	// Output: sent pat(…0001)
}
