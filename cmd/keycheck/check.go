package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/cliconfig"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc/status"
)

// runCheck is real mode: it finds the key, asks the server what it may do and
// prints the report. With no credential anywhere and no flag that only makes
// sense against a real server, it runs the demo instead. Failures come back
// as *failure.
func runCheck(ctx context.Context, o *options, stdout, stderr io.Writer) (int, error) {
	// Everything that can be checked locally is checked before the key is
	// looked for or the network used, so usage errors come first.
	var reqs []scopes.Requirement
	if len(o.methods) > 0 || o.protoset != "" {
		files, _, err := descriptors(ctx, o)
		if err != nil {
			return exitError, err
		}
		if reqs, err = lookupMethods(scopes.NewCatalog(files), o.methods); err != nil {
			return exitError, err
		}
	}
	settings, err := cliSettings(ctx)
	if err != nil {
		return exitError, err
	}
	base, from, err := apiBase(o, settings)
	if err != nil {
		return exitError, err
	}

	src, origin := keySource(o)
	key, err := src.Key(ctx)
	if err != nil {
		if errors.Is(err, keysource.ErrNoKey) && o.keyFile == "" {
			if len(o.realOnly) == 0 {
				return runDemo(ctx, "no Clarifai credential was found", stdout, stderr), nil
			}
			return exitError, failf(exitError, "%s\n(no demo, as %s were given; keycheck -demo runs it)",
				keyError(err), strings.Join(o.realOnly, ", "))
		}
		if o.keyFile != "" {
			return exitError, failf(exitError, "-key-file: %s", keyError(err))
		}
		return exitError, failf(exitError, "%s", keyError(err))
	}
	z := newSanitizer(key)
	if origin == "" {
		origin = keyOrigin(ctx, key)
	}
	// The key is looked for before the base is checked, so that a fresh
	// clone with an odd CLARIFAI_API_BASE still gets the demo.
	conn, err := clarifaiauth.NewClient(clientOptions(o, src, base)...)
	if err != nil {
		f := connectError(err, from)
		f.z = z
		return exitError, f
	}
	defer conn.Close()
	userID := firstNonEmpty(o.userID, os.Getenv(cliconfig.EnvUserID), settings.UserID)
	appID := firstNonEmpty(o.appID, os.Getenv(cliconfig.EnvAppID), settings.AppID)
	if key.Kind() == keysource.KindPAT && userID == "" {
		f := usagef("the key %s from %s is a PAT, and a PAT acts for a user: Clarifai needs that user's ID with it.\n"+
			"Give -user USER_ID (and -app APP_ID), or set CLARIFAI_USER_ID (and CLARIFAI_APP_ID).", key, origin)
		f.z = z
		return exitError, f
	}

	addr := conn.Target()
	plaintext := isPlaintext(base)
	if plaintext && !isLoopback(addr) {
		fmt.Fprintf(stderr, "keycheck: warning: sending the key to %s without TLS (-insecure)\n", z.text(addr))
	}

	// CallKey sends exactly the key this report names.
	grant, err := preflight.MyScopes(ctx, conn, userID, appID, interceptor.CallKey(key))
	if err != nil {
		f := callError(addr, key, err)
		f.z = z
		return f.code, f
	}

	r := checkReport(grant, reqs, key.Kind())
	r.UserID, r.AppID = userID, appID
	r.Server, r.TLS = addr, !plaintext
	r.Key, r.KeySource = key.String(), origin
	r.san = z
	if err := r.write(stdout, o.json); err != nil {
		return exitError, failf(exitError, "%v", err)
	}
	if !r.Allowed {
		return exitMissing, nil
	}
	return exitOK, nil
}

// clientOptions sets up clarifaiauth.NewClient for one MyScopes call: the
// key's source, the base resolved here, the user and app passed to
// MyScopes explicitly rather than filled in, and no retry, so that the
// report says what one call got, within -timeout.
func clientOptions(o *options, src keysource.Source, base string) []clarifaiauth.Option {
	opts := []clarifaiauth.Option{
		clarifaiauth.WithSource(src),
		clarifaiauth.WithAPIBase(base),
		clarifaiauth.WithUserApp("", ""),
		clarifaiauth.WithoutRetry(),
	}
	if o.insecure {
		opts = append(opts, clarifaiauth.AllowInsecure())
	}
	return opts
}

// apiBase picks the API base, from -addr, then CLARIFAI_API_BASE, then the
// CLI context's CLARIFAI_API_BASE, then Clarifai's, and says where it came
// from. -addr may be host[:port], which is https://host:port (port 443 by
// default), or http://host:port with -insecure; a URL is passed on as it is,
// for clarifaiauth.NewClient to check.
func apiBase(o *options, s cliconfig.Settings) (base, from string, err error) {
	if raw := strings.TrimSpace(o.addr); raw != "" {
		if strings.Contains(raw, "://") {
			return raw, "-addr", nil
		}
		host, port, err := net.SplitHostPort(raw)
		if err != nil {
			// No port (or a bare IPv6 address): Clarifai's.
			host, port = strings.Trim(raw, "[]"), "443"
		}
		if host == "" || strings.ContainsAny(host, "/ ?#@") {
			var z sanitizer
			return "", "", usagef("-addr %s: want host, host:port, or an API base URL such as https://api.clarifai.com", z.text(raw))
		}
		scheme := "https://"
		if o.insecure {
			scheme = "http://"
		}
		return scheme + net.JoinHostPort(host, port), "-addr", nil
	}
	if v := os.Getenv(cliconfig.EnvAPIBase); v != "" {
		return v, "$" + cliconfig.EnvAPIBase, nil
	}
	if s.APIBase != "" {
		return s.APIBase, "the Clarifai CLI context's " + cliconfig.EnvAPIBase, nil
	}
	return cliconfig.DefaultAPIBase, "the default API base", nil
}

// connectError explains why clarifaiauth.NewClient refused the set-up.
func connectError(err error, from string) *failure {
	var z sanitizer
	if errors.Is(err, clarifaiauth.ErrInsecureBase) {
		return usagef("%s is a plaintext http:// API base: pass -insecure to send the key without TLS", from)
	}
	// The base is not quoted: a misconfigured one might hold a secret.
	return failf(exitError, "%s: %s", from, z.text(strings.TrimPrefix(err.Error(), "clarifaiauth: ")))
}

// isPlaintext reports whether base, an API base NewClient accepted, asks
// for plaintext.
func isPlaintext(base string) bool {
	u, err := url.Parse(strings.TrimSpace(base))
	return err == nil && u.Scheme == "http"
}

// callError explains a failed MyScopes call and picks the exit status: a key
// the server rejects fails the check (1); anything else means the check
// could not be made (2). Server text in it is escaped and scrubbed of the key.
func callError(addr string, key keysource.Key, err error) *failure {
	z := newSanitizer(key)
	if se, ok := scopes.FromError(err); ok && rejectsKey(se) {
		return failf(exitMissing, "the server at %s rejected the key %s: %s", z.text(addr), key, z.text(se.Error()))
	}
	if st, ok := status.FromError(err); ok {
		return failf(exitError, "%s: MyScopes failed: %s: %s", z.text(addr), st.Code(), z.text(st.Message()))
	}
	return failf(exitError, "%s: MyScopes failed: %s", z.text(addr), z.text(err.Error()))
}

// rejectsKey reports whether e says the key itself is not good for the app,
// as opposed to a failure of the server or of the transport.
func rejectsKey(e *scopes.Error) bool {
	if e.Code == 11000 { // CONN_ACCOUNT_ISSUES
		return true
	}
	for _, target := range []error{
		scopes.ErrKeyInvalid, scopes.ErrKeyNotFound, scopes.ErrAuthMethodDisabled,
		scopes.ErrInsufficientScopes,
	} {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

// keyError is the text of an error from a keysource.Source, as keysource
// wrote it (the no-key error lists where it looked, a line each) without
// the "keysource: " of its sentinels, which "keycheck: " replaces.
func keyError(err error) string {
	return strings.ReplaceAll(err.Error(), "keysource: ", "")
}

// keySource returns where the key comes from, and a description of it if
// that is known before the key is read.
func keySource(o *options) (keysource.Source, string) {
	if o.keyFile != "" {
		f := keysource.File(o.keyFile)
		return f, fmt.Sprint(f)
	}
	return keysource.Default(), ""
}

// keyOrigin tells which place keysource.Default took key from: one of the
// environment variables, or the CLI config.
func keyOrigin(ctx context.Context, key keysource.Key) string {
	for _, name := range []string{cliconfig.EnvPAT, cliconfig.EnvAPIKey, cliconfig.EnvSessionToken} {
		if k, err := keysource.Env(name).Key(ctx); err == nil && k.Equal(key) {
			return "$" + name
		}
	}
	return fmt.Sprint(keysource.ClarifaiConfig(""))
}

// cliSettings returns the settings of the Clarifai CLI's current context,
// or zero settings when there is no CLI config. A config that exists but
// cannot be used is an error, as it is for clarifaiauth.NewClient: ignoring
// it could check the key against the wrong server or app.
func cliSettings(ctx context.Context) (cliconfig.Settings, error) {
	_, s, err := cliconfig.Current(ctx)
	if err == nil {
		return s, nil
	}
	var z sanitizer
	return cliconfig.Settings{}, failf(exitError, "the Clarifai CLI's config: %s", z.text(err.Error()))
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

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
