package clarifaiauth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
)

// TestAttackHungReadsBoundedByTheCaller: a CA bundle whose read hangs (a
// stuck mount, /proc/kmsg) holds NewClient and Resolve no longer than
// WithReadTimeout, with an error naming the variable that named it.
func TestAttackHungReadsBoundedByTheCaller(t *testing.T) {
	cleanEnv(t)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, []byte("never read"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLARIFAI_ROOT_CERTIFICATES_PATH", bundle)
	_, release := safefile.HangForTest(bundle)
	defer release()
	start := time.Now()
	_, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("https://api.example.com"),
		clarifaiauth.WithSource(staticSource(clientPAT)), clarifaiauth.WithReadTimeout(300*time.Millisecond))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("NewClient took %v with WithReadTimeout(300ms)", took)
	}
	if err == nil || !strings.Contains(err.Error(), "CLARIFAI_ROOT_CERTIFICATES_PATH") {
		t.Errorf("err = %v, want it to name CLARIFAI_ROOT_CERTIFICATES_PATH", err)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := clarifaiauth.NewClient(clarifaiauth.WithReadTimeout(d)); err == nil || !strings.Contains(err.Error(), "WithReadTimeout("+d.String()+")") {
			t.Errorf("WithReadTimeout(%v): err = %v, want one naming the value", d, err)
		}
	}
}

// TestNewClientReadsNoConfigWhenAllIsGiven: with the base, the user and app
// (WithUserApp) and the key given, NewClient does not open the CLI's
// config, so a hung one costs nothing.
func TestNewClientReadsNoConfigWhenAllIsGiven(t *testing.T) {
	cleanEnv(t)
	dir := filepath.Join(os.Getenv("HOME"), ".config", "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("current_context: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	started, release := safefile.HangForTest(cfg)
	defer release()
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("https://api.example.com"),
		clarifaiauth.WithSource(staticSource(clientPAT)), clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("u", "a")))
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if n := started(); n != 0 {
		t.Errorf("the CLI's config was read %d times; no setting needed it", n)
	}
}
