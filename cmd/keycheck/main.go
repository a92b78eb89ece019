// Command keycheck answers "what may this Clarifai key do?".
//
// It finds a credential where Clarifai's SDKs find one (CLARIFAI_PAT,
// CLARIFAI_API_KEY or CLARIFAI_SESSION_TOKEN in the environment, then the
// current context of the Clarifai CLI's ~/.config/clarifai/config) or reads
// it from -key-file, asks the Clarifai API (/clarifai.api.V2/MyScopes) what
// the key may do in an app, and prints the key's scopes and endpoints as a
// table, or as JSON with -json:
//
//	go run ./cmd/keycheck -user my-user -app my-app
//
// With -method it also checks whether the key may call the named methods,
// reading what each needs (the cl_depending_scopes option Clarifai annotates
// its methods with) from a descriptor set given with -protoset, as written by
// `buf build -o clarifai.binpb` or `protoc --include_imports
// --descriptor_set_out=clarifai.binpb`, and names the scopes that are missing:
//
//	keycheck -protoset clarifai.binpb -method PostInputs,PostModelOutputs
//
// The server is api.clarifai.com:443 over TLS unless -addr, CLARIFAI_API_BASE
// (a URL such as https://api.clarifai.com) or the CLI context's
// CLARIFAI_API_BASE says otherwise; the app comes from -user and -app, then
// CLARIFAI_USER_ID and CLARIFAI_APP_ID, then the CLI context. Flags win over
// the environment, which wins over the CLI context.
//
// The key itself is never printed: only its redacted form, such as
// "pat(…a1b2)".
//
// # Exit status
//
//	0  the key works and may call every method given with -method
//	1  the key may not call some method (the missing scopes are named), or
//	   the server rejected the key
//	2  usage error, no credential, unreadable -protoset, or the server could
//	   not be reached or did not answer
//
// so that a deploy pipeline can check a key before rolling it out.
//
// # Demo
//
// Run with no credential anywhere and none of the flags that only make sense
// against a real server, keycheck does not fail: it starts an embedded,
// clearly labelled fake Clarifai V2 server on 127.0.0.1 and walks through what
// the clarifaiauth library does (key from the environment, per-request
// overrides, in-band status errors with their missing scopes, preflight
// refusals), then prints what keycheck reports for the demo key. -demo forces
// the demo even when a credential is set; the real credential is not used.
//
// # Flags
//
//	-addr host[:port]   server address, or an https:// URL (default api.clarifai.com:443)
//	-insecure           plaintext gRPC, for a local server or test (sends the key unencrypted)
//	-user, -app         the app to ask about (default: the key's own app)
//	-key-file FILE      read the key from FILE instead of the environment and CLI config
//	-method M1,M2       methods to check; repeatable; needs -protoset
//	-protoset FILE      FileDescriptorSet of Clarifai's API, imports included
//	-json               print JSON instead of a table
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
			*m = append(*m, name)
		}
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command: it parses args, does the check or the demo,
// writes the report to stdout and diagnostics to stderr, and returns the exit
// status. Credentials and settings are read from the process environment,
// where the keysource package reads them; tests control it with t.Setenv.
// The demo sets one variable of its own (KEYCHECK_DEMO_PAT) while it runs and
// then restores it, so calls of run must not overlap within one process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "keycheck: %v\n", err)
		fmt.Fprintln(stderr, "Run 'keycheck -h' for usage.")
		return exitError
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	if opts.demo {
		return runDemo(ctx, "-demo was given", stdout, stderr)
	}
	return runCheck(ctx, opts, stdout, stderr)
}

// parseArgs parses the command line. Usage errors are returned; the flag
// package has already printed them and the usage text to stderr.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("keycheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "", "server `host[:port]` or https:// URL (default: $CLARIFAI_API_BASE, the CLI config, api.clarifai.com:443)")
	fs.BoolVar(&o.insecure, "insecure", false, "use plaintext gRPC (local servers and tests only: the key is sent unencrypted)")
	fs.StringVar(&o.userID, "user", "", "user `id` of the app to check (default: $CLARIFAI_USER_ID, the CLI config)")
	fs.StringVar(&o.appID, "app", "", "app `id` to check (default: $CLARIFAI_APP_ID, the CLI config)")
	fs.StringVar(&o.keyFile, "key-file", "", "read the key from `file` instead of the environment and the CLI config")
	fs.Var(&o.methods, "method", "`methods` to check, comma-separated (PostInputs or /clarifai.api.V2/PostInputs); repeatable; needs -protoset")
	fs.StringVar(&o.protoset, "protoset", "", "FileDescriptorSet `file` of Clarifai's API, imports included (buf build -o, protoc --descriptor_set_out --include_imports)")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "give up after this `duration`")
	fs.BoolVar(&o.demo, "demo", false, "run the demo against an embedded fake server, even if a credential is set")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageFooter)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("-timeout must be positive, not %v", o.timeout)
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "timeout", "demo":
		default:
			o.realOnly = append(o.realOnly, "-"+f.Name)
		}
	})
	if o.demo && len(o.realOnly) > 0 {
		return nil, fmt.Errorf("-demo cannot be combined with %s", strings.Join(o.realOnly, ", "))
	}
	if len(o.methods) > 0 && o.protoset == "" {
		return nil, errors.New("-method needs -protoset: the descriptor set tells which scopes each method needs")
	}
	return o, nil
}

const usageHeader = `Usage: keycheck [flags]

keycheck asks the Clarifai API what a key may do: its scopes and endpoints in
an app and, with -method, whether it may call the given methods.

The key comes from -key-file, else CLARIFAI_PAT, CLARIFAI_API_KEY or
CLARIFAI_SESSION_TOKEN, else the Clarifai CLI's ~/.config/clarifai/config.
With no key anywhere (and no flag but -timeout), keycheck runs a demo against
an embedded fake server instead.

Flags:
`

const usageFooter = `
Exit status: 0 all allowed, 1 something missing or key rejected,
2 usage, configuration or connection error.

Examples:
  keycheck -user me -app my-app
  keycheck -json
  keycheck -protoset clarifai.binpb -method PostInputs,PostModelOutputs
  keycheck -demo
`
