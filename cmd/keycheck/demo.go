package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// The demo's made-up credentials, known only to the embedded fake server.
// Like real keys, they are never printed: only their redacted forms are.
const (
	// demoEnvVar is the variable the demo puts its key in. The demo leaves
	// CLARIFAI_PAT alone so that it never shadows a real credential.
	demoEnvVar = "KEYCHECK_DEMO_PAT"
	// demoPAT may predict (PostModelOutputs) but not add inputs.
	demoPAT = "demo-pat-4b9e0c7d1a2f6e83"
	// demoWithKeyPAT, sent with keysource.WithKey, may call PostInputs
	// through an endpoint scope.
	demoWithKeyPAT = "demo-withkey-pat-93c5a7e10d4b"
	// demoCallKeyPAT, sent with interceptor.CallKey, holds the scope All.
	demoCallKeyPAT = "demo-callkey-pat-1f7d2b6a8e05"

	demoUserID  = "demo-user"
	demoAppID   = "demo-app"
	demoModelID = "general-image-recognition"
	demoImage   = "https://samples.clarifai.com/metro-north.jpg"

	v2Service = "clarifai.api.V2"
)

// Full method names the demo calls.
const (
	methodPostModelOutputs = "/" + v2Service + "/PostModelOutputs"
	methodPostInputs       = "/" + v2Service + "/PostInputs"
)

// demoKey is one demo credential, with what the demo calls it.
type demoKey struct {
	secret, role string
	scopes       []string
	endpoints    []string
}

var demoKeys = []demoKey{
	{demoPAT, "the environment key", []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil},
	{demoWithKeyPAT, "the keysource.WithKey override", []string{"Inputs:Get"}, []string{methodPostInputs}},
	{demoCallKeyPAT, "the interceptor.CallKey override", []string{"All"}, nil},
}

// demo walks through the library against an embedded fake server.
type demo struct {
	w       io.Writer
	srv     *clarifaifake.Server
	addr    string
	catalog *scopes.Catalog
	step    int
}

// runDemo starts the fake server on loopback, walks through the library's
// features and prints each step. It returns exitOK when every step behaved
// as the library promises, exitError otherwise.
func runDemo(ctx context.Context, reason string, stdout, stderr io.Writer) int {
	// The fixture's descriptors, not GlobalFiles: the demo's messages are
	// dynamicpb messages of those descriptors whatever the binary links.
	srv, err := clarifaifake.New(clarifaifake.WithFiles(clarifaifake.FixtureFiles()))
	if err != nil {
		fmt.Fprintf(stderr, "keycheck: demo: %v\n", err)
		return exitError
	}
	for _, k := range demoKeys {
		srv.AddPAT(k.secret, k.scopes, k.endpoints)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "keycheck: demo: %v\n", err)
		return exitError
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	defer func() {
		srv.Stop()
		if err := <-served; err != nil {
			fmt.Fprintf(stderr, "keycheck: demo server: %v\n", err)
		}
	}()

	restore, err := setEnv(demoEnvVar, demoPAT)
	if err != nil {
		fmt.Fprintf(stderr, "keycheck: demo: %v\n", err)
		return exitError
	}
	defer restore()

	d := &demo{
		w:       stdout,
		srv:     srv,
		addr:    lis.Addr().String(),
		catalog: scopes.NewCatalog(clarifaifake.FixtureFiles()),
	}
	if err := d.run(ctx, reason); err != nil {
		fmt.Fprintf(stderr, "keycheck: demo failed: %v\n", err)
		return exitError
	}
	return exitOK
}

// setEnv sets name to value in the process environment and returns a
// function restoring the previous state.
func setEnv(name, value string) (restore func(), err error) {
	prev, had := os.LookupEnv(name)
	if err := os.Setenv(name, value); err != nil {
		return nil, err
	}
	return func() {
		if had {
			os.Setenv(name, prev)
		} else {
			os.Unsetenv(name)
		}
	}, nil
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

func (d *demo) heading(title string) {
	d.step++
	d.printf("\n[%d/6] %s\n", d.step, title)
}

func (d *demo) run(ctx context.Context, reason string) error {
	d.printf("=== keycheck DEMO — %s ===\n", reason)
	d.printf("This is a demonstration against an EMBEDDED FAKE Clarifai V2 server (clarifaifake)\n")
	d.printf("listening on %s (plaintext, loopback only). Nothing is sent to Clarifai; the demo keys\n", d.addr)
	d.printf("are made up and, like any key, shown only in redacted form.\n")
	d.printf("To check a real key: set CLARIFAI_PAT (or run `clarifai login`) and run keycheck -user U -app A.\n")

	// Step 1: the connection's key comes from the environment.
	d.heading("Key from the environment, on every call, via clarifaiauth.DialOptions")
	src := keysource.Env(demoEnvVar)
	key, err := src.Key(ctx)
	if err != nil {
		return err
	}
	d.printf("  The demo put its key in $%s (CLARIFAI_PAT is left alone) and reads it with\n", demoEnvVar)
	d.printf("  keysource.Env(%q) — the Source that, with no names, reads CLARIFAI_PAT,\n", demoEnvVar)
	d.printf("  CLARIFAI_API_KEY and CLARIFAI_SESSION_TOKEN; keysource.Default() adds the CLI config.\n")
	d.printf("  keysource.Env(%q).Key(ctx) = %s\n", demoEnvVar, key)
	d.printf("  grpc.NewClient(%q, insecure, clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)\n", d.addr)
	conn, err := d.dial(clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
	if err != nil {
		return err
	}
	defer conn.Close()
	grant, err := preflight.MyScopes(ctx, conn, demoUserID, demoAppID)
	if err != nil {
		return fmt.Errorf("MyScopes with the environment key: %w", err)
	}
	d.printf("  preflight.MyScopes(ctx, conn, %q, %q) → scopes %v, endpoints %v\n", demoUserID, demoAppID, grant.Scopes(), grant.Endpoints())
	if err := d.expectLastKey(demoPAT); err != nil {
		return err
	}

	// Step 2: per-request overrides.
	d.heading("Per-request overrides: keysource.WithKey and interceptor.CallKey")
	withKey, err := keysource.NewKey(keysource.KindPAT, demoWithKeyPAT)
	if err != nil {
		return err
	}
	callKey, err := keysource.NewKey(keysource.KindPAT, demoCallKeyPAT)
	if err != nil {
		return err
	}
	withCtx := keysource.WithKey(ctx, withKey)
	g, err := preflight.MyScopes(withCtx, conn, demoUserID, demoAppID)
	if err != nil {
		return fmt.Errorf("MyScopes with keysource.WithKey: %w", err)
	}
	d.printf("  ctx = keysource.WithKey(ctx, <override>); MyScopes(ctx, …) → scopes %v, endpoints %v\n", g.Scopes(), g.Endpoints())
	if err := d.expectLastKey(demoWithKeyPAT); err != nil {
		return err
	}
	g, err = preflight.MyScopes(withCtx, conn, demoUserID, demoAppID, interceptor.CallKey(callKey))
	if err != nil {
		return fmt.Errorf("MyScopes with interceptor.CallKey: %w", err)
	}
	d.printf("  same ctx, plus the call option interceptor.CallKey(<other key>) → scopes %v\n", g.Scopes())
	if err := d.expectLastKey(demoCallKeyPAT); err != nil {
		return err
	}
	d.printf("  CallKey wins over WithKey, which wins over the connection's Source.\n")

	// Step 3: a call the key may make.
	d.heading("A call the environment key may make: PostModelOutputs")
	if err := d.predict(ctx, conn); err != nil {
		return err
	}

	// Step 4: a call it may not make.
	d.heading("A call it may not make: PostInputs → *scopes.Error")
	err = d.postInputs(ctx, conn)
	se, ok := scopes.FromError(err)
	if !ok || se.Local {
		return fmt.Errorf("PostInputs with the environment key: want a *scopes.Error from the server, got %v", err)
	}
	d.printf("  The server answered gRPC OK with an in-band failure status; the interceptor turned it into:\n")
	d.printf("    err            %v\n", se)
	d.printf("    code           %s (%d)\n", se.Code, int32(se.Code))
	d.printf("    gRPC code      %s (status.Code(err))\n", status.Code(err))
	d.printf("    errors.Is(err, scopes.ErrInsufficientScopes) = %t\n", errors.Is(err, scopes.ErrInsufficientScopes))
	d.printf("    Missing        %v\n", se.Missing)
	d.printf("    or endpoints   %v\n", se.MissingEndpoints)
	if req, ok := d.catalog.Required(methodPostInputs); ok {
		d.printf("    needs (from the descriptors' cl_depending_scopes) %v, auth %s\n", req.Scopes, req.AuthType)
	}

	// Step 5: preflight refuses before sending.
	d.heading("Preflight: refused locally, before anything is sent")
	d.printf("  interceptor.WithPreflight(preflight.New(preflight.WithCatalog(scopes.NewCatalog(clarifaifake.FixtureFiles()))))\n")
	pconn, err := d.dial(clarifaiauth.DialOptions(src, interceptor.WithPreflight(preflight.New(preflight.WithCatalog(d.catalog))), interceptor.AllowInsecureTransport())...)
	if err != nil {
		return err
	}
	defer pconn.Close()
	d.srv.ResetCalls()
	err = d.postInputs(ctx, pconn)
	se, ok = scopes.FromError(err)
	if !ok || !se.Local {
		return fmt.Errorf("PostInputs through the preflight: want a local *scopes.Error, got %v", err)
	}
	d.printf("  PostInputs → Local=%t, gRPC code %s: %v\n", se.Local, status.Code(err), se)
	seen := d.calledMethods()
	d.printf("  the server saw: %s\n", strings.Join(seen, ", "))
	if slices.Contains(seen, methodPostInputs) {
		return errors.New("the preflight let PostInputs through")
	}
	d.printf("  → only the preflight's MyScopes (one per key and app, then cached); PostInputs never left the process.\n")
	d.srv.ResetCalls()
	if err := d.predictQuiet(ctx, pconn); err != nil {
		return fmt.Errorf("PostModelOutputs through the preflight: %w", err)
	}
	d.printf("  PostModelOutputs through the same preflight → allowed; the server saw: %s (grant cached)\n",
		strings.Join(d.calledMethods(), ", "))

	// Step 6: what keycheck reports.
	d.heading("What keycheck prints for the demo key")
	d.printf("  (as `keycheck -user %s -app %s -method PostModelOutputs,PostInputs` does;\n", demoUserID, demoAppID)
	d.printf("  that run exits with status 1 because PostInputs is missing; the demo itself exits 0)\n\n")
	var reqs []scopes.Requirement
	for _, m := range []string{methodPostModelOutputs, methodPostInputs} {
		req, ok := d.catalog.Required(m)
		if !ok {
			return fmt.Errorf("%s is not in the demo descriptors", m)
		}
		reqs = append(reqs, req)
	}
	r := newReport(grant, reqs)
	r.UserID, r.AppID = demoUserID, demoAppID
	r.Demo, r.Server, r.TLS = true, d.addr, false
	r.Key, r.KeySource = key.String(), "$"+demoEnvVar
	if err := r.writeTable(d.w); err != nil {
		return err
	}
	d.printf("\n=== end of DEMO ===\n")
	return nil
}

// dial connects to the fake server over loopback TCP.
func (d *demo) dial(opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	return grpc.NewClient(d.addr, opts...)
}

// expectLastKey prints which credential the server received on the last call,
// redacted, and fails unless it is want.
func (d *demo) expectLastKey(want string) error {
	calls := d.srv.Calls()
	if len(calls) == 0 {
		return errors.New("the server saw no call")
	}
	c := calls[len(calls)-1]
	auth := c.Header(wire.HeaderAuthorization)
	if len(auth) != 1 {
		return fmt.Errorf("the server saw %d authorization values, want 1", len(auth))
	}
	secret, ok := strings.CutPrefix(auth[0], "Key ")
	got, role := redact(secret)
	d.printf("  server received on %s: authorization: Key %s — %s", c.Method, got, role)
	if tag := c.Header(wire.HeaderRequestTag); len(tag) > 0 {
		d.printf(", %s: %s", wire.HeaderRequestTag, tag[0])
	}
	d.printf("\n")
	if !ok || secret != want {
		return fmt.Errorf("the server received %s, want %s", got, mustRedact(want))
	}
	return nil
}

// redact names a secret the server received by its redacted form and, for a
// demo key, its role.
func redact(secret string) (redacted, role string) {
	for _, k := range demoKeys {
		if k.secret == secret {
			return mustRedact(secret), k.role
		}
	}
	return mustRedact(secret), "an unknown key"
}

// mustRedact is keysource.Key's String for a secret sent as "Key <secret>".
func mustRedact(secret string) string {
	k, err := keysource.NewKey(keysource.KindPAT, secret)
	if err != nil {
		return "(not a valid key)"
	}
	return k.String()
}

// calledMethods lists the methods the server received since the last reset.
func (d *demo) calledMethods() []string {
	var out []string
	for _, c := range d.srv.Calls() {
		out = append(out, c.Method)
	}
	if len(out) == 0 {
		return []string{"(nothing)"}
	}
	return out
}
