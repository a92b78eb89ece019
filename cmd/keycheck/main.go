// Command keycheck answers "what may this Clarifai key do?", and "which
// scopes does a key need for these methods?". It finds a credential where
// Clarifai's SDKs find one (or in -key-file), connects with
// clarifaiauth.NewClient, asks the API (MyScopes) what the key may do in an
// app, and prints the key's scopes and endpoints as a table, or as JSON:
//
//	keycheck -user my-user -app my-app
//
// With -method it checks the key against what each method requires and
// names what is missing; -least needs no key and no network, and prints the
// least scopes or endpoints, and the credential, that cover the methods:
//
//	keycheck -least -method PostInputs,PostModelOutputs
//
// Methods come from Clarifai's API 12.4.0, embedded (-protoset: a newer one).
// The key is only ever printed redacted; text from outside is escaped and
// bounded. With no credential, or -demo, it runs a demo against an embedded
// fake server; docs/keycheck.md has the details.
//
// Exit status:
//
//	0  the key works and may call every method given with -method
//	   (-least: the report was printed)
//	1  the key may not call some method, or the server rejected the key
//	   (-least: an AdminAuth method, which no user credential may call)
//	2  usage error, no credential, an unreadable file, or the server could
//	   not be reached or did not answer in time
//
// # Flags
//
//	-addr host[:port]   server, or an API base URL (default https://api.clarifai.com)
//	-insecure           allow http:// to another machine (the key travels unencrypted)
//	-user, -app         the app to ask about (a PAT needs -user)
//	-key-file FILE      read the key from FILE instead of the environment and CLI config
//	-method M1,M2       methods to check; repeatable
//	-protoset FILE      FileDescriptorSet of a newer API than the embedded 12.4.0
//	-least              print the least privilege for -method; no key, no network
//	-json               print JSON instead of a table, errors included
//	-timeout D          give up after D (default 15s)
//	-demo               run the demo against an embedded fake server
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// Exit statuses.
const (
	exitOK      = 0 // the key may do everything asked
	exitMissing = 1 // the key lacks something, or was rejected
	exitError   = 2 // usage, configuration or connection error
)

// defaultTimeout bounds a whole run unless -timeout says otherwise.
const defaultTimeout = 15 * time.Second

// options are the parsed command line.
type options struct {
	addr     string
	insecure bool
	userID   string
	appID    string
	keyFile  string
	methods  methodList
	protoset string
	least    bool
	json     bool
	timeout  time.Duration
	demo     bool

	// realOnly lists the flags given that only make sense against a real
	// server; any of them turns off the automatic demo.
	realOnly []string
}

// methodList is the value of -method: comma-separated names, and the flag
// may be repeated.
type methodList []string

func (m *methodList) String() string { return strings.Join(*m, ",") }

func (m *methodList) Set(v string) error {
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*m = append(*m, fullMethod(name))
		}
	}
	return nil
}

// fullMethod turns a dotted method name ("clarifai.api.V2.ListModels") into
// a full one ("/clarifai.api.V2/ListModels"); others stay as they are.
func fullMethod(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 && i < len(name)-1 {
		return "/" + name[:i] + "/" + name[i+1:]
	}
	return name
}

// flagError is the flag package's error on one line, with a suggestion
// where one helps: a -timeout without a unit.
func flagError(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "-timeout") {
		if i := strings.Index(msg, `value "`); i >= 0 {
			v, _, _ := strings.Cut(msg[i+len(`value "`):], `"`)
			if _, perr := strconv.ParseFloat(v, 64); perr == nil {
				return fmt.Sprintf("-timeout %s: a duration needs a unit, such as %ss or %sms", v, v, v)
			}
		}
	}
	return msg
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command: it parses args, does the check, the -least
// report or the demo, writes the report to stdout and diagnostics to stderr
// (or, with -json, errors to stdout as JSON), and returns the exit status.
// Credentials and settings are read from the process environment, where the
// keysource package reads them; tests control it with t.Setenv. The demo
// sets one variable of its own (KEYCHECK_DEMO_PAT) while it runs and then
// restores it, so calls of run must not overlap within one process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, o := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage(fs))
			return exitOK
		}
		// The flag package's own error, on one line with a pointer to -h:
		// the whole usage would scroll the error away.
		f := &failure{code: exitError, msg: flagError(err), usage: true}
		return writeFailure(f, jsonRequested(args), stdout, stderr)
	}
	if err := o.check(fs); err != nil {
		return writeFailure(err, o.json, stdout, stderr)
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var code int
	var err error
	switch {
	case o.demo:
		return runDemo(ctx, "-demo was given", stdout, stderr)
	case o.least:
		code, err = runLeast(ctx, o, stdout)
	default:
		code, err = runCheck(ctx, o, stdout, stderr)
	}
	if err != nil {
		var f *failure
		if !errors.As(err, &f) {
			f = &failure{code: exitError, msg: err.Error()}
		}
		return writeFailure(f, o.json, stdout, stderr)
	}
	return code
}

// newFlagSet defines the flags. Parse errors and -h are reported by run,
// so the flag package itself prints nothing.
func newFlagSet() (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("keycheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.addr, "addr", "", "server `host[:port]` (TLS; plaintext on localhost or a loopback address) or API base URL https://host[:port], http://host:port (default: $CLARIFAI_API_BASE, the CLI config, https://api.clarifai.com)")
	fs.BoolVar(&o.insecure, "insecure", false, "allow an http:// API base on another machine (the key is sent unencrypted); this machine's need no flag")
	fs.StringVar(&o.userID, "user", "", "user `id` of the app to check; a PAT needs one (default: $CLARIFAI_USER_ID, the CLI config)")
	fs.StringVar(&o.appID, "app", "", "app `id` to check (default: $CLARIFAI_APP_ID, the CLI config)")
	fs.StringVar(&o.keyFile, "key-file", "", "read the key from `file` instead of the environment and the CLI config")
	fs.Var(&o.methods, "method", "`methods` to check, comma-separated (PostInputs or /clarifai.api.V2/PostInputs); repeatable")
	fs.StringVar(&o.protoset, "protoset", "", "FileDescriptorSet `file` of Clarifai's API, imports included, for an API newer than the embedded "+apiVersion+" (see docs/keycheck.md)")
	fs.BoolVar(&o.least, "least", false, "print the least scopes (or endpoints) and credential that cover -method; needs no key and no network")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table; errors too, as {\"error\": …, \"exit\": N} on stdout")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "give up after this `duration`, reading the key included")
	fs.BoolVar(&o.demo, "demo", false, "run the demo against an embedded fake server, even if a credential is set")
	return fs, o
}

// check validates the parsed flags together.
func (o *options) check(fs *flag.FlagSet) *failure {
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if o.timeout <= 0 {
		return usagef("-timeout must be positive, not %v", o.timeout)
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "timeout", "demo":
		default:
			o.realOnly = append(o.realOnly, "-"+f.Name)
		}
	})
	if o.demo && len(o.realOnly) > 0 {
		return usagef("-demo cannot be combined with %s", strings.Join(o.realOnly, ", "))
	}
	if o.least {
		var conflict []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "addr", "insecure", "user", "app", "key-file":
				conflict = append(conflict, "-"+f.Name)
			}
		})
		if len(conflict) > 0 {
			return usagef("-least needs no key and no server: drop %s", strings.Join(conflict, ", "))
		}
		if len(o.methods) == 0 {
			return usagef("-least needs -method: the methods the key is for")
		}
	}
	return nil
}

// jsonRequested reports whether args ask for -json. It serves when parsing
// failed, so that a JSON caller gets its error as JSON even when the bad
// flag comes before -json.
func jsonRequested(args []string) bool {
	on := false
	for _, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "json" {
			continue
		}
		on = true
		if hasVal {
			on, _ = strconv.ParseBool(val)
		}
	}
	return on
}

// usage is the text -h prints.
func usage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(usageHeader)
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	b.WriteString(usageFooter)
	return b.String()
}

const usageHeader = `Usage: keycheck [flags]

keycheck asks the Clarifai API what a key may do: its scopes and endpoints in
an app and, with -method, whether it may call the given methods. With -least
it prints the least scopes a key needs for the methods, offline.

The key comes from -key-file, else CLARIFAI_PAT, CLARIFAI_API_KEY or
CLARIFAI_SESSION_TOKEN, else the Clarifai CLI's ~/.config/clarifai/config.
A PAT acts for a user: give -user (or CLARIFAI_USER_ID) with it.

Demo: -demo, or no key anywhere and no flag but -timeout, runs a walk-through
against an embedded fake Clarifai server (loopback, made-up keys) instead.

Flags:
`

const usageFooter = `
Output: a table, or JSON with -json. Errors go to stderr, or with -json to
stdout as {"error": "...", "exit": N}. Server text is printed escaped, the key
only redacted.

Exit status: 0 all allowed, 1 something missing or key rejected,
2 usage, configuration or connection error.

Examples:
  keycheck -user me -app my-app
  keycheck -user me -json
  keycheck -user me -method PostInputs,PostModelOutputs
  keycheck -least -method PostInputs,PostModelOutputs
  keycheck -least -protoset newer-api.binpb -method SomeNewMethod
  keycheck -demo
`
