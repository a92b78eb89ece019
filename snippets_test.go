//lint:file-ignore SA4006 snippets show consecutive calls whose results a reader would use

package clarifaiauth_test

// The functions in this file hold, verbatim, the Go snippets of README.md and
// of the doc comments that call Clarifai's generated client (docs_test.go
// checks that every snippet appears in some test function). They compile
// against the test fixture, whose package, message and method names are
// Clarifai's, so the snippets compile against Clarifai's own client too. The
// ones that can run against the fake server do, in the tests below.

import (
	"bytes"
	"context"
	"errors"
	"log"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaiotel"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

// quickStart is the README's first snippet and the root package's doc.
func quickStart(ctx context.Context, req *pb.PostModelOutputsRequest) {
	// Reads the key, the server and the default app as Clarifai's SDKs do:
	// CLARIFAI_PAT (or the Clarifai CLI's login), CLARIFAI_API_BASE,
	// CLARIFAI_USER_ID and CLARIFAI_APP_ID.
	conn, err := clarifaiauth.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn) // Clarifai's generated client, any version

	resp, err := client.PostModelOutputs(ctx, req)
	var se *scopes.Error
	if errors.As(err, &se) && errors.Is(err, scopes.ErrInsufficientScopes) {
		log.Printf("key lacks %v (or endpoint %v)", se.Missing, se.MissingEndpoints)
	}
	_ = resp
}

// TestQuickStart runs the first snippet against the fake server over TLS,
// with a key that lacks scopes, as a new user would meet it.
func TestQuickStart(t *testing.T) {
	cleanEnv(t)
	caPEM, serverCert := newCA(t)
	fake, addr := serveFake(t, tlsListener(serverCert))
	fake.AddPAT("quickstart-pat-0123456789abcdef", []string{"Predict"}, nil)
	t.Setenv("CLARIFAI_API_BASE", "https://"+addr)
	t.Setenv("CLARIFAI_ROOT_CERTIFICATES_PATH", writeTemp(t, caPEM))
	t.Setenv("CLARIFAI_PAT", "quickstart-pat-0123456789abcdef")
	t.Setenv("CLARIFAI_USER_ID", "me")
	t.Setenv("CLARIFAI_APP_ID", "my-app")

	var out bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&out)
	quickStart(context.Background(), &pb.PostModelOutputsRequest{ModelId: "my-model"}) // a model of your own app
	if got := out.String(); !strings.Contains(got, "key lacks [Apps:Get Concepts:Get Models:Get] (or endpoint [/clarifai.api.V2/PostModelOutputs])") {
		t.Errorf("log = %q, want the missing scopes", got)
	}
	if ua := fake.Calls()[0].Requests()[0].(*pb.PostModelOutputsRequest).GetUserAppId(); ua.GetUserId() != "me" || ua.GetAppId() != "my-app" {
		t.Errorf("the request named %v, want me/my-app from the environment", ua)
	}
}

// overrides are the README's per-request key snippets.
func overrides(ctx context.Context, client pb.V2Client, req *pb.PostModelOutputsRequest, tenantPAT string) error {
	// Validate a per-request key once, where it comes in:
	otherPAT, err := keysource.NewKey(keysource.KindPAT, tenantPAT)
	if err != nil {
		return err // wraps keysource.ErrInvalidKey; never holds the secret
	}

	// On everything done with this context:
	resp, err := client.PostModelOutputs(keysource.WithKey(ctx, otherPAT), req)

	// On one call only:
	resp, err = client.PostModelOutputs(ctx, req, interceptor.CallKey(otherPAT))
	_ = resp
	return err
}

// perCallOptions holds the interceptor package's per-call snippets.
func perCallOptions(ctx context.Context, client pb.V2Client, req *pb.PostInputsRequest, src keysource.Source, pat keysource.Key) {
	ic := interceptor.UnaryClient(src)                                         // checks every reply…
	resp, err := client.PostInputs(ctx, req, interceptor.WithStatusCheck(nil)) // …but this one
	_, _, _ = ic, resp, err
	{
		resp, err := client.PostInputs(ctx, req, interceptor.CallKey(pat))
		_, _ = resp, err
	}
	{
		resp, err := client.PostInputs(ctx, req, interceptor.WithStatusCheck(nil))
		_, _ = resp, err
	}
}

// ownClient is the README's and DialOptions' snippet for programs that dial
// with grpc.NewClient themselves.
func ownClient(src keysource.Source, logger logging.Logger) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient("api.clarifai.com:443", append([]grpc.DialOption{
		grpc.WithTransportCredentials(credentials.NewTLS(nil)),
		grpc.WithStatsHandler(clarifaiotel.Wrap(otelgrpc.NewClientHandler())), // traces see in-band failures
		grpc.WithChainUnaryInterceptor(
			logging.UnaryClientInterceptor(logger), // one line per call, with its final error
			retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...),
		),
	}, clarifaiauth.DialOptions(src)...)...) // runs on every attempt
	return conn, err
}

// plaintext is DialOptions' snippet for a local server.
func plaintext(src keysource.Source) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient("localhost:50051", append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)...)
	return conn, err
}

// chainOrder is the interceptor package's and RetryOptions' chain snippet.
func chainOrder(src keysource.Source, logger logging.Logger) grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(
		logging.UnaryClientInterceptor(logger), // sees each call once, with its final error
		retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...),
		interceptor.UnaryClient(src), // runs on every attempt
	)
}

// newClientWithTracing is the README's NewClient with tracing.
func newClientWithTracing() (*grpc.ClientConn, error) {
	conn, err := clarifaiauth.NewClient(
		clarifaiauth.WithDialOptions(grpc.WithStatsHandler(clarifaiotel.Wrap(otelgrpc.NewClientHandler()))),
		clarifaiauth.WithInterceptorOptions(interceptor.WithPreflight(preflight.New())),
	)
	return conn, err
}

// keySources holds the README's key source snippets.
func keySources() (keysource.Source, error) {
	src := keysource.File("/var/run/secrets/clarifai/pat", keysource.KindPAT)

	pat, err := keysource.NewKey(keysource.KindPAT, "…a PAT from your secret store…")
	if err != nil {
		return nil, err
	}
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithSource(pat)) // a Key is a Source
	_, _ = src, conn
	return pat, err
}

// The snippets that need Clarifai's API or a real key are compiled, not run.
var _ = []any{overrides, perCallOptions, ownClient, plaintext, chainOrder, newClientWithTracing, keySources}

// observabilitySnippets holds docs/observability.md's snippets.
func observabilitySnippets(ctx context.Context, client pb.V2Client, req *pb.PostModelOutputsRequest, mp metric.MeterProvider) {
	{
		_, err := client.PostModelOutputs(ctx, req)
		var se *scopes.Error
		throttled := errors.As(err, &se) && se.Code == 11005 // the server throttled the call
		unsent := errors.Is(err, throttle.ErrLimited)        // and its retry was not sent
		code := status.Code(err)                             // the last attempt's gRPC code
		_, _, _ = throttled, unsent, code
	}
	{
		l := clarifaiotel.Limiter(throttle.Local(15, 15), clarifaiotel.WithMeterProvider(mp))
		conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(interceptor.WithThrottle(l)))
		_, _ = conn, err
	}
}

var _ = observabilitySnippets

// interceptorOptionsSnippet holds docs/client.md's snippet on giving
// interceptor options to NewClient.
func interceptorOptionsSnippet(l interceptor.Limiter) {
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(
		interceptor.WithUserApp("me", "my-app"), // wins over CLARIFAI_USER_ID and CLARIFAI_APP_ID; Resolve shows it
		interceptor.WithThrottle(l),
	))
	_, _ = conn, err
}

var _ = interceptorOptionsSnippet
