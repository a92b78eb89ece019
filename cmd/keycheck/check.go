package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/settings"
	"github.com/grpc-keyauth/clarifaiauth/internal/transportsec"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
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
	in := settings.Input{
		UserID:   settings.Value{Value: o.userID, From: "-user"},
		AppID:    settings.Value{Value: o.appID, From: "-app"},
		KeyGiven: o.keyFile != "",
		// The user and app are part of what keycheck checks: a config
		// that might name them must be readable.
		Strict: true,
	}
	if o.addr != "" {
		base, err := addrBase(o)
		if err != nil {
			return exitError, err
		}
		in.APIBase = settings.Value{Value: base, From: "-addr"}
	}
	// A base that cannot be used is reported after the key is looked
	// for, so that a fresh clone with an odd CLARIFAI_API_BASE still gets
	// the demo.
	res, baseErr := settings.Resolve(ctx, in)
	if baseErr != nil && res.APIBase.Value == "" {
		var z sanitizer
		return exitError, failf(exitError, "%s", z.text(strings.TrimPrefix(baseErr.Error(), "clarifaiauth: ")))
	}

	src, origin := keySource(o, res.Context)
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
		origin = settings.KeyOrigin(ctx, key)
	}
	res.Key = settings.Value{Value: key.String(), From: origin}
	if baseErr != nil {
		f := failf(exitError, "%s", z.text(strings.TrimPrefix(baseErr.Error(), "clarifaiauth: ")))
		f.z = z
		return exitError, f
	}
	conn, err := clarifaiauth.NewClient(clientOptions(ctx, o, src, res)...)
	if err != nil {
		f := connectError(err, res.APIBase.From)
		f.z = z
		return exitError, f
	}
	defer conn.Close()
	userID, appID := res.UserID.Value, res.AppID.Value
	if key.Kind() == keysource.KindPAT && userID == "" {
		f := usagef("the key %s from %s is a PAT, and a PAT acts for a user: Clarifai needs that user's ID with it.\n"+
			"Give -user USER_ID (and -app APP_ID), or set CLARIFAI_USER_ID (and CLARIFAI_APP_ID).", key, origin)
		f.z = z
		return exitError, f
	}

	// Said before anything waits on the network, so that a slow server is
	// not silence. With -json, stdout's report names them instead.
	if !o.json {
		fmt.Fprintf(stderr, "keycheck: connecting to %s\n", z.text(res.String()))
	}
	addr := res.Endpoint.Addr()
	plaintext := res.Endpoint.Plaintext
	if res.Endpoint.ClearOffHost() {
		fmt.Fprintf(stderr, "keycheck: warning: sending the key to %s without TLS (-insecure)\n", z.text(addr))
	}
	stopWaiting := sayWaiting(ctx, conn, stderr, z.text(res.Endpoint.String()), res.APIBase.From)
	defer stopWaiting()

	var owner string
	if key.Kind() == keysource.KindPAT {
		owner = patOwner(ctx, conn, key)
		if owner != "" && owner != userID {
			fmt.Fprintf(stderr, "keycheck: warning: the PAT is %s's, not %s's (%s): Clarifai will refuse it for apps %s cannot use\n",
				z.text(owner), z.text(userID), res.UserID.From, z.text(owner))
		}
	}

	// CallKey sends exactly the key this report names.
	grant, err := preflight.MyScopes(ctx, conn, userID, appID, interceptor.CallKey(key))
	if err != nil {
		f := callError(addr, res.APIBase.From, key, err)
		f.z = z
		return f.code, f
	}

	r := checkReport(grant, reqs, key.Kind())
	r.UserID, r.AppID = userID, appID
	r.Server, r.TLS = addr, !plaintext
	r.Key, r.KeySource = key.String(), origin
	r.Owner = owner
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
// key's source and the settings keycheck resolved (so that NewClient reads
// nothing more), its reads bounded by -timeout, and no retry, so that the
// report says what one call got, within -timeout.
func clientOptions(ctx context.Context, o *options, src keysource.Source, res settings.Resolved) []clarifaiauth.Option {
	opts := []clarifaiauth.Option{
		clarifaiauth.WithSource(src),
		clarifaiauth.WithAPIBase(res.APIBase.Value),
		// The user and app go to MyScopes explicitly, not filled in.
		clarifaiauth.WithInterceptorOptions(interceptor.WithUserApp("", "")),
		clarifaiauth.WithoutRetry(),
	}
	if deadline, ok := ctx.Deadline(); ok {
		opts = append(opts, clarifaiauth.WithReadTimeout(max(time.Until(deadline), time.Nanosecond)))
	}
	if o.insecure {
		opts = append(opts, clarifaiauth.WithInterceptorOptions(interceptor.AllowInsecureTransport()))
	}
	return opts
}

// waitNotice is how long keycheck waits on the server before it says what
// it waits for.
const waitNotice = 2 * time.Second

// sayWaiting prints on stderr, once the server has kept keycheck waiting
// for waitNotice, what it waits for: the connection (the TLS handshake, or
// a plaintext server's first reply) or the reply to a call. The returned
// function stops it.
func sayWaiting(ctx context.Context, conn *grpc.ClientConn, stderr io.Writer, server, from string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(waitNotice)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		what := "the reply of the server"
		switch conn.GetState() {
		case connectivity.Connecting, connectivity.Idle:
			what = "the TLS handshake with the server"
			if strings.HasPrefix(server, "http://") {
				what = "the first reply of the server"
			}
		case connectivity.TransientFailure:
			what = "a connection to the server"
		}
		fmt.Fprintf(stderr, "keycheck: still waiting for %s at %s (from %s)…\n", what, server, from)
	}()
	return func() {
		cancel()
		<-done
	}
}

// addrBase checks -addr: host[:port], which means what it means in an API
// base (https, or http on this machine), or an API base URL, passed on as
// it is for the resolver to check. -insecure does not make a bare address
// off this machine plaintext: that takes http://.
func addrBase(o *options) (string, error) {
	raw := strings.TrimSpace(o.addr)
	if strings.Contains(raw, "://") {
		return raw, nil
	}
	var z sanitizer
	host, _, err := net.SplitHostPort(raw)
	if err != nil {
		host = strings.Trim(raw, "[]")
	}
	if host == "" || strings.ContainsAny(host, "/ ?#@") {
		return "", usagef("-addr %s: want host, host:port, or an API base URL such as https://api.clarifai.com", z.text(raw))
	}
	if o.insecure && !settings.IsLoopbackHost(host) {
		return "", usagef("-addr %s is TLS, as a bare host[:port] off this machine always is: for plaintext write -addr http://%s", z.text(raw), z.text(raw))
	}
	return raw, nil
}

// connectError explains why clarifaiauth.NewClient refused the set-up.
func connectError(err error, from string) *failure {
	var z sanitizer
	if errors.Is(err, transportsec.ErrInsecureBase) {
		return usagef("the API base from %s is plaintext http:// to another machine: pass -insecure to send the key there without TLS", from)
	}
	// NewClient's errors name the setting they are about (the API base's,
	// the CA bundle's, the CLI config's); an API base given through
	// WithAPIBase is named as keycheck knows it.
	msg := strings.TrimPrefix(err.Error(), "clarifaiauth: ")
	if from != "WithAPIBase" {
		msg = strings.ReplaceAll(msg, "WithAPIBase", from)
	}
	return failf(exitError, "%s", z.text(msg))
}

// callError explains a failed MyScopes call and picks the exit status: a key
// the server rejects fails the check (1); anything else means the check
// could not be made (2). Server text in it is escaped and scrubbed of the key.
func callError(addr, from string, key keysource.Key, err error) *failure {
	z := newSanitizer(key)
	// NewClient names the setting the server came from; -addr reaches it
	// as WithAPIBase.
	err = fromSetting(err, from)
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
	if e.Code == wire.CodeAccountIssues {
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
// that is known before the key is read. keysource.Default reads the CLI
// context the settings came from.
func keySource(o *options, cliContext string) (keysource.Source, string) {
	if o.keyFile != "" {
		f := keysource.File(o.keyFile)
		return f, fmt.Sprint(f)
	}
	if cliContext != "" {
		return keysource.Default(keysource.ConfigContext(cliContext)), ""
	}
	return keysource.Default(), ""
}
