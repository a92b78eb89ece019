package clarifaiauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

const clientPAT = "newclient-pat-0123456789abcdef"

// insecureOK lets NewClient use the plaintext loopback servers of these tests.
var insecureOK = clarifaiauth.WithInterceptorOptions(interceptor.AllowInsecureTransport())

// cleanEnv leaves NewClient only what the test sets: no CLI login, no
// Clarifai variables from the machine.
func cleanEnv(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, v := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN", "CLARIFAI_API_BASE",
		"CLARIFAI_USER_ID", "CLARIFAI_APP_ID", "CLARIFAI_ROOT_CERTIFICATES_PATH"} {
		t.Setenv(v, "")
	}
}

// serveFake serves a fake Clarifai on a loopback port, through lisWrap if
// given (TLS), and returns it with its address.
func serveFake(t *testing.T, lisWrap func(net.Listener) net.Listener) (*clarifaifake.Server, string) {
	t.Helper()
	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	fake.AddPAT(clientPAT, []string{"All"}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if lisWrap != nil {
		lis = lisWrap(lis)
	}
	go fake.Serve(lis)
	t.Cleanup(fake.Stop)
	return fake, addr
}

// TestNewClientFromEnvironment: with only Clarifai's variables set,
// NewClient reaches the server they name (plaintext on loopback, with no
// opt-in), sends the PAT, and fills the
// default user and app into the request the server receives, leaving the
// caller's message as it was.
func TestNewClientFromEnvironment(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	t.Setenv("CLARIFAI_API_BASE", "http://"+addr)
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user")
	t.Setenv("CLARIFAI_APP_ID", "env-app")

	// Plaintext on loopback needs no AllowInsecureTransport: the key does
	// not leave the machine.
	conn, err := clarifaiauth.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	req := &pb.PostModelOutputsRequest{ModelId: "general", Inputs: []*pb.Input{{Id: "in-1"}}}
	before := proto.Clone(req)
	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, before) {
		t.Errorf("the caller's request changed: %v", req)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("server saw %d calls, want 1", len(calls))
	}
	got := calls[0].Requests()[0].(*pb.PostModelOutputsRequest)
	if got.GetUserAppId().GetUserId() != "env-user" || got.GetUserAppId().GetAppId() != "env-app" || got.GetModelId() != "general" {
		t.Errorf("server got %v, want user_app_id env-user/env-app and the caller's fields", got)
	}
	if calls[0].Secret() != clientPAT {
		t.Error("the server did not get the PAT from CLARIFAI_PAT")
	}
}

// TestNewClientOptionsWin: options beat the environment, and WithUserApp
// with empty strings turns the default off.
func TestNewClientOptionsWin(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	t.Setenv("CLARIFAI_API_BASE", "https://nowhere.invalid")
	t.Setenv("CLARIFAI_USER_ID", "env-user")
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK,
		clarifaiauth.WithSource(staticSource(clientPAT)), clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("", "")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Calls()[0].Requests()[0].(*pb.PostModelOutputsRequest); got.GetUserAppId() != nil {
		t.Errorf("user_app_id = %v, want none", got.GetUserAppId())
	}
}

func TestNewClientRefusesBadBases(t *testing.T) {
	cleanEnv(t)
	for _, base := range []string{"ftp://api.clarifai.com", "https://api.clarifai.com/v2", "api.clarifai.com/v2"} {
		if _, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase(base)); err == nil {
			t.Errorf("NewClient with base %q: no error", base)
		}
	}
	t.Setenv("CLARIFAI_ROOT_CERTIFICATES_PATH", filepath.Join(t.TempDir(), "absent.pem"))
	if _, err := clarifaiauth.NewClient(); err == nil {
		t.Error("NewClient with a missing certificate bundle: no error")
	}
}

// TestNewClientTLSWithOwnRoots: a server whose certificate a private CA
// signed is trusted through CLARIFAI_ROOT_CERTIFICATES_PATH, and not
// without it.
func TestNewClientTLSWithOwnRoots(t *testing.T) {
	cleanEnv(t)
	caPEM, serverCert := newCA(t)
	_, addr := serveFake(t, tlsListener(serverCert))
	bundle := writeTemp(t, caPEM)
	t.Setenv("CLARIFAI_API_BASE", "https://"+addr)
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")

	call := func() error {
		conn, err := clarifaiauth.NewClient(clarifaiauth.WithoutRetry())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = pb.NewV2Client(conn).PostModelOutputs(ctx, &pb.PostModelOutputsRequest{})
		return err
	}
	if err := call(); status.Code(err) != codes.Unavailable {
		t.Errorf("without the bundle: err = %v, want Unavailable (unknown authority)", err)
	}
	t.Setenv("CLARIFAI_ROOT_CERTIFICATES_PATH", bundle)
	if err := call(); err != nil {
		t.Errorf("with the bundle: %v", err)
	}
}

// tlsListener wraps a listener in TLS with cert, speaking HTTP/2 as gRPC
// clients require (ALPN "h2"); the fake server behind it sees plain HTTP/2.
func tlsListener(cert tls.Certificate) func(net.Listener) net.Listener {
	return func(lis net.Listener) net.Listener {
		return tls.NewListener(lis, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	}
}

// writeTemp writes b to a new file and returns its path.
func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newCA returns a fresh CA's certificate (PEM) and a certificate it signed
// for 127.0.0.1.
func newCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clarifaiauth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestNewClientFromCLIContext: with no variables set, the Clarifai CLI's
// current context names the server, the key, the user and the app.
func TestNewClientFromCLIContext(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "current_context: dev\ncontexts:\n  dev:\n    CLARIFAI_API_BASE: http://" + addr +
		"\n    CLARIFAI_PAT: " + clientPAT + "\n    CLARIFAI_USER_ID: cli-user\n    CLARIFAI_APP_ID: cli-app\n"
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLARIFAI_APP_ID", "env-app") // the environment wins, field by field

	conn, err := clarifaiauth.NewClient(insecureOK)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
		t.Fatal(err)
	}
	got := fake.Calls()[0]
	if ua := got.Requests()[0].(*pb.PostModelOutputsRequest).GetUserAppId(); ua.GetUserId() != "cli-user" || ua.GetAppId() != "env-app" {
		t.Errorf("user_app_id = %v, want cli-user/env-app", ua)
	}
	if got.Secret() != clientPAT {
		t.Error("the server did not get the CLI's PAT")
	}
}

// TestNewClientStreams: every kind of stream works through NewClient with
// its retry on (go-grpc-middleware's stream retry refuses client streams).
func TestNewClientStreams(t *testing.T) {
	cleanEnv(t)
	_, addr := serveFake(t, nil)
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	bidi, err := client.StreamModelOutputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bidi.Send(&pb.PostModelOutputsRequest{ModelId: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bidi.Recv(); err != nil {
		t.Fatalf("bidirectional stream: %v", err)
	}
	bidi.CloseSend()

	server, err := client.GenerateModelOutputs(ctx, &pb.PostModelOutputsRequest{ModelId: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Recv(); err != nil {
		t.Fatalf("server stream: %v", err)
	}

	chunks, err := pb.NewChunksClient(conn).PostChunks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := chunks.Send(&pb.PostModelOutputsRequest{ModelId: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chunks.CloseAndRecv(); err != nil {
		t.Fatalf("client stream: %v", err)
	}
}

// TestNewClientWithoutHome: with no home directory there is no CLI login
// to read, and NewClient works from the environment alone.
func TestNewClientWithoutHome(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	t.Setenv("HOME", "")
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK)
	if err != nil {
		t.Fatalf("NewClient without $HOME: %v", err)
	}
	defer conn.Close()
	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
		t.Fatal(err)
	}
	if fake.Calls()[0].Secret() != clientPAT {
		t.Error("the server did not get the PAT")
	}
}

// TestNewClientCallerUserAppWins: an interceptor.WithUserApp the caller
// passes beats the environment's default app.
func TestNewClientCallerUserAppWins(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user")
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK,
		clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("opt-user", "opt-app")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
		t.Fatal(err)
	}
	if ua := fake.Calls()[0].Requests()[0].(*pb.PostModelOutputsRequest).GetUserAppId(); ua.GetUserId() != "opt-user" || ua.GetAppId() != "opt-app" {
		t.Errorf("user_app_id = %v, want the caller's opt-user/opt-app", ua)
	}
}

// TestNewClientKeepsItsCLIContext: the key stays with the CLI context the
// server and app came from, even after the CLI switches its current context
// (a later re-read of the config, here forced by a rejected key, must not
// send the other context's key to this context's server).
func TestNewClientKeepsItsCLIContext(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	const devPAT, prodPAT = "dev-pat-0123456789abcdef", "prod-pat-0123456789abcdef"
	fake.AddPAT(devPAT, []string{"All"}, nil)
	fake.AddPAT(prodPAT, []string{"All"}, nil)
	dir := filepath.Join(os.Getenv("HOME"), ".config", "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(current string) {
		cfg := "current_context: " + current + "\ncontexts:\n" +
			"  dev:\n    CLARIFAI_API_BASE: http://" + addr + "\n    CLARIFAI_PAT: " + devPAT + "\n    CLARIFAI_USER_ID: dev-user\n" +
			"  prod:\n    CLARIFAI_API_BASE: https://prod.invalid\n    CLARIFAI_PAT: " + prodPAT + "\n    CLARIFAI_USER_ID: prod-user\n"
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("dev")
	conn, err := clarifaiauth.NewClient(insecureOK, clarifaiauth.WithoutRetry())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)
	call := func() { _, _ = client.PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}) }

	call()
	write("prod")       // clarifai config use-context prod
	fake.Remove(devPAT) // the server now rejects the dev key: the source re-reads at once
	call()
	call()
	calls := fake.Calls()
	if len(calls) != 3 {
		t.Fatalf("server saw %d calls, want 3", len(calls))
	}
	for i, c := range calls {
		if c.Secret() != devPAT {
			t.Errorf("call %d carried %s, want the dev context's key", i+1, c)
		}
	}
}

// TestNewClientIgnoresAConfigItDoesNotNeed: a broken CLI config does not
// stop a client whose settings all come from options and the environment;
// it does stop one that needs a setting from it.
func TestNewClientIgnoresAConfigItDoesNotNeed(t *testing.T) {
	cleanEnv(t)
	fake, addr := serveFake(t, nil)
	dir := filepath.Join(os.Getenv("HOME"), ".config", "clarifai")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("current_context: [oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLARIFAI_PAT", clientPAT)
	t.Setenv("CLARIFAI_USER_ID", "env-user") // a PAT call names its user and app
	t.Setenv("CLARIFAI_APP_ID", "env-app")
	conn, err := clarifaiauth.NewClient(clarifaiauth.WithAPIBase("http://"+addr), insecureOK,
		clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("u", "a")), clarifaiauth.WithSource(staticSource(clientPAT)))
	if err != nil {
		t.Fatalf("NewClient with every setting given: %v", err)
	}
	defer conn.Close()
	if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), &pb.PostModelOutputsRequest{}); err != nil {
		t.Fatal(err)
	}
	if fake.Calls()[0].Secret() != clientPAT {
		t.Error("the server did not get the key")
	}
	if _, err := clarifaiauth.NewClient(insecureOK); err == nil || !strings.Contains(err.Error(), "CLI's config") {
		t.Errorf("NewClient needing the broken config: err = %v, want it named", err)
	}
}

// staticSource is a Source that always yields secret as a KindKey, or, if
// it is not a valid key, the error keysource.NewKey gives.
func staticSource(secret string) keysource.Source {
	k, err := keysource.NewKey(keysource.KindKey, secret)
	if err != nil {
		return keysource.SourceFunc(func(context.Context) (keysource.Key, error) { return keysource.Key{}, err })
	}
	return k
}
