package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/internal/version"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Secrets used by the tests. Each is long enough that its redacted form
// shows its last four characters, so a leak of the whole secret is easy to
// tell from the redacted form.
const (
	sourceKey   = "source0000000000000000000000key1"
	sourceKey2  = "source0000000000000000000000key2"
	contextKey  = "context000000000000000000000key1"
	callKey     = "callopt000000000000000000000key1"
	handKey     = "handwritten0000000000000000key01"
	sessionTok  = "session00000000000000000000tok01"
	unknownKey  = "unknown0000000000000000000000key"
	limitedKey  = "limited000000000000000000000key1"
	predictPath = "/clarifai.api.V2/PostModelOutputs"
)

// keyOf and tokenOf build a Key from a test secret known to be valid.
func keyOf(secret string) keysource.Key   { return mustKey(keysource.KindKey, secret) }
func tokenOf(secret string) keysource.Key { return mustKey(keysource.KindSessionToken, secret) }

func mustKey(kind keysource.Kind, secret string) keysource.Key {
	k, err := keysource.NewKey(kind, secret)
	if err != nil {
		panic(err)
	}
	return k
}

var allSecrets = []string{sourceKey, sourceKey2, contextKey, callKey, handKey, sessionTok, unknownKey, limitedKey}

// env is one fake Clarifai server and a client connection to it through the
// interceptors under test.
type env struct {
	srv    *clarifaifake.Server
	conn   *grpc.ClientConn
	client pb.V2Client
}

func newEnv(t testing.TB, src keysource.Source, opts []interceptor.Option, dialOpts ...grpc.DialOption) *env {
	t.Helper()
	dialOpts = append([]grpc.DialOption{
		secure,
		grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(src, opts...)),
		grpc.WithChainStreamInterceptor(interceptor.StreamClient(src, opts...)),
	}, dialOpts...)
	srv, conn := clarifaifake.NewForTest(t, dialOpts...)
	for _, k := range []string{sourceKey, sourceKey2, contextKey, callKey, handKey} {
		srv.AddPAT(k, []string{"All"}, nil)
	}
	srv.AddSessionToken(sessionTok, []string{"All"}, nil)
	srv.AddPAT(limitedKey, []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}, nil)
	return &env{srv: srv, conn: conn, client: pb.NewV2Client(conn)}
}

func predictReq() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"},
		ModelId:   "general-image-recognition",
	}
}

// onlyCall returns the only call the server saw.
func (e *env) onlyCall(t *testing.T) clarifaifake.Call {
	t.Helper()
	calls := e.srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("server saw %d calls, want 1", len(calls))
	}
	return calls[0]
}

// credentialOf returns the single credential header the server saw, failing
// the test if there is not exactly one.
func credentialOf(t *testing.T, c clarifaifake.Call) (name, value string) {
	t.Helper()
	auth, tok := c.Header("authorization"), c.Header("x-clarifai-session-token")
	if len(auth)+len(tok) != 1 {
		t.Fatalf("server saw authorization=%d values, session token=%d values; want exactly one credential", len(auth), len(tok))
	}
	if len(auth) == 1 {
		return "authorization", auth[0]
	}
	return "x-clarifai-session-token", tok[0]
}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	testutil.NoSecret(t, what, text, allSecrets...)
}

func TestUnaryHeaders(t *testing.T) {
	tok, err := keysource.NewKey(keysource.KindSessionToken, sessionTok)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		src       keysource.Source
		wantName  string
		wantValue string
	}{
		{"static key", staticSource(sourceKey), "authorization", "Key " + sourceKey},
		{"session token", tok, "x-clarifai-session-token", sessionTok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.src, nil)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-custom", "kept")
			resp, err := e.client.PostModelOutputs(ctx, predictReq())
			if err != nil {
				t.Fatalf("PostModelOutputs: %v", err)
			}
			if resp.GetStatus().GetCode() != pb.StatusCode_SUCCESS {
				t.Fatalf("status %v, want SUCCESS", resp.GetStatus())
			}
			c := e.onlyCall(t)
			name, value := credentialOf(t, c)
			if name != tt.wantName || value != tt.wantValue {
				t.Errorf("server saw %s=%q, want %s=%q", name, value, tt.wantName, tt.wantValue)
			}
			if got := c.Header("x-custom"); len(got) != 1 || got[0] != "kept" {
				t.Errorf("x-custom = %q, want [kept]", got)
			}
			if got := c.Header("x-clarifai-request-id-prefix"); len(got) != 1 || got[0] != "clarifaiauth-go-"+version.Version {
				t.Errorf("request tag = %q, want the default", got)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	type setup struct{ callOpt, ctxKey, hand, handToken, ctxToken, bare bool }
	tests := []struct {
		name string
		setup
		want string // the header value the server must see
	}{
		{"source only", setup{}, "Key " + sourceKey},
		{"source only, no other metadata", setup{bare: true}, "Key " + sourceKey},
		{"hand-written beats source", setup{hand: true}, "Key " + handKey},
		{"hand-written session token beats source", setup{handToken: true}, sessionTok},
		{"context beats hand-written", setup{ctxKey: true, hand: true}, "Key " + contextKey},
		{"context beats hand-written session token", setup{ctxKey: true, handToken: true}, "Key " + contextKey},
		{"context beats source", setup{ctxKey: true}, "Key " + contextKey},
		{"context beats source, no other metadata", setup{ctxKey: true, bare: true}, "Key " + contextKey},
		{"call option beats context", setup{callOpt: true, ctxKey: true}, "Key " + callKey},
		{"call option beats all", setup{callOpt: true, ctxKey: true, hand: true}, "Key " + callKey},
		{"call option beats hand-written session token", setup{callOpt: true, handToken: true}, "Key " + callKey},
		{"call option, no other metadata", setup{callOpt: true, bare: true}, "Key " + callKey},
		{"context session token beats hand-written key", setup{ctxToken: true, hand: true}, sessionTok},
		{"context session token, no other metadata", setup{ctxToken: true, bare: true}, sessionTok},
	}
	e := newEnv(t, staticSource(sourceKey), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ResetCalls()
			ctx := context.Background()
			if !tt.bare {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-trace", "abc")
			}
			if tt.hand {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Key "+handKey)
			}
			if tt.handToken {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-clarifai-session-token", sessionTok)
			}
			if tt.ctxKey {
				ctx = keysource.WithKey(ctx, keyOf(contextKey))
			}
			if tt.ctxToken {
				ctx = keysource.WithKey(ctx, tokenOf(sessionTok))
			}
			var opts []grpc.CallOption
			if tt.callOpt {
				opts = append(opts, interceptor.CallKey(keyOf(callKey)))
			}
			resp, err := e.client.PostModelOutputs(ctx, predictReq(), opts...)
			if err != nil {
				t.Fatalf("PostModelOutputs: %v", err)
			}
			if len(resp.GetOutputs()) == 0 {
				t.Errorf("reply lost its outputs")
			}
			c := e.onlyCall(t)
			_, value := credentialOf(t, c)
			if value != tt.want {
				t.Errorf("server saw credential %q, want %q", value, tt.want)
			}
			if got := c.Header("x-trace"); !tt.bare && (len(got) != 1 || got[0] != "abc") {
				t.Errorf("x-trace = %q, want [abc]", got)
			}
		})
	}
}

func TestLocalFailures(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	blocking := keysource.SourceFunc(func(ctx context.Context) (keysource.Key, error) {
		<-ctx.Done()
		return keysource.Key{}, fmt.Errorf("secret manager: %w", ctx.Err())
	})
	tests := []struct {
		name     string
		src      keysource.Source
		ctx      func() context.Context
		opts     []grpc.CallOption
		wantCode codes.Code
		wantIs   error
	}{
		{"no key in env", keysource.Env("CLARIFAIAUTH_TEST_UNSET"), nil, nil, codes.Unauthenticated, keysource.ErrNoKey},
		{"nil source", nil, nil, nil, codes.Unauthenticated, keysource.ErrNoKey},
		{"invalid static key", staticSource(sourceKey + "\r\nx-evil: 1"), nil, nil, codes.Unauthenticated, keysource.ErrInvalidKey},
		{"zero call key", staticSource(sourceKey), nil, []grpc.CallOption{interceptor.CallKey(keysource.Key{})}, codes.Unauthenticated, keysource.ErrNoKey},
		{"hand-written without Key prefix", staticSource(sourceKey), func() context.Context {
			return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+handKey)
		}, nil, codes.Unauthenticated, keysource.ErrInvalidKey},
		{"hand-written with white space around the secret", staticSource(sourceKey), func() context.Context {
			return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key "+handKey+"\n")
		}, nil, codes.Unauthenticated, keysource.ErrInvalidKey},
		{"two hand-written credentials", staticSource(sourceKey), func() context.Context {
			return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Key "+handKey, "x-clarifai-session-token", sessionTok)
		}, nil, codes.Unauthenticated, keysource.ErrInvalidKey},
		{"source sees cancelled context", blocking, func() context.Context { return cancelled }, nil, codes.Canceled, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.src, nil)
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := e.client.PostModelOutputs(ctx, predictReq(), tt.opts...)
			if err == nil {
				t.Fatal("call succeeded, want a local failure")
			}
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("status.Code = %v, want %v (err: %v)", got, tt.wantCode, err)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(err, %v) = false; err: %v", tt.wantIs, err)
			}
			assertNoSecret(t, "error", err.Error())
			assertNoSecret(t, "error %+v", fmt.Sprintf("%+v %#v", err, err))
			if n := len(e.srv.Calls()); n != 0 {
				t.Errorf("server saw %d calls; a local failure must send nothing", n)
			}
		})
	}
}

// rotating hands out a different key on each call.
type rotating struct {
	n    atomic.Int64
	keys []string
}

func (r *rotating) Key(context.Context) (keysource.Key, error) {
	i := r.n.Add(1) - 1
	return keysource.NewKey(keysource.KindKey, r.keys[int(i)%len(r.keys)])
}

func TestKeyResolvedEveryCall(t *testing.T) {
	src := &rotating{keys: []string{sourceKey, sourceKey2}}
	e := newEnv(t, src, nil)
	for i := 0; i < 4; i++ {
		if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range e.srv.Calls() {
		_, got := credentialOf(t, c)
		if want := "Key " + src.keys[i%2]; got != want {
			t.Errorf("call %d carried %q, want %q", i, got, want)
		}
	}
}

// TestRequestTagCallerWins: a request tag the caller set is not doubled,
// whichever path the credential takes.
func TestRequestTagCallerWins(t *testing.T) {
	e := newEnv(t, staticSource(sourceKey), nil)
	base := metadata.AppendToOutgoingContext(context.Background(), "x-clarifai-request-id-prefix", "mine-1")
	for name, ctx := range map[string]context.Context{
		"source":       base,
		"override":     keysource.WithKey(base, keyOf(contextKey)),
		"hand-written": metadata.AppendToOutgoingContext(base, "authorization", "Key "+handKey),
	} {
		e.srv.ResetCalls()
		if _, err := e.client.PostModelOutputs(ctx, predictReq()); err != nil {
			t.Fatal(err)
		}
		if got := e.onlyCall(t).Header("x-clarifai-request-id-prefix"); len(got) != 1 || got[0] != "mine-1" {
			t.Errorf("%s: tag = %q, want [mine-1]", name, got)
		}
	}
}

func TestRequestTag(t *testing.T) {
	for _, tt := range []struct {
		opts []interceptor.Option
		want []string
	}{
		{nil, []string{"clarifaiauth-go-" + version.Version}},
		{[]interceptor.Option{interceptor.WithRequestTag("my-service-1.2")}, []string{"my-service-1.2"}},
		{[]interceptor.Option{interceptor.WithRequestTag("")}, nil},
	} {
		e := newEnv(t, staticSource(sourceKey), tt.opts)
		if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
			t.Fatal(err)
		}
		if got := e.onlyCall(t).Header("x-clarifai-request-id-prefix"); !slices.Equal(got, tt.want) {
			t.Errorf("tag = %q, want %q", got, tt.want)
		}
		// The same through PerRPCCredentials.
		credOpts := []interceptor.CredentialsOption{interceptor.AllowInsecureTransport()}
		for _, o := range tt.opts {
			credOpts = append(credOpts, o.(interceptor.CredentialsOption))
		}
		srv, conn := clarifaifake.NewForTest(t, grpc.WithPerRPCCredentials(
			interceptor.PerRPCCredentials(staticSource(sourceKey), credOpts...)))
		srv.AddPAT(sourceKey, []string{"All"}, nil)
		if _, err := pb.NewV2Client(conn).PostModelOutputs(context.Background(), predictReq()); err != nil {
			t.Fatal(err)
		}
		if got := srv.Calls()[0].Header("x-clarifai-request-id-prefix"); !slices.Equal(got, tt.want) {
			t.Errorf("PerRPCCredentials: tag = %q, want %q", got, tt.want)
		}
	}
}

func TestInBandStatus(t *testing.T) {
	tests := []struct {
		name     string
		code     int32
		opts     []interceptor.Option
		wantErr  bool
		wantCode codes.Code
		wantIs   error
	}{
		{"success passes", 10000, nil, false, codes.OK, nil},
		{"progress passes", 21107, nil, false, codes.OK, nil}, // MODEL_BUILDING
		{"mixed status passes", 10010, nil, false, codes.OK, nil},
		{"insufficient scopes", 11007, nil, true, codes.PermissionDenied, scopes.ErrInsufficientScopes},
		{"key not found", 11009, nil, true, codes.Unauthenticated, scopes.ErrKeyNotFound},
		{"throttled", 11005, nil, true, codes.ResourceExhausted, scopes.ErrThrottled},
		{"check off", 11007, []interceptor.Option{interceptor.WithStatusCheck(nil)}, false, codes.OK, nil},
		{"check narrowed", 11005, []interceptor.Option{interceptor.WithStatusCheck(func(c scopes.Code) bool {
			return c == scopes.Code(11007)
		})}, false, codes.OK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, staticSource(sourceKey), tt.opts)
			e.srv.SetStatus(predictPath, tt.code, "forced", "by the test")
			resp, err := e.client.PostModelOutputs(context.Background(), predictReq())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("status.Code = %v, want %v", got, tt.wantCode)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(err, %v) = false; err: %v", tt.wantIs, err)
			}
			if err != nil {
				var se *scopes.Error
				if !errors.As(err, &se) {
					t.Fatalf("err is %T, want *scopes.Error", err)
				}
				if se.Method != predictPath || int32(se.Code) != tt.code || se.ReqID == "" {
					t.Errorf("scopes.Error = %+v", se)
				}
				assertNoSecret(t, "error", err.Error())
			}
			// What the server sent stays reachable: in the reply on
			// success, by asking again without the check on failure
			// (generated clients return a nil reply with any error).
			got := resp
			if err != nil {
				got, _ = e.client.PostModelOutputs(context.Background(), predictReq(), interceptor.WithStatusCheck(nil))
			}
			if int32(got.GetStatus().GetCode()) != tt.code || len(got.GetOutputs()) == 0 {
				t.Errorf("reply = %v, want status %d with outputs", got, tt.code)
			}
		})
	}
}

func TestInsufficientScopesFromServer(t *testing.T) {
	e := newEnv(t, staticSource(limitedKey), nil)
	resp, err := e.client.PostInputs(context.Background(), &pb.PostInputsRequest{
		UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"},
	})
	var se *scopes.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *scopes.Error", err)
	}
	if status.Code(err) != codes.PermissionDenied || !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Errorf("err = %v (code %v)", err, status.Code(err))
	}
	want := []string{"Annotations:Add", "Annotations:Get", "Inputs:Add", "Inputs:Get", "Workflows:Get"}
	if fmt.Sprint(se.Missing) != fmt.Sprint(want) {
		t.Errorf("Missing = %v, want %v", se.Missing, want)
	}
	if fmt.Sprint(se.MissingEndpoints) != "[/clarifai.api.V2/PostInputs]" {
		t.Errorf("MissingEndpoints = %v", se.MissingEndpoints)
	}
	if resp != nil {
		t.Errorf("generated client returned a reply with an error: %v", resp)
	}
	// The same key may predict.
	if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Errorf("PostModelOutputs with a Predict-scoped key: %v", err)
	}
}

func TestUnknownKeyIsUnauthenticated(t *testing.T) {
	e := newEnv(t, staticSource(unknownKey), nil)
	_, err := e.client.PostModelOutputs(context.Background(), predictReq())
	if status.Code(err) != codes.Unauthenticated || !errors.Is(err, scopes.ErrKeyNotFound) {
		t.Fatalf("err = %v, want Unauthenticated ErrKeyNotFound", err)
	}
	assertNoSecret(t, "error", err.Error())
}

func pbClient(conn *grpc.ClientConn) pb.V2Client { return pb.NewV2Client(conn) }

// staticSource is a Source that always yields secret as a KindKey, or
// fails every call if secret is not a valid key.
func staticSource(secret string) keysource.Source {
	k, err := keysource.NewKey(keysource.KindKey, secret)
	if err != nil {
		return keysource.SourceFunc(func(context.Context) (keysource.Key, error) { return keysource.Key{}, err })
	}
	return k
}
