package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/internal/clarifaiapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
)

// apiVersion is the release of Clarifai's API the server serves.
const apiVersion = clarifaiapi.ClientVersion

// run serves until ctx ends, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, help, err := parse(args, stderr)
	if help {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "clarifaifake: %s\nRun clarifaifake -h for usage.\n", err)
		return exitUsage
	}
	files, err := clarifaiapi.Files()
	if err != nil {
		fmt.Fprintf(stderr, "clarifaifake: embedded descriptors: %v\n", err)
		return exitError
	}
	if err := checkCredentials(o.creds, files); err != nil {
		fmt.Fprintf(stderr, "clarifaifake: %s\nRun clarifaifake -h for usage.\n", err)
		return exitUsage
	}
	log := newCallLog(stdout, o.creds)
	srv, err := clarifaifake.New(clarifaifake.WithFiles(files), clarifaifake.WithCallLog(log.print))
	if err != nil {
		fmt.Fprintf(stderr, "clarifaifake: %v\n", err)
		return exitError
	}
	pats, keys := 0, 0
	for _, c := range o.creds {
		scopes := c.scopes
		if scopes == nil {
			scopes = []string{"All"}
		}
		if c.flag == "-pat" {
			srv.AddPAT(c.secret, scopes, nil)
			pats++
		} else {
			srv.AddAPIKey(c.secret, scopes, nil)
			keys++
		}
	}
	if o.rate > 0 {
		srv.SetRateLimit(o.rate, int(math.Ceil(o.rate)))
	}
	lis, err := net.Listen("tcp", o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "clarifaifake: -addr %s: %s\n", cleantext.String(o.addr, 200), cleantext.String(err.Error(), 400))
		return exitError
	}
	addr := lis.Addr().(*net.TCPAddr)
	fmt.Fprintf(stdout, "CLARIFAI_API_BASE=http://%s\n", net.JoinHostPort(dialHost(addr.IP), strconv.Itoa(addr.Port)))
	if !addr.IP.IsLoopback() {
		fmt.Fprintf(stderr, "clarifaifake: listening on %s, beyond loopback: anyone who can reach it may call it, and keys travel unencrypted\n", addr)
	}
	fmt.Fprintf(stderr, "clarifaifake: serving Clarifai's API %s on %s for %d PAT(s) and %d API key(s), any user and app id; Ctrl-C stops\n",
		apiVersion, addr, pats, keys)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case <-ctx.Done():
		srv.Stop()
		<-served
		fmt.Fprintln(stderr, "clarifaifake: stopped")
		return exitOK
	case err := <-served:
		fmt.Fprintf(stderr, "clarifaifake: %s\n", cleantext.String(err.Error(), 400))
		return exitError
	}
}

// dialHost is the host a program on this machine dials to reach a listener
// on ip: a loopback address for an unspecified one (0.0.0.0, ::).
func dialHost(ip net.IP) string {
	switch {
	case ip.IsUnspecified() && ip.To4() != nil:
		return "127.0.0.1"
	case ip.IsUnspecified():
		return "::1"
	}
	return ip.String()
}

// checkCredentials rejects a secret given twice and scopes the API does not
// have. Errors name a credential by its flag and redacted secret.
func checkCredentials(creds []credential, files *protoregistry.Files) error {
	known := map[string]bool{"All": true}
	if d, err := files.FindDescriptorByName("clarifai.auth.scope.S"); err == nil {
		if e, ok := d.(protoreflect.EnumDescriptor); ok {
			for i := range e.Values().Len() {
				known[strings.Replace(string(e.Values().Get(i).Name()), "_", ":", 1)] = true
			}
		}
	}
	seen := make(map[string]bool)
	for _, c := range creds {
		if seen[c.secret] {
			return fmt.Errorf("%s %s: the same secret is given twice", c.flag, redact(c.secret))
		}
		seen[c.secret] = true
		for _, s := range c.scopes {
			if !known[s] {
				return fmt.Errorf("%s %s: %q is not a scope of Clarifai's API %s (spelled like Inputs:Add, Predict or All)",
					c.flag, redact(c.secret), cleantext.String(s, 80), apiVersion)
			}
		}
	}
	return nil
}

// redact shows at most the last four characters of a secret, and none of a
// short one, as the server's call lines do.
func redact(secret string) string {
	if len(secret) < 16 {
		return "…"
	}
	return "…" + secret[len(secret)-4:]
}

// callLog prints one line for each call, safely from concurrent handlers.
type callLog struct {
	mu    sync.Mutex
	w     io.Writer
	scrub *strings.Replacer // the secrets given, wherever a client sent them
}

func newCallLog(w io.Writer, creds []credential) *callLog {
	var pairs []string
	for _, c := range creds {
		pairs = append(pairs, c.secret, redact(c.secret))
	}
	return &callLog{w: w, scrub: strings.NewReplacer(pairs...)}
}

// print writes the call's line: the time, the method, the metadata the
// caller set (credentials redacted), the reply codes and any error.
func (l *callLog) print(c clarifaifake.Call) {
	line := time.Now().Format("15:04:05.000") + " " + l.scrub.Replace(c.String())
	line = cleantext.String(line, 4096)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, line)
}
