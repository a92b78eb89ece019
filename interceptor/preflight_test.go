package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/dynamicpb"
)

const (
	myScopesPath   = "/clarifai.api.V2/MyScopes"
	postInputsPath = "/clarifai.api.V2/PostInputs"
)

// Scopes of the test methods (Clarifai 12.4.0).
var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

// countCalls counts the server's calls per method.
func (e *env) countCalls() map[string]int {
	n := make(map[string]int)
	for _, c := range e.srv.Calls() {
		n[c.Method]++
	}
	return n
}

func inputsReq(user, app string) *pb.PostInputsRequest {
	return &pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: user, AppId: app}}
}

// gatedConn holds MyScopes calls until release is closed, and counts them.
type gatedConn struct {
	grpc.ClientConnInterface
	release chan struct{}
	started chan struct{} // receives one value per MyScopes call started
	calls   atomic.Int32
}

func newGatedConn(cc grpc.ClientConnInterface) *gatedConn {
	return &gatedConn{ClientConnInterface: cc, release: make(chan struct{}), started: make(chan struct{}, 2000)}
}

func (g *gatedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if method == myScopesPath {
		g.calls.Add(1)
		g.started <- struct{}{}
		select {
		case <-g.release:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	return g.ClientConnInterface.Invoke(ctx, method, args, reply, opts...)
}

func TestPreflightRefusesLocally(t *testing.T) {
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New())})
	for i := 0; i < 3; i++ {
		_, err := e.client.PostInputs(context.Background(), inputsReq("me", "app"))
		var se *scopes.Error
		if !errors.As(err, &se) || !se.Local {
			t.Fatalf("err = %v, want a local *scopes.Error", err)
		}
		if status.Code(err) != codes.PermissionDenied || !errors.Is(err, scopes.ErrInsufficientScopes) {
			t.Errorf("err = %v (code %v)", err, status.Code(err))
		}
		if want := "[Annotations:Add Annotations:Get Inputs:Add Inputs:Get Workflows:Get]"; fmt.Sprint(se.Missing) != want {
			t.Errorf("Missing = %v, want %s", se.Missing, want)
		}
		if !strings.Contains(se.Error(), "refused locally") {
			t.Errorf("Error() = %q does not say the call was refused locally", se.Error())
		}
		assertNoSecret(t, "error", err.Error())
	}
	// A call the key may make goes out.
	if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Fatalf("PostModelOutputs: %v", err)
	}
	got := e.countCalls()
	if got[postInputsPath] != 0 {
		t.Errorf("refused calls reached the server: %v", got)
	}
	if got[myScopesPath] != 1 || got[predictPath] != 1 {
		t.Errorf("server calls = %v, want one MyScopes (grant cached per key and app) and one PostModelOutputs", got)
	}
	// MyScopes went out with the call's own key.
	for _, c := range e.srv.Calls() {
		if _, v := credentialOf(t, c); v != "Key "+limitedKey {
			t.Errorf("%s carried %q", c.Method, v)
		}
	}
}

// TestPreflightVerdicts runs the check alone, for keys with different
// grants, and compares a refusal with the server's own.
func TestPreflightVerdicts(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddPAT("predict00000000000000000000key01", predictScopes, nil)
	e.srv.AddPAT("endpoint0000000000000000000key01", nil, []string{postInputsPath})
	ctx := context.Background()
	tests := []struct {
		desc    string
		key     string
		method  string
		req     any
		missing []string // nil: allowed
	}{
		{"scopes suffice", "predict00000000000000000000key01", predictPath, predictReq(), nil},
		{"scopes lack", "predict00000000000000000000key01", postInputsPath, inputsReq("u", "a"),
			[]string{"Annotations:Add", "Annotations:Get", "Inputs:Add", "Inputs:Get", "Workflows:Get"}},
		{"All", sourceKey, postInputsPath, inputsReq("u", "a"), nil},
		{"endpoint scope", "endpoint0000000000000000000key01", postInputsPath, inputsReq("u", "a"), nil},
		{"endpoint scope, other method", "endpoint0000000000000000000key01", predictPath, predictReq(), predictScopes},
		{"unknown method", "predict00000000000000000000key01", "/clarifai.api.V2/Nope", nil, nil},
		{"method without scopes", "predict00000000000000000000key01", "/clarifai.api.V2/GetUser", nil, nil},
		{"MyScopes itself", "predict00000000000000000000key01", myScopesPath, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p := interceptor.NewPreflight(nil)
			err := p.Check(ctx, e.conn, tc.method, tc.req, keyOf(tc.key))
			if tc.missing == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var se *scopes.Error
			if !errors.As(err, &se) {
				t.Fatalf("Check = %v, want *scopes.Error", err)
			}
			if se.Code != scopes.Code(11007) || !se.Local || se.Method != tc.method || status.Code(err) != codes.PermissionDenied {
				t.Errorf("Check error = %+v", se)
			}
			if !slices.Equal(se.Missing, tc.missing) || !slices.Equal(se.MissingEndpoints, []string{tc.method}) {
				t.Errorf("Missing = %q %q, want %q", se.Missing, se.MissingEndpoints, tc.missing)
			}
			if se.Required.Method != tc.method || len(se.Required.Scopes) == 0 {
				t.Errorf("Required = %+v", se.Required)
			}
		})
	}

	// The local verdict agrees with the server's.
	_, err := e.client.PostInputs(ctx, inputsReq("u", "a"), interceptor.CallKey(keyOf("predict00000000000000000000key01")))
	server, ok := scopes.FromError(err)
	if !ok || server.Local {
		t.Fatalf("server allowed PostInputs: %v", err)
	}
	local, _ := scopes.FromError(interceptor.NewPreflight(nil).Check(ctx, e.conn, postInputsPath, inputsReq("u", "a"), keyOf("predict00000000000000000000key01")))
	if local == nil || !slices.Equal(server.Missing, local.Missing) || !slices.Equal(server.MissingEndpoints, local.MissingEndpoints) {
		t.Errorf("server says missing %q %q, preflight %v", server.Missing, server.MissingEndpoints, local)
	}
}

func TestPreflightPerKeyAndApp(t *testing.T) {
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New())})
	// The limited key is refused; an All-scoped key on the same client is
	// not, and each key (and app) gets its own grant.
	if _, err := e.client.PostInputs(context.Background(), inputsReq("me", "a")); !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Fatalf("limited key: %v", err)
	}
	if _, err := e.client.PostInputs(keysource.WithKey(context.Background(), keyOf(contextKey)), inputsReq("me", "a")); err != nil {
		t.Fatalf("All-scoped key: %v", err)
	}
	if _, err := e.client.PostInputs(keysource.WithKey(context.Background(), keyOf(contextKey)), inputsReq("me", "b")); err != nil {
		t.Fatalf("All-scoped key, other app: %v", err)
	}
	if n := e.countCalls()[myScopesPath]; n != 3 {
		t.Errorf("MyScopes calls = %d, want 3 (two keys on app a, one on app b)", n)
	}
}

func TestPreflightFetchFailureLetsCallThrough(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	var methods []string
	onErr := preflight.OnFetchError(func(method string, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported, methods = append(reported, err), append(methods, method)
	})
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New(onErr))})
	e.srv.SetError(myScopesPath, status.Error(codes.Unavailable, "scopes service down"))
	for range 3 {
		_, err := e.client.PostInputs(context.Background(), inputsReq("me", "app"))
		// The server, still the authority, refuses it in-band.
		var se *scopes.Error
		if !errors.As(err, &se) || se.Local || se.Code != scopes.Code(11007) {
			t.Fatalf("err = %v, want the server's own CONN_INSUFFICIENT_SCOPES", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || status.Code(reported[0]) != codes.Unavailable || methods[0] != postInputsPath {
		t.Errorf("OnFetchError got %v for %q, want one Unavailable for PostInputs", reported, methods)
	}
	if n := e.countCalls()[myScopesPath]; n != 1 {
		t.Errorf("MyScopes calls = %d, want 1 (the failure is remembered)", n)
	}
}

func TestPreflightWaiterCancellation(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddPAT("nothing0000000000000000000key001", nil, nil)
	k := keyOf("nothing0000000000000000000key001")
	gc := newGatedConn(e.conn)
	p := interceptor.NewPreflight(nil)

	// The first caller starts the fetch and then gives up; the fetch goes on.
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() { leader <- p.Check(leaderCtx, gc, postInputsPath, inputsReq("u", "a"), k) }()
	<-gc.started

	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	waiter := make(chan error, 1)
	go func() { waiter <- p.Check(waiterCtx, gc, postInputsPath, inputsReq("u", "a"), k) }()

	cancelWaiter()
	select {
	case err := <-waiter:
		if status.Code(err) != codes.Canceled {
			t.Errorf("cancelled waiter: Check = %v, want Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled waiter still blocked")
	}
	cancelLeader()
	if err := <-leader; status.Code(err) != codes.Canceled {
		t.Errorf("cancelled leader: Check = %v, want Canceled", err)
	}

	// A third caller still gets the shared fetch's answer.
	third := make(chan error, 1)
	go func() { third <- p.Check(context.Background(), gc, postInputsPath, inputsReq("u", "a"), k) }()
	close(gc.release)
	if err := <-third; !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Errorf("third caller: Check = %v, want insufficient scopes", err)
	}
	if c := gc.calls.Load(); c != 1 {
		t.Errorf("MyScopes started %d times, want 1", c)
	}
}

func TestPreflightFindsUserApp(t *testing.T) {
	tests := []struct {
		desc      string
		req       any
		user, app string
	}{
		{"field 1", inputsReq("u1", "a1"), "u1", "a1"},
		{"field 2", &pb.ListScopesRequest{UserAppId: &pb.UserAppIDSet{UserId: "u2", AppId: "a2"}}, "u2", "a2"},
		{"unset", &pb.PostInputsRequest{}, "", ""},
		{"no such field", &pb.ListStatusCodesRequest{}, "", ""},
		{"not a proto", "x", "", ""},
		{"nil", nil, "", ""},
		{"typed nil", (*pb.PostInputsRequest)(nil), "", ""},
		{"typed nil dynamicpb", (*dynamicpb.Message)(nil), "", ""},
	}
	for _, tc := range tests {
		for range 2 { // the second time from the cache
			if u, a := interceptor.UserApp(tc.req); u != tc.user || a != tc.app {
				t.Errorf("%s: userApp = %q, %q; want %q, %q", tc.desc, u, a, tc.user, tc.app)
			}
		}
	}
}

func TestPreflightStream(t *testing.T) {
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New())})
	// Allowed: the stream works as usual.
	stream, err := e.client.StreamModelOutputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(predictReq()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err == nil {
		t.Fatal("Recv after CloseSend returned a message")
	}

	// Refused: a key scoped only for PostInputs' endpoint may not predict.
	e.srv.AddPAT(unknownKey, nil, []string{postInputsPath})
	stream, err = e.client.StreamModelOutputs(context.Background(), interceptor.CallKey(keyOf(unknownKey)))
	if err != nil {
		t.Fatal(err)
	}
	err = stream.Send(predictReq())
	var se *scopes.Error
	if !errors.As(err, &se) || !se.Local {
		t.Fatalf("Send = %v, want a local refusal", err)
	}
	if _, err := stream.Recv(); !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Errorf("Recv after refusal = %v", err)
	}
	if err := stream.Context().Err(); err != context.Canceled {
		t.Errorf("refused stream's context: %v, want context.Canceled", err)
	}
}

// TestPreflightAuthType: a credential whose kind a method can never accept
// is refused locally; a key of unknown kind is never refused for its kind.
func TestPreflightAuthType(t *testing.T) {
	e := newEnv(t, nil, []interceptor.Option{interceptor.WithPreflight(preflight.New())})
	ctx := context.Background()
	postKeys := func(k keysource.Key) error {
		_, err := e.client.PostKeys(ctx, &pb.PostKeysRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}}, interceptor.CallKey(k))
		return err
	}
	listScopes := func(k keysource.Key) error {
		_, err := e.client.ListScopes(ctx, &pb.ListScopesRequest{}, interceptor.CallKey(k))
		return err
	}
	getUser := func(k keysource.Key) error {
		_, err := e.client.GetUser(ctx, &pb.GetUserRequest{}, interceptor.CallKey(k))
		return err
	}
	tests := []struct {
		desc    string
		call    func(keysource.Key) error
		key     keysource.Key
		refused bool
	}{
		{"API key on a PATAuth method", postKeys, mustKey(keysource.KindAPIKey, sourceKey), true},
		{"API key on a PATAuth method without scopes", getUser, mustKey(keysource.KindAPIKey, sourceKey), true},
		{"PAT on a PATAuth method", postKeys, mustKey(keysource.KindPAT, sourceKey), false},
		{"key of unknown kind on a PATAuth method", postKeys, keyOf(sourceKey), false},
		{"key of unknown kind on a SessionTokenAuth method", listScopes, keyOf(sourceKey), true},
		{"PAT on a SessionTokenAuth method", listScopes, mustKey(keysource.KindPAT, sourceKey), true},
		{"API key on a SessionTokenAuth method", listScopes, mustKey(keysource.KindAPIKey, sourceKey), true},
		{"session token on a SessionTokenAuth method", listScopes, tokenOf(sessionTok), false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e.srv.ResetCalls()
			err := tt.call(tt.key)
			if !tt.refused {
				if se, ok := scopes.FromError(err); ok && se.Local {
					t.Fatalf("refused locally: %v", err)
				}
				return
			}
			var se *scopes.Error
			if !errors.As(err, &se) || !se.Local || se.Code != 11200 {
				t.Fatalf("err = %v, want a local CONN_AUTH_METHOD_DISABLED", err)
			}
			if status.Code(err) != codes.PermissionDenied || !errors.Is(err, scopes.ErrAuthMethodDisabled) {
				t.Errorf("err = %v (gRPC %v), want PermissionDenied, ErrAuthMethodDisabled", err, status.Code(err))
			}
			if n := len(e.srv.Calls()); n != 0 {
				t.Errorf("server saw %d calls for a refused credential kind", n)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestPreflightFindsNestedUserApp(t *testing.T) {
	content := &pb.PostModelVersionsUploadRequest{UploadData: &pb.PostModelVersionsUploadRequest_ContentPart{
		ContentPart: &pb.UploadContentPart{PartNumber: 1}}}
	for _, tc := range []struct {
		desc      string
		req       any
		user, app string
	}{
		{"in upload_config", uploadConfig("u3", "a3"), "u3", "a3"},
		{"a content part has none", content, "", ""},
		{"empty upload", &pb.PostModelVersionsUploadRequest{}, "", ""},
	} {
		if u, a := interceptor.UserApp(tc.req); u != tc.user || a != tc.app {
			t.Errorf("%s: userApp = %q, %q; want %q, %q", tc.desc, u, a, tc.user, tc.app)
		}
	}
}
