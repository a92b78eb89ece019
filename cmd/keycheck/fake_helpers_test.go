package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
)

// Credentials of the tests in this file's package that use startFake. None
// may ever be printed.
const (
	fakePAT     = "kc-fake-pat-2b7e51a09c4d" // All scopes
	fakeAPIKey  = "kc-fake-apikey-6d1f8a3c2e70"
	fakeToken   = "kc-fake-session-9e4a7c1b5d28"
	fakeKeyFile = "kc-fake-keyfile-3c8d6b0a1f97"
)

var fakeSecrets = []string{fakePAT, fakeAPIKey, fakeToken, fakeKeyFile}

// startFake serves the fixture's V2 API from clarifaifake on loopback TCP,
// with each kind of credential holding every scope.
func startFake(t *testing.T) (*clarifaifake.Server, string) {
	t.Helper()
	srv, err := clarifaifake.New(clarifaifake.WithFiles(clarifaifake.FixtureFiles()))
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"All"}
	srv.AddPAT(fakePAT, all, nil)
	srv.AddPAT(fakeKeyFile, all, nil)
	srv.AddAPIKey(fakeAPIKey, all, nil)
	srv.AddSessionToken(fakeToken, all, nil)
	return srv, serveLoopback(t, srv)
}

// serveLoopback serves srv on a loopback TCP port until the test ends, and
// returns its address.
func serveLoopback(t *testing.T, srv *clarifaifake.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// fixtureProtoset writes the fixture's descriptor set to a file.
func fixtureProtoset(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clarifai.binpb")
	if err := os.WriteFile(path, fakeapi.FixtureProtoset(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clean gives the test an environment without any Clarifai setting and a
// HOME of its own.
func clean(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, name := range []string{
		"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN",
		cliconfig.EnvAPIBase, cliconfig.EnvUserID, cliconfig.EnvAppID, demoEnvVar,
	} {
		t.Setenv(name, "")
	}
	return home
}

// kc runs keycheck, bounded in time, and fails the test if any of secrets
// (and the fake's) reaches stdout or stderr.
func kc(t *testing.T, secrets []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(t.Context(), args, &out, &errb) }()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("keycheck %q did not return within 30s", args)
	}
	stdout, stderr = out.String(), errb.String()
	for _, s := range append(secrets, fakeSecrets...) {
		if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
			t.Errorf("keycheck %q printed a secret", args)
		}
	}
	return code, stdout, stderr
}

// decodeStrict decodes stdout as exactly one JSON value of v's type, with
// no unknown fields.
func decodeStrict(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the JSON expected: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
}
