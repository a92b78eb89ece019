package interceptor_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// serveTLS serves srv over TLS on a loopback port and returns the address
// and a client TLS config that trusts it.
func serveTLS(t *testing.T, srv *clarifaifake.Server) (string, *tls.Config) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLis := tls.NewListener(lis, &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}},
		NextProtos:   []string{"h2"},
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(tlsLis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return lis.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func TestPerRPCCredentialsOverTLS(t *testing.T) {
	srv, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	srv.AddPAT(sourceKey, []string{"All"}, nil)
	srv.AddPAT(contextKey, []string{"All"}, nil)
	addr, tlsConf := serveTLS(t, srv)
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(credentials.NewTLS(tlsConf)),
		grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(staticSource(sourceKey))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pbClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"source", ctx, "Key " + sourceKey},
		{"context override", keysource.WithKey(ctx, keyOf(contextKey)), "Key " + contextKey},
		{"hand-written header left alone", metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+contextKey), "Key " + contextKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetCalls()
			resp, err := client.PostModelOutputs(tt.ctx, predictReq())
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetStatus().GetCode() != 10000 {
				t.Fatalf("status %v", resp.GetStatus())
			}
			c := srv.Calls()[0]
			if _, v := credentialOf(t, c); v != tt.want {
				t.Errorf("server saw %q, want %q", v, tt.want)
			}
			if got := c.Header("x-clarifai-request-id-prefix"); len(got) != 1 {
				t.Errorf("request tag = %q", got)
			}
		})
	}
}

// TestPerRPCCredentialsOverrideOverHandWritten: gRPC cannot remove the
// caller's hand-written header, so an override on top of one must fail the
// call rather than send two credentials.
func TestPerRPCCredentialsOverrideOverHandWritten(t *testing.T) {
	srv, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	srv.AddPAT(sourceKey, []string{"All"}, nil)
	defer srv.Stop()
	conn, err := srv.Dial(grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(staticSource(sourceKey), interceptor.AllowInsecureTransport())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hand := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key "+handKey)
	for name, ctx := range map[string]context.Context{
		"WithKey":          keysource.WithKey(hand, keyOf(contextKey)),
		"WithSessionToken": keysource.WithKey(hand, tokenOf(sessionTok)),
	} {
		_, err := pbClient(conn).PostModelOutputs(ctx, predictReq())
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s over a hand-written header: %v, want Unauthenticated", name, err)
		}
		assertNoSecret(t, "error", fmt.Sprint(err))
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("server saw %d calls", n)
	}
}

func TestPerRPCCredentialsRefusesInsecure(t *testing.T) {
	creds := interceptor.PerRPCCredentials(staticSource(sourceKey))
	if !creds.RequireTransportSecurity() {
		t.Fatal("RequireTransportSecurity = false without AllowInsecureTransport")
	}
	if _, err := grpc.NewClient("passthrough:///unused",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(creds)); err == nil {
		t.Fatal("grpc.NewClient accepted a key over an insecure connection")
	}
	// Called outside gRPC (no security information): refused too.
	md, err := creds.GetRequestMetadata(context.Background())
	if status.Code(err) != codes.Unauthenticated || md != nil {
		t.Fatalf("GetRequestMetadata = %v, %v; want Unauthenticated", md, err)
	}
	assertNoSecret(t, "error", err.Error())
}

func TestPerRPCCredentialsAllowInsecure(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.conn.Close()
	src := keysource.Env("CLARIFAIAUTH_TEST_UNSET")
	conn, err := e.srv.Dial(grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(staticSource(sourceKey), interceptor.AllowInsecureTransport())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pbClient(conn).PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Fatal(err)
	}
	if _, v := credentialOf(t, e.onlyCall(t)); v != "Key "+sourceKey {
		t.Errorf("server saw %q", v)
	}

	// No key: the call fails with Unauthenticated before it is sent.
	e.srv.ResetCalls()
	conn2, err := e.srv.Dial(grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(src, interceptor.AllowInsecureTransport())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	_, err = pbClient(conn2).PostModelOutputs(context.Background(), predictReq())
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("err = %v, want Unauthenticated", err)
	}
	if len(e.srv.Calls()) != 0 {
		t.Error("a call without a key reached the server")
	}
	// Direct use keeps errors.Is working.
	_, err = interceptor.PerRPCCredentials(src, interceptor.AllowInsecureTransport()).GetRequestMetadata(context.Background())
	if !errors.Is(err, keysource.ErrNoKey) {
		t.Errorf("GetRequestMetadata err = %v, want ErrNoKey", err)
	}
}

// levelInfo is a connection's AuthInfo reporting a security level.
type levelInfo struct{ credentials.CommonAuthInfo }

func (levelInfo) AuthType() string { return "test" }

// TestPerRPCCredentialsSecurityLevels: only a connection that reports
// PrivacyAndIntegrity gets the key; lower levels and levels gRPC does not
// define (4, 255) are refused.
func TestPerRPCCredentialsSecurityLevels(t *testing.T) {
	creds := interceptor.PerRPCCredentials(staticSource(sourceKey))
	for _, tt := range []struct {
		level credentials.SecurityLevel
		ok    bool
	}{
		{credentials.InvalidSecurityLevel, false},
		{credentials.NoSecurity, false},
		{credentials.IntegrityOnly, false},
		{credentials.PrivacyAndIntegrity, true},
		{4, false},
		{255, false},
	} {
		ctx := credentials.NewContextWithRequestInfo(context.Background(), credentials.RequestInfo{
			AuthInfo: levelInfo{credentials.CommonAuthInfo{SecurityLevel: tt.level}},
		})
		md, err := creds.GetRequestMetadata(ctx)
		if tt.ok != (err == nil) || tt.ok != (md != nil) {
			t.Errorf("level %d: GetRequestMetadata = %v, %v; want sent: %v", tt.level, md != nil, err, tt.ok)
		}
	}
}
