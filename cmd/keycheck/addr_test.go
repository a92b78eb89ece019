package main

import (
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// TestAddrBase: -addr host[:port] becomes an https:// API base (http://
// with -insecure); URLs go on as they are, for the resolver to check.
func TestAddrBase(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		insecure bool
		base     string
		err      bool
	}{
		{addr: "api.clarifai.com", base: "https://api.clarifai.com:443"},
		{addr: " api.example.com:8443 ", base: "https://api.example.com:8443"},
		{addr: "127.0.0.1:5000", insecure: true, base: "http://127.0.0.1:5000"},
		{addr: "localhost", insecure: true, base: "http://localhost:443"},
		{addr: "[::1]:5000", base: "https://[::1]:5000"},
		{addr: "::1", base: "https://[::1]:443"},
		{addr: "https://api.clarifai.com", base: "https://api.clarifai.com"},
		{addr: "http://127.0.0.1:9000", base: "http://127.0.0.1:9000"},
		{addr: "ftp://x", base: "ftp://x"}, // the resolver refuses it
		{addr: ":443", err: true},
		{addr: "api.clarifai.com/v2", err: true},
	} {
		base, err := addrBase(&options{addr: tc.addr, insecure: tc.insecure})
		if (err != nil) != tc.err || base != tc.base {
			t.Errorf("addrBase(%q, insecure %t) = %q, %v; want %q, error %t", tc.addr, tc.insecure, base, err, tc.base, tc.err)
		}
	}
}

// TestTLSByDefault: -addr host:port without -insecure dials TLS, which a
// plaintext server cannot answer, so nothing is learnt and the key is not
// accepted in clear.
func TestTLSByDefault(t *testing.T) {
	clean(t)
	srv, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	code, stdout, stderr := kc(t, nil, "-addr", addr, "-user", "u", "-timeout", "5s")
	if code != exitError || stdout != "" || !strings.Contains(stderr, "Unavailable") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	for _, c := range srv.Calls() {
		t.Errorf("the plaintext server saw a call: %v", c)
	}
	// -insecure with an https:// URL still means TLS.
	code, _, _ = kc(t, nil, "-addr", "https://"+addr, "-insecure", "-user", "u", "-timeout", "5s")
	if code != exitError || len(srv.Calls()) != 0 {
		t.Errorf("https:// with -insecure: exit %d, %d calls", code, len(srv.Calls()))
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true,
		"api.clarifai.com:443": false, "10.0.0.1:80": false, "nonsense": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %t", addr, got)
		}
	}
}

// TestDemoDespiteAPIBase: with no key and no flags, an API base keycheck
// could not use (plaintext without -insecure) does not stop the demo.
func TestDemoDespiteAPIBase(t *testing.T) {
	clean(t)
	t.Setenv(cliconfig.EnvAPIBase, "http://127.0.0.1:1")
	code, stdout, stderr := kc(t, nil)
	if code != exitOK || !strings.Contains(stdout, "=== end of DEMO ===") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
