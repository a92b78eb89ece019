package redact

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// TestStatusDetailReadAsScopesReadsIt: a Clarifai status that echoes the key
// is rewritten, not dropped, under every type URL scopes reads as a Clarifai
// status (a bare type name too), so the caller still gets the server's code.
func TestStatusDetailReadAsScopesReadsIt(t *testing.T) {
	const secret = "abcdef0123456789abcdef0123456789"
	k, err := keysource.NewKey(keysource.KindAPIKey, secret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(&ct.Status{Code: ct.StatusCode_CONN_KEY_NOT_FOUND, Description: "key " + secret + " not found"})
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"type.googleapis.com/clarifai.api.status.Status", "clarifai.api.status.Status"} {
		p := status.New(codes.Unauthenticated, "denied").Proto()
		p.Details = []*anypb.Any{{TypeUrl: url, Value: b}}
		got := Error(status.ErrorProto(p), k)
		if strings.Contains(status.Convert(got).String(), secret) {
			t.Fatalf("%s: the secret survived: %v", url, got)
		}
		se, ok := scopes.FromError(got)
		if !ok || se.Code != 11009 || !strings.Contains(se.Description, k.String()) {
			t.Errorf("%s: FromError(redacted) = %v, %v; want CONN_KEY_NOT_FOUND with the key redacted", url, se, ok)
		}
	}
}
