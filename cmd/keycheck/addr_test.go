package main

import (
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
)

// TestAddrBase: -addr host[:port] goes on as it is, so that it means what
// it means as an API base in the library (https, or http on this machine);
// -insecure does not turn a bare address off this machine into plaintext.
func TestAddrBase(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		insecure bool
		base     string
		err      bool
	}{
		{addr: "api.clarifai.com", base: "api.clarifai.com"},
		{addr: " api.example.com:8443 ", base: "api.example.com:8443"},
		{addr: "127.0.0.1:5000", insecure: true, base: "127.0.0.1:5000"},
		{addr: "[::1]:5000", base: "[::1]:5000"},
		{addr: "https://api.clarifai.com", base: "https://api.clarifai.com"},
		{addr: "http://127.0.0.1:9000", base: "http://127.0.0.1:9000"},
		{addr: "ftp://x", base: "ftp://x"}, // the resolver refuses it
		{addr: "api.example.com:8080", insecure: true, err: true},
		{addr: ":443", err: true},
		{addr: "api.clarifai.com/v2", err: true},
	} {
		base, err := addrBase(&options{addr: tc.addr, insecure: tc.insecure})
		if (err != nil) != tc.err || base != tc.base {
			t.Errorf("addrBase(%q, insecure %t) = %q, %v; want %q, error %t", tc.addr, tc.insecure, base, err, tc.base, tc.err)
		}
	}
}

// TestBareAddrAsInTheLibrary: a bare loopback host:port is plaintext, with
// no -insecure, as CLARIFAI_API_BASE=host:port is for NewClient; an
// https:// URL is TLS, which a plaintext server cannot answer, so nothing
// is learnt and the key is not sent in clear, -insecure or not.
func TestBareAddrAsInTheLibrary(t *testing.T) {
	clean(t)
	srv, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	if code, _, stderr := kc(t, nil, "-addr", addr, "-user", "u", "-timeout", "5s"); code != exitOK {
		t.Errorf("bare loopback host:port: exit %d, stderr:\n%s", code, stderr)
	}
	n := len(srv.Calls())
	for _, insecure := range []bool{false, true} {
		args := []string{"-addr", "https://" + addr, "-user", "u", "-timeout", "5s"}
		if insecure {
			args = append(args, "-insecure")
		}
		code, stdout, stderr := kc(t, nil, args...)
		if code != exitError || stdout != "" || !strings.Contains(stderr, "Unavailable") || len(srv.Calls()) != n {
			t.Errorf("https:// (-insecure %t): exit %d, %d calls, stderr:\n%s", insecure, code, len(srv.Calls())-n, stderr)
		}
	}
}

// TestDemoDespiteAPIBase: with no key and no flags, an API base keycheck
// could not use (plaintext off this machine without -insecure) does not
// stop the demo.
func TestDemoDespiteAPIBase(t *testing.T) {
	clean(t)
	t.Setenv(cliconfig.EnvAPIBase, "http://10.255.255.1:1")
	code, stdout, stderr := kc(t, nil)
	if code != exitOK || !strings.Contains(stdout, "=== end of DEMO ===") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
