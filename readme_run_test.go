package clarifaiauth_test

import (
	"bytes"
	"log"
	"strings"
	"testing"

	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

// TestReadmeProgram runs the README's first program (readme_program_test.go)
// against the fake server over TLS, configured only through the environment
// as the README says, with a PAT that may predict and a default app that a
// request to a public model must not use.
func TestReadmeProgram(t *testing.T) {
	cleanEnv(t)
	caPEM, serverCert := newCA(t)
	fake, addr := serveFake(t, tlsListener(serverCert))
	fake.AddPAT("readme-pat-0123456789abcdef", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	t.Setenv("CLARIFAI_API_BASE", "https://"+addr)
	t.Setenv("CLARIFAI_ROOT_CERTIFICATES_PATH", writeTemp(t, caPEM))
	t.Setenv("CLARIFAI_PAT", "readme-pat-0123456789abcdef")
	t.Setenv("CLARIFAI_USER_ID", "me")
	t.Setenv("CLARIFAI_APP_ID", "my-app")

	var out bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&out)
	main()

	if got := out.String(); !strings.Contains(got, "general-image-recognition sees [fake]") {
		t.Errorf("the program logged %q, want the concept the fake sees", got)
	}
	if strings.Contains(out.String(), "readme-pat-0123456789abcdef") {
		t.Error("the program's log shows the key")
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("the fake saw %d calls, want 1: %v", len(calls), calls)
	}
	req := calls[0].Requests()[0].(*pb.PostModelOutputsRequest)
	if ua := req.GetUserAppId(); ua.GetUserId() != "clarifai" || ua.GetAppId() != "main" {
		t.Errorf("the request named %v, want clarifai/main (a public model's app), not the default me/my-app", ua)
	}
}
