package clarifaiauth_test

// Part of the adversarial suite (issue 13; see adversarial_test.go): the
// audit backs attack 4 (reflection and fmt printers) and the hostile keys
// that held (CRLF, NUL, unicode), across every failure path, logs included.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/keyhook"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	preflightpkg "github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// audit collects every text the library produced on a failure path and
// checks none of it reveals the marker, with the module's one check
// (testutil.NoSecret: the marker, its hex forms, any eight characters).
type audit struct {
	t      *testing.T
	marker string
	texts  int
}

func (a *audit) check(what, text string) {
	a.t.Helper()
	a.texts++
	testutil.NoSecret(a.t, what, text, a.marker)
}

func (a *audit) checkErr(what string, err error) {
	a.t.Helper()
	if err == nil {
		a.t.Errorf("%s: no error", what)
		return
	}
	a.check(what, err.Error())
	a.render(what+" (error)", err)
}

// render checks every fmt rendering of v.
func (a *audit) render(what string, v any) {
	a.t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T", "%p"} {
		a.check(what+" "+verb, fmt.Sprintf(verb, v))
	}
	a.check(what+" Sprint", fmt.Sprint(v))
	a.check(what+" in a struct", fmt.Sprintf("%+v %#v", struct{ V any }{v}, struct{ v any }{v}))
}

// TestSecrecyAudit drives every failure path with a unique marker as the key
// and asserts the marker appears in no error, no log line of
// go-grpc-middleware's logging interceptor, no recovered panic and no fmt
// rendering of any exported type.
func TestSecrecyAudit(t *testing.T) {
	marker := testutil.Marker(t)
	a := &audit{t: t, marker: marker}
	ctx := context.Background()

	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	fake.AddPAT(marker, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	defer fake.Stop()

	var logMu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&syncWriter{mu: &logMu, w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logOpt := logging.WithLogOnEvents(logging.StartCall, logging.FinishCall, logging.PayloadSent, logging.PayloadReceived)
	logFn := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		logger.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	preflight := interceptor.WithPreflight(preflightpkg.New())
	dial := func(src keysource.Source, opts ...interceptor.Option) pb.V2Client {
		t.Helper()
		conn, err := fake.Dial(secure,
			grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(logFn, logOpt), interceptor.UnaryClient(src, opts...)),
			grpc.WithChainStreamInterceptor(logging.StreamClientInterceptor(logFn, logOpt), interceptor.StreamClient(src, opts...)),
		)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return pb.NewV2Client(conn)
	}
	predict := func(what string, c pb.V2Client, ctx context.Context, opts ...grpc.CallOption) {
		t.Helper()
		_, err := c.PostModelOutputs(ctx, predictRequest(), opts...)
		a.checkErr(what, err)
		stream, err := c.GenerateModelOutputs(ctx, predictRequest(), opts...)
		if err == nil {
			_, err = stream.Recv()
		}
		a.checkErr(what+" (stream)", err)
	}

	// Invalid keys, wherever they come from.
	invalid := []string{marker + " " + marker, marker + "\r\nx-evil: 1", "\x00" + marker, marker + "é", marker + "\t" + marker}
	good := dial(staticSource(marker))
	for i, bad := range invalid {
		predict(fmt.Sprintf("invalid static key %d", i), dial(staticSource(bad)), ctx)
		predict(fmt.Sprintf("invalid hand-written header %d", i), good, metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+bad))
		for _, kind := range []keysource.Kind{keysource.KindKey, keysource.KindPAT, keysource.KindSessionToken} {
			_, err := keysource.NewKey(kind, bad)
			a.checkErr("NewKey", err)
		}
	}
	predict("hand-written without Key prefix", good, metadata.AppendToOutgoingContext(ctx, "authorization", marker))
	predict("two hand-written values", good, metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+marker, "authorization", "Key "+marker))

	// Missing keys.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("USERPROFILE", os.Getenv("HOME"))
	for _, name := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"} {
		t.Setenv(name, "")
	}
	predict("no key (Env)", dial(keysource.Env()), ctx)
	predict("no key (Default)", dial(keysource.Default()), ctx)

	// Every in-band failure code, with the marker as a valid key.
	for _, code := range failureCodes(t) {
		fake.SetStatus(predictPath, code, "injected", "")
		fake.SetStreamCodes(generatePath, code)
		predict(fmt.Sprintf("in-band %d", code), good, ctx)
	}
	fake.ClearStatus(predictPath)
	fake.SetStreamCodes(generatePath)

	// The server's own refusal, and a preflight refusal, for the marker key.
	inputs := &pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}}
	_, err = good.PostInputs(ctx, inputs)
	a.checkErr("server refusal", err)
	_, err = dial(staticSource(marker), preflight).PostInputs(ctx, inputs)
	var se *scopes.Error
	if !errors.As(err, &se) || !se.Local {
		t.Errorf("preflight did not refuse: %v", err)
	}
	a.checkErr("preflight refusal", err)
	a.render("the preflight option", preflight)

	// Source errors that had the marker in hand.
	dir := t.TempDir()
	badFile := filepath.Join(dir, "bad")
	os.WriteFile(badFile, []byte(marker+" "+marker), 0o600)
	yaml := filepath.Join(dir, "config")
	os.WriteFile(yaml, []byte("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: "+marker+"\n    [broken: "+marker+"\n"), 0o600)
	both := filepath.Join(dir, "both")
	os.WriteFile(both, []byte("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: "+marker+"\n    CLARIFAI_SESSION_TOKEN: "+marker+"\n"), 0o600)
	alias := filepath.Join(dir, "alias")
	os.WriteFile(alias, []byte("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: *"+marker+"\n"), 0o600)
	badPAT := filepath.Join(dir, "badpat")
	os.WriteFile(badPAT, []byte("current_context: a\ncontexts:\n  a:\n    env:\n      CLARIFAI_PAT: \""+marker+" x\"\n"), 0o600)
	failing := keysource.SourceFunc(func(context.Context) (keysource.Key, error) {
		return keysource.Key{}, errors.New("secret manager unavailable")
	})
	sources := map[string]keysource.Source{
		"file with invalid content": keysource.File(badFile),
		"file that is a directory":  keysource.File(dir),
		"malformed config":          keysource.ClarifaiConfig(yaml),
		"config with an alias PAT":  keysource.ClarifaiConfig(alias),
		"config with PAT and token": keysource.ClarifaiConfig(both),
		"config with invalid PAT":   keysource.ClarifaiConfig(badPAT),
		"cached failing source":     keysource.Cached(failing, time.Minute),
		"chain of failures":         keysource.Chain(keysource.Env("CLARIFAIAUTH_UNSET"), keysource.File(badFile)),
	}
	for name, src := range sources {
		predict(name, dial(src), ctx)
		a.render(name, src)
	}

	// A panicking Source: the panic reaches the caller unchanged, with no
	// key added to it.
	func() {
		defer func() {
			r := recover()
			if r == nil {
				t.Error("the Source's panic was swallowed")
			}
			a.check("recovered panic", fmt.Sprint(r))
		}()
		panicky := keysource.SourceFunc(func(context.Context) (keysource.Key, error) { panic("secret manager client bug") })
		interceptor.UnaryClient(panicky)(keysource.WithKey(ctx, keysource.Key{}), predictPath, predictRequest(), nil, nil, nil)
		interceptor.UnaryClient(panicky)(ctx, predictPath, predictRequest(), nil, nil, nil)
	}()

	// fmt renderings of every exported type that can hold a key.
	k, _ := keysource.NewKey(keysource.KindPAT, marker)
	tok, _ := keysource.NewKey(keysource.KindSessionToken, marker)
	os.WriteFile(filepath.Join(dir, "good"), []byte(marker), 0o600)
	warm := keysource.File(filepath.Join(dir, "good"))
	warm.Key(ctx)
	t.Setenv("CLARIFAI_PAT", marker)
	env := keysource.Env()
	env.Key(ctx)
	def := keysource.Default()
	def.Key(ctx)
	cached := keysource.Cached(k, time.Minute)
	cached.Key(ctx)
	goodCfg := filepath.Join(dir, "goodcfg")
	os.WriteFile(goodCfg, []byte("current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: "+marker+"\n    CLARIFAI_USER_ID: me\n"), 0o600)
	cfg := keysource.ClarifaiConfig(goodCfg)
	cfg.Key(ctx)
	overrideCtx := keysource.WithKey(ctx, k)
	fromCtx, _ := keyhook.FromContext.(func(context.Context) (keysource.Key, bool))(overrideCtx)
	for name, v := range map[string]any{
		"Key": k, "session token Key": tok, "*Key": &k, "Key from context": fromCtx,
		"Static": staticSource(marker),
		"Env":    env, "File": warm, "Default": def, "Cached": cached, "ClarifaiConfig": cfg,
		"Chain":   keysource.Chain(env, warm, cached),
		"CallKey": interceptor.CallKey(k), "CallKey with a token": interceptor.CallKey(tok),
		"PerRPCCredentials":     interceptor.PerRPCCredentials(staticSource(marker)),
		"context with override": overrideCtx,
		"Grant":                 preflightpkg.Grant{},
	} {
		a.render(name, v)
	}
	var wrapped []any
	wrapped = append(wrapped, k, []keysource.Key{k, tok}, map[string]keysource.Key{"k": k})
	a.render("Keys in containers", wrapped)
	slogBuf := &bytes.Buffer{}
	slog.New(slog.NewTextHandler(slogBuf, nil)).Info("key", "key", k, "source", warm)
	a.check("slog", slogBuf.String())

	logMu.Lock()
	defer logMu.Unlock()
	if logs.Len() == 0 {
		t.Fatal("the logging interceptor logged nothing")
	}
	a.check("logging interceptor output", logs.String())
	t.Logf("audited %d texts and %d bytes of logs", a.texts, logs.Len())
}

type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
