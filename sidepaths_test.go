package clarifaiauth_test

// Part of the adversarial suite: the side paths (issue 23).
//
// Attacks covered here:
//   - %#v of Settings showing what String hides: TestAttackSettingsGoString
//   - a request tag gRPC would refuse on every call: TestAttackNewClientRequestTag

import (
	"fmt"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
)

// TestAttackSettingsGoString: every fmt verb shows Settings as String does:
// the key redacted, and no user, app or context name String leaves out.
func TestAttackSettingsGoString(t *testing.T) {
	cleanEnv(t)
	key := testutil.Marker(t)
	t.Setenv("CLARIFAI_PAT", key)
	t.Setenv("CLARIFAI_USER_ID", "me")
	s, err := clarifaiauth.Resolve(clarifaiauth.WithAPIBase("api.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.NoSecretIn(t, "Settings", s, key)
	want := s.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(verb, s); got != want {
			t.Errorf("%s = %q, want String's %q", verb, got, want)
		}
	}
}

// TestAttackNewClientRequestTag: NewClient refuses a request tag gRPC
// would refuse on every call, or a huge one, with an error, before
// reading anything.
func TestAttackNewClientRequestTag(t *testing.T) {
	cleanEnv(t)
	for _, tag := range []string{"a\r\nb", "\x00", strings.Repeat("x", 1<<20)} {
		conn, err := clarifaiauth.NewClient(clarifaiauth.WithInterceptorOptions(interceptor.WithRequestTag(tag)))
		if err == nil {
			conn.Close()
			t.Fatalf("NewClient accepted tag %.20q", tag)
		}
		if !strings.Contains(err.Error(), "WithRequestTag") {
			t.Errorf("NewClient(%.20q) = %v, want an error naming WithRequestTag", tag, err)
		}
		if _, err := clarifaiauth.Resolve(clarifaiauth.WithInterceptorOptions(interceptor.WithRequestTag(tag))); err == nil {
			t.Errorf("Resolve accepted tag %.20q", tag)
		}
	}
}
