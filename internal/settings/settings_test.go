package settings

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
)

func cleanEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, v := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN", cliconfig.EnvAPIBase,
		cliconfig.EnvUserID, cliconfig.EnvAppID, EnvRootCertificates} {
		t.Setenv(v, "")
	}
	return filepath.Join(home, ".config", "clarifai")
}

func writeConfig(t *testing.T, dir, cfg string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPrecedence: a flag or option, then the environment, then the CLI's
// current context, then Clarifai's default; each says where it came from.
func TestPrecedence(t *testing.T) {
	dir := cleanEnv(t)
	ctx := context.Background()
	r, err := Resolve(ctx, Input{})
	if err != nil || r.APIBase.Value != cliconfig.DefaultAPIBase || r.APIBase.From != FromDefault || r.Endpoint.Addr() != "api.clarifai.com:443" {
		t.Fatalf("no settings: %+v, %v", r, err)
	}
	writeConfig(t, dir, "current_context: dev\ncontexts:\n  dev:\n    CLARIFAI_API_BASE: https://cli.example.com\n    CLARIFAI_USER_ID: cli-user\n    CLARIFAI_APP_ID: cli-app\n")
	r, err = Resolve(ctx, Input{})
	if err != nil || r.APIBase.Value != "https://cli.example.com" || !strings.Contains(r.APIBase.From, `CLI context "dev"`) || r.Context != "dev" || r.UserID.Value != "cli-user" {
		t.Fatalf("CLI: %+v, %v", r, err)
	}
	t.Setenv(cliconfig.EnvAPIBase, "https://env.example.com")
	t.Setenv(cliconfig.EnvAppID, "env-app")
	r, _ = Resolve(ctx, Input{})
	if r.APIBase.Value != "https://env.example.com" || r.APIBase.From != "$CLARIFAI_API_BASE" || r.AppID.Value != "env-app" || r.UserID.Value != "cli-user" {
		t.Fatalf("environment: %+v", r)
	}
	r, _ = Resolve(ctx, Input{APIBase: Value{"http://127.0.0.1:1", "-addr"}, UserID: Value{"flag-user", "-user"}})
	if r.APIBase.From != "-addr" || !r.Endpoint.Plaintext || r.UserID.Value != "flag-user" || r.UserID.From != "-user" || r.AppID.Value != "env-app" {
		t.Fatalf("flags: %+v", r)
	}
	if s := r.String(); !strings.Contains(s, "http://127.0.0.1:1 (-addr)") || !strings.Contains(s, `user "flag-user" (-user)`) {
		t.Errorf("String() = %s", s)
	}
}

// TestBrokenConfig: a CLI config that cannot be read is an error only when
// the API base would come from it.
func TestBrokenConfig(t *testing.T) {
	dir := cleanEnv(t)
	writeConfig(t, dir, "current_context: [oops")
	if _, err := Resolve(context.Background(), Input{}); err == nil || !strings.Contains(err.Error(), "CLI's config") {
		t.Errorf("base from a broken config: err = %v", err)
	}
	if _, err := Resolve(context.Background(), Input{APIBase: Value{"https://x.example", "-addr"}}); err != nil {
		t.Errorf("base given: %v", err)
	}
}

// TestBoundedReadGivesUp: a read that blocks (a file that stats as regular
// but hangs, a hung network mount) does not hold the caller past its
// context.
func TestBoundedReadGivesUp(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Bounded(ctx, func(context.Context) ([]byte, error) {
			<-release // ignores its context, as a hung read does
			return nil, nil
		})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled while the read still hangs", err)
	}
}

// hangConfig writes a CLI config whose reads hang until the test ends, and
// returns the count of reads started.
func hangConfig(t *testing.T) func() int {
	t.Helper()
	dir := cleanEnv(t)
	writeConfig(t, dir, "current_context: dev\ncontexts:\n  dev:\n    CLARIFAI_USER_ID: cli-user\n")
	started, release := safefile.HangForTest(filepath.Join(dir, "config"))
	t.Cleanup(release)
	return started
}

// TestConfigNotReadWhenNotNeeded: with the API base, the user, the app and
// the key all given by flags, options or the environment, the CLI's config
// is not read at all, so a hung one costs nothing.
func TestConfigNotReadWhenNotNeeded(t *testing.T) {
	for name, in := range map[string]Input{
		"flags":          {APIBase: Value{"https://x.example", "-addr"}, UserID: Value{"u", "-user"}, AppID: Value{"a", "-app"}, Strict: true},
		"user app given": {APIBase: Value{"https://x.example", "WithAPIBase"}, UserAppGiven: true},
	} {
		t.Run(name, func(t *testing.T) {
			started := hangConfig(t)
			t.Setenv("CLARIFAI_PAT", "a-pat-in-the-environment") // the key from the environment
			if _, err := Resolve(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if n := started(); n != 0 {
				t.Errorf("the CLI's config was read %d times; no setting needed it", n)
			}
		})
	}
}

// TestConfigReadBoundedByTheCallersDeadline: a hung config that a setting
// needs holds Resolve until the caller's deadline, even one longer than
// ReadTimeout's default, and no longer; the error names the config.
func TestConfigReadBoundedByTheCallersDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, d := range []time.Duration{time.Second, 2 * ReadTimeout} {
			hangConfig(t) // a new file each time: safefile refuses one still hung
			ctx, cancel := context.WithTimeout(context.Background(), d)
			start := time.Now()
			_, err := Resolve(ctx, Input{})
			cancel()
			if took := time.Since(start); took != d || !strings.Contains(err.Error(), "CLI's config") {
				t.Errorf("deadline %v: Resolve took %v, err %v; want the deadline and an error naming the config", d, took, err)
			}
		}
	})
}
