package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/safefile"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
)

// TestAttackHungCABundle: a CA bundle whose read hangs (a stuck mount,
// /proc/kmsg) holds keycheck no longer than -timeout, and the error names
// the variable that names the bundle, not -addr.
func TestAttackHungCABundle(t *testing.T) {
	clean(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, []byte("not read"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(settings.EnvRootCertificates, bundle)
	_, release := safefile.HangForTest(bundle)
	defer release()
	start := time.Now()
	code, _, stderr := kc(t, nil, "-addr", "https://127.0.0.1:1", "-user", "u", "-app", "a", "-timeout", "1s")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v with -timeout 1s", took)
	}
	if code != exitError || !strings.Contains(stderr, settings.EnvRootCertificates) || strings.Contains(stderr, "-addr") {
		t.Errorf("exit %d, stderr:\n%s\nwant an error naming %s, not -addr", code, stderr, settings.EnvRootCertificates)
	}
}

// TestAttackHungConfigNotNeeded: with the server, user, app and key all
// given by flags and the environment, keycheck does not read the CLI's
// config at all, so a hung one costs nothing.
func TestAttackHungConfigNotNeeded(t *testing.T) {
	home := clean(t)
	_, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	cfg := filepath.Join(home, ".config", "clarifai", "config")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("current_context: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	started, release := safefile.HangForTest(cfg)
	defer release()
	code, _, stderr := kc(t, nil, "-addr", addr, "-user", "u", "-app", "a", "-timeout", "5s")
	if code != exitOK || started() != 0 {
		t.Errorf("exit %d, %d reads of the config; stderr:\n%s", code, started(), stderr)
	}
}

// TestAttackSilentServerSaid: against a server that accepts and never
// answers, keycheck says after 2 s what it waits for, and gives up at
// -timeout saying that the TLS handshake never came, naming -addr.
func TestAttackSilentServerSaid(t *testing.T) {
	clean(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	defer func() {
		lis.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	code, _, stderr := kc(t, nil, "-addr", "https://"+lis.Addr().String(), "-user", "u", "-app", "a", "-timeout", "3s")
	for _, want := range []string{"still waiting for the TLS handshake", "TLS handshake never came", "-addr"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
}
