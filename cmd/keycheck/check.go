package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// defaultAddr is Clarifai's gRPC endpoint.
const defaultAddr = "api.clarifai.com:443"

// runCheck is real mode: it finds the key, asks the server what it may do and
// prints the report. With no credential anywhere and no flag that only makes
// sense against a real server, it runs the demo instead.
func runCheck(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	// Everything that can be checked locally is checked before the key is
	// looked for or the network used, so usage errors come first.
	var catalog *scopes.Catalog
	var reqs []scopes.Requirement
	if o.protoset != "" {
		var err error
		if catalog, err = loadCatalog(o.protoset); err != nil {
			fmt.Fprintf(stderr, "keycheck: %v\n", err)
			return exitError
		}
		if reqs, err = lookupMethods(catalog, o.methods); err != nil {
			fmt.Fprintf(stderr, "keycheck: %v\n", err)
			return exitError
		}
	}

	src, origin := keySource(o)
	key, err := src.Key(ctx)
	if err != nil {
		if errors.Is(err, keysource.ErrNoKey) && o.keyFile == "" {
			if len(o.realOnly) == 0 {
				return runDemo(ctx, "no Clarifai credential was found", stdout, stderr)
			}
			fmt.Fprintf(stderr, "keycheck: no Clarifai credential found (%s were given, so no demo): %v\n",
				strings.Join(o.realOnly, ", "), err)
			return exitError
		}
		if o.keyFile != "" {
			fmt.Fprintf(stderr, "keycheck: -key-file: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "keycheck: %v\n", err)
		}
		return exitError
	}
	if origin == "" {
		origin = keyOrigin(ctx, key)
	}

	settings := cliSettings(ctx, stderr)
	addr, tlsOn, err := resolveAddr(o, settings)
	if err != nil {
		fmt.Fprintf(stderr, "keycheck: %v\n", err)
		return exitError
	}
	userID := firstNonEmpty(o.userID, os.Getenv(cliconfig.EnvUserID), settings.UserID)
	appID := firstNonEmpty(o.appID, os.Getenv(cliconfig.EnvAppID), settings.AppID)
	if !tlsOn && !isLoopback(addr) {
		fmt.Fprintf(stderr, "keycheck: warning: sending the key to %s without TLS (-insecure)\n", addr)
	}

	creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	if !tlsOn {
		creds = insecure.NewCredentials()
	}
	icOpts := []interceptor.Option{interceptor.WithRequestTag("")}
	if !tlsOn {
		icOpts = append(icOpts, interceptor.AllowInsecureTransport())
	}
	dialOpts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)},
		clarifaiauth.DialOptions(key, icOpts...)...)
	conn, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		fmt.Fprintf(stderr, "keycheck: %s: %v\n", addr, err)
		return exitError
	}
	defer conn.Close()

	grant, err := scopes.MyScopes(ctx, conn, userID, appID)
	if err != nil {
		return reportCallError(stderr, addr, key, err)
	}

	r := newReport(grant, reqs)
	r.UserID, r.AppID = userID, appID
	r.Server, r.TLS = addr, tlsOn
	r.Key, r.KeySource = key.String(), origin
	if err := r.write(stdout, o.json); err != nil {
		fmt.Fprintf(stderr, "keycheck: %v\n", err)
		return exitError
	}
	if !r.Allowed {
		return exitMissing
	}
	return exitOK
}

// reportCallError explains a failed MyScopes call and picks the exit status:
// a key the server rejects fails the check (1); anything else means the check
// could not be made (2).
func reportCallError(w io.Writer, addr string, key keysource.Key, err error) int {
	if se, ok := scopes.FromError(err); ok && rejectsKey(se) {
		fmt.Fprintf(w, "keycheck: the server at %s rejected the key %s: %v\n", addr, key, se)
		return exitMissing
	}
	if st, ok := status.FromError(err); ok {
		fmt.Fprintf(w, "keycheck: %s: MyScopes failed: %s: %s\n", addr, st.Code(), st.Message())
		return exitError
	}
	fmt.Fprintf(w, "keycheck: %s: MyScopes failed: %v\n", addr, err)
	return exitError
}

// rejectsKey reports whether e says the key itself is not good for the app,
// as opposed to a failure of the server or of the transport.
func rejectsKey(e *scopes.Error) bool {
	for _, target := range []error{
		scopes.ErrKeyInvalid, scopes.ErrKeyNotFound, scopes.ErrAuthMethodDisabled,
		scopes.ErrAccountIssues, scopes.ErrInsufficientScopes,
	} {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

// keySource returns where the key comes from, and a description of it if
// that is known before the key is read.
func keySource(o *options) (keysource.Source, string) {
	if o.keyFile != "" {
		f := keysource.File(o.keyFile)
		return f, f.String()
	}
	return keysource.Default(), ""
}

// keyOrigin tells which place keysource.Default took key from: one of the
// environment variables, or the CLI config.
func keyOrigin(ctx context.Context, key keysource.Key) string {
	for _, name := range []string{keysource.EnvPAT, keysource.EnvAPIKey, keysource.EnvSessionToken} {
		if k, err := keysource.Env(name).Key(ctx); err == nil && k.Equal(key) {
			return "$" + name
		}
	}
	return keysource.ClarifaiConfig("").String()
}

// cliSettings returns the settings of the Clarifai CLI's current context,
// or zero settings when there is no CLI config. A config that exists but
// cannot be used is reported on w and otherwise ignored: flags and the
// environment may still say everything needed.
func cliSettings(ctx context.Context, w io.Writer) cliconfig.Settings {
	s, err := cliconfig.Load(ctx, "", "")
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, cliconfig.ErrNoContext) && !errors.Is(err, cliconfig.ErrEmpty) {
			fmt.Fprintf(w, "keycheck: warning: ignoring the Clarifai CLI config: %v\n", err)
		}
		return cliconfig.Settings{}
	}
	return s
}

// resolveAddr picks the server address, from -addr, then CLARIFAI_API_BASE,
// then the CLI context's CLARIFAI_API_BASE, then defaultAddr, and whether to
// use TLS.
func resolveAddr(o *options, s cliconfig.Settings) (addr string, tlsOn bool, err error) {
	from, raw := "-addr", o.addr
	if raw == "" {
		from, raw = "$"+cliconfig.EnvAPIBase, os.Getenv(cliconfig.EnvAPIBase)
	}
	if raw == "" {
		from, raw = "CLARIFAI_API_BASE of the Clarifai CLI context", s.APIBase
	}
	if raw == "" {
		return defaultAddr, !o.insecure, nil
	}
	addr, plaintext, err := parseAddr(raw)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", from, err)
	}
	if plaintext && !o.insecure {
		return "", false, fmt.Errorf("%s is an http:// URL: pass -insecure to send the key without TLS", from)
	}
	return addr, !o.insecure, nil
}

// parseAddr turns a server address into host:port. raw is host, host:port, or
// a URL such as https://api.clarifai.com (Clarifai's CLARIFAI_API_BASE);
// without a port, https and bare hosts use 443 and http uses 80. plaintext
// reports an http:// URL. A URL's path is ignored: gRPC has no use for it.
func parseAddr(raw string) (addr string, plaintext bool, err error) {
	raw = strings.TrimSpace(raw)
	host, port := "", ""
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", false, fmt.Errorf("bad URL %q: %w", raw, err)
		}
		switch u.Scheme {
		case "https", "grpcs":
			port = "443"
		case "http", "grpc":
			port, plaintext = "80", true
		default:
			return "", false, fmt.Errorf("bad URL %q: scheme must be https or http", raw)
		}
		host = u.Hostname()
		if p := u.Port(); p != "" {
			port = p
		}
	} else {
		h, p, err := net.SplitHostPort(raw)
		if err != nil {
			// No port (or a bare IPv6 address): use the default.
			h, p = strings.Trim(raw, "[]"), "443"
		}
		host, port = h, p
	}
	if host == "" || strings.ContainsAny(host, "/ ") {
		return "", false, fmt.Errorf("bad address %q: want host, host:port or an https:// URL", raw)
	}
	return net.JoinHostPort(host, port), plaintext, nil
}

// isLoopback reports whether addr (host:port) names this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadCatalog reads a binary FileDescriptorSet into a private registry, so
// that nothing is registered globally, and returns the scopes catalog over it.
func loadCatalog(path string) (*scopes.Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-protoset: %w", err)
	}
	var set descriptorpb.FileDescriptorSet
	// An empty resolver keeps Clarifai's option extensions as unknown
	// fields whatever this program links; the catalog reads them from their
	// wire bytes either way.
	if err := (proto.UnmarshalOptions{Resolver: new(protoregistry.Types)}).Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("-protoset %s: not a binary FileDescriptorSet: %w", path, err)
	}
	if len(set.GetFile()) == 0 {
		return nil, fmt.Errorf("-protoset %s: the descriptor set holds no files", path)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("-protoset %s: %w (was it built with its imports: protoc --include_imports, or buf build?)", path, err)
	}
	return scopes.NewCatalog(files), nil
}

// lookupMethods resolves the -method names in catalog, dropping duplicates.
func lookupMethods(catalog *scopes.Catalog, names []string) ([]scopes.Requirement, error) {
	var reqs []scopes.Requirement
	seen := make(map[string]bool)
	var unknown []string
	for _, name := range names {
		req, ok := catalog.Required(name)
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		if !seen[req.Method] {
			seen[req.Method] = true
			reqs = append(reqs, req)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("-method: %s not found in the -protoset's services", strings.Join(unknown, ", "))
	}
	return reqs, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
