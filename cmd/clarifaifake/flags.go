package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the server could not start or stopped on an error
	exitUsage = 2
)

// options are the parsed command line.
type options struct {
	addr  string
	rate  float64
	creds []credential
}

// credential is one -pat or -key.
type credential struct {
	flag   string // "-pat" or "-key"
	secret string
	scopes []string // nil: all scopes
}

// maxSecret bounds a secret's length.
const maxSecret = 128

// credList is a repeatable -pat or -key flag.
type credList struct {
	flag string
	list *[]credential
}

func (c credList) String() string { return "" }

// Set takes SECRET or SECRET=Scope1,Scope2. A secret may itself hold '='
// (base64 padding): the text after the last '=' is read as scopes only if
// it looks like a list of scope names, and then each must be a real one
// (checked later, against the descriptors).
func (c credList) Set(v string) error {
	secret, scopes := v, []string(nil)
	if i := strings.LastIndexByte(v, '='); i >= 0 && looksLikeScopes(v[i+1:]) {
		secret = v[:i]
		scopes = strings.Split(v[i+1:], ",")
	}
	if secret == "" {
		return errors.New("empty secret")
	}
	if len(secret) > maxSecret || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == '\\' }) {
		// Keys travel in a header, and the call lines find a secret sent in
		// any header only if it is printed unescaped and unclipped.
		return fmt.Errorf("a secret is 1 to %d printable ASCII characters, without spaces, quotes or backslashes", maxSecret)
	}
	*c.list = append(*c.list, credential{flag: c.flag, secret: secret, scopes: scopes})
	return nil
}

// looksLikeScopes reports whether s is a non-empty comma-separated list of
// words made of letters, digits, ':' and '_'.
func looksLikeScopes(s string) bool {
	if s == "" {
		return false
	}
	for _, w := range strings.Split(s, ",") {
		if w == "" {
			return false
		}
		for _, r := range w {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == ':' || r == '_') {
				return false
			}
		}
	}
	return true
}

const usage = `Usage: clarifaifake -pat SECRET [flags]

clarifaifake serves a fake Clarifai API (every method of Clarifai's API
%s) on a local port, for running programs against. It prints the API base
to use first, then one line for each call it answers, with keys redacted.

Flags:
  -pat SECRET[=Scope1,Scope2]  a personal access token; repeatable
  -key SECRET[=Scope1,Scope2]  an app-specific API key (no PATAuth methods); repeatable
  -addr HOST:PORT              where to listen (default 127.0.0.1:0: loopback, a free port)
  -rate N                      answer CONN_THROTTLED past N calls a second per key (default: no limit)

A credential without =scopes has every scope. Any user and app id is accepted.

Example:
  clarifaifake -pat my-test-pat -key my-app-key=Predict,Models:Get
  CLARIFAI_API_BASE=http://127.0.0.1:PORT CLARIFAI_PAT=my-test-pat go run ./myprogram
`

// newFlagSet defines the flags, into o. The usage text describes them.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("clarifaifake", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "")
	fs.Float64Var(&o.rate, "rate", 0, "")
	fs.Var(credList{"-pat", &o.creds}, "pat", "")
	fs.Var(credList{"-key", &o.creds}, "key", "")
	return fs
}

// parse reads the command line. A usage error never holds a secret.
func parse(args []string, stderr io.Writer) (*options, bool, error) {
	o := &options{}
	fs := newFlagSet(o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, usage, apiVersion)
			return nil, true, nil
		}
		// The flag package quotes the value of a flag that failed: keep
		// only the reason, which names the flag, not the secret.
		msg := err.Error()
		if strings.HasPrefix(msg, "invalid value ") {
			if _, reason, ok := strings.Cut(msg, ": "); ok {
				msg = "invalid " + flagOf(msg) + ": " + reason
			}
		}
		return nil, false, errors.New(cleantext.String(msg, 200))
	}
	if fs.NArg() > 0 {
		return nil, false, fmt.Errorf("unexpected argument %q (flags only)", cleantext.String(fs.Arg(0), 40))
	}
	if len(o.creds) == 0 {
		return nil, false, errors.New("give at least one credential: -pat SECRET for a PAT with every scope, -key SECRET for an API key, or SECRET=Scope1,Scope2 for fewer scopes")
	}
	if math.IsNaN(o.rate) || math.IsInf(o.rate, 0) || o.rate < 0 {
		return nil, false, fmt.Errorf("-rate %v: want a number of calls a second, at least 0 (0: no limit)", o.rate)
	}
	return o, false, nil
}

// flagOf returns the flag named in the flag package's "invalid value"
// error, such as "-pat".
func flagOf(msg string) string {
	if i := strings.Index(msg, " for flag -"); i >= 0 {
		rest := msg[i+len(" for flag "):]
		if j := strings.IndexByte(rest, ':'); j >= 0 {
			return rest[:j]
		}
	}
	return "value"
}
