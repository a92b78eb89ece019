package scopes

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

// gatedConn holds MyScopes calls until release is closed, and counts them.
type gatedConn struct {
	grpc.ClientConnInterface
	release chan struct{}
	started chan struct{} // receives one value per MyScopes call started
	calls   atomic.Int32
}

func newGatedConn(cc grpc.ClientConnInterface) *gatedConn {
	return &gatedConn{ClientConnInterface: cc, release: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (g *gatedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if method == MyScopesMethod {
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

func inputsReq(user, app string) *ct.PostInputsRequest {
	return &ct.PostInputsRequest{UserAppId: &ct.UserAppIDSet{UserId: user, AppId: app}}
}

func TestPreflightCheck(t *testing.T) {
	srv, cc := startFake(t)
	srv.AddKey("predict", postModelOutputsScopes, nil)
	srv.AddKey("all", []string{"All"}, nil)
	srv.AddKey("endpoint", nil, []string{postInputs})
	ctx := context.Background()

	tests := []struct {
		desc    string
		key     string
		method  string
		req     any
		denied  bool
		missing []string
	}{
		{"scopes suffice", "predict", postModelOutputs, &ct.PostModelOutputsRequest{}, false, nil},
		{"scopes lack", "predict", postInputs, inputsReq("u", "a"), true,
			[]string{"Annotations:Add", "Annotations:Get", "Inputs:Add", "Inputs:Get", "Workflows:Get"}},
		{"All", "all", postInputs, inputsReq("u", "a"), false, nil},
		{"endpoint scope", "endpoint", postInputs, inputsReq("u", "a"), false, nil},
		{"endpoint scope, other method", "endpoint", postModelOutputs, &ct.PostModelOutputsRequest{}, true, postModelOutputsScopes},
		{"unknown method", "predict", "/clarifai.api.V2/Nope", nil, false, nil},
		{"method without scopes", "predict", "/clarifai.api.V2/GetUser", nil, false, nil},
		{"MyScopes itself", "predict", MyScopesMethod, nil, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p := NewPreflight()
			err := p.Check(ctx, cc, tc.method, tc.req, "fp-"+tc.key, withKey(tc.key))
			if !tc.denied {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check = %v, want *Error", err)
			}
			if e.Code != CodeConnInsufficientScopes || !e.Local || e.Method != tc.method || status.Code(err) != codes.PermissionDenied ||
				!errors.Is(err, ErrInsufficientScopes) {
				t.Errorf("Check error = %+v", e)
			}
			if !strings.Contains(e.Error(), "refused locally") {
				t.Errorf("Error() = %q does not say the call was refused locally", e.Error())
			}
			if !slices.Equal(e.Missing, tc.missing) || !slices.Equal(e.MissingEndpoints, []string{tc.method}) {
				t.Errorf("Missing = %q %q, want %q", e.Missing, e.MissingEndpoints, tc.missing)
			}
			if e.Required.Method != tc.method || len(e.Required.Scopes) == 0 {
				t.Errorf("Required = %+v", e.Required)
			}
		})
	}

	// The local verdict agrees with the server's.
	_, err := ct.NewV2Client(cc).PostInputs(ctx, inputsReq("u", "a"), withKey("predict"))
	if err != nil {
		t.Fatal(err)
	}
	reply, err := ct.NewV2Client(cc).PostInputs(ctx, inputsReq("u", "a"), withKey("predict"))
	if err != nil {
		t.Fatal(err)
	}
	var server *Error
	if !errors.As(CheckReply(postInputs, reply, nil), &server) {
		t.Fatalf("server allowed PostInputs: %v", reply.GetStatus())
	}
	local := NewPreflight().Check(ctx, cc, postInputs, inputsReq("u", "a"), "fp", withKey("predict")).(*Error)
	if !slices.Equal(server.Missing, local.Missing) || !slices.Equal(server.MissingEndpoints, local.MissingEndpoints) {
		t.Errorf("server says missing %q %q, preflight %q %q", server.Missing, server.MissingEndpoints, local.Missing, local.MissingEndpoints)
	}
}

func TestPreflightCachesPerKeyAndApp(t *testing.T) {
	srv, cc := startFake(t)
	srv.AddKey("k1", postModelOutputsScopes, nil)
	srv.AddKey("k2", postModelOutputsScopes, nil)
	ctx := context.Background()
	now := time.Unix(1000, 0)
	p := NewPreflight(WithGrantTTL(time.Minute))
	var mu sync.Mutex
	p.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

	check := func(key, user, app string) {
		t.Helper()
		req := &ct.PostModelOutputsRequest{UserAppId: &ct.UserAppIDSet{UserId: user, AppId: app}}
		if err := p.Check(ctx, cc, postModelOutputs, req, "fp-"+key, withKey(key)); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	check("k1", "u", "a")
	check("k1", "u", "a")
	if n := countCalls(srv, MyScopesMethod); n != 1 {
		t.Fatalf("MyScopes calls = %d, want 1 (cached)", n)
	}
	check("k1", "u", "b") // another app
	check("k2", "u", "a") // another key
	if n := countCalls(srv, MyScopesMethod); n != 3 {
		t.Fatalf("MyScopes calls = %d, want 3", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	check("k1", "u", "a")
	if n := countCalls(srv, MyScopesMethod); n != 4 {
		t.Fatalf("MyScopes calls = %d after the TTL, want 4", n)
	}
}

func TestPreflightFetchFailure(t *testing.T) {
	srv, cc := startFake(t)
	srv.AddKey("k", nil, nil) // no scopes: a successful fetch would deny
	srv.SetError(MyScopesMethod, status.Error(codes.Unavailable, "down"))
	var (
		mu       sync.Mutex
		reported []error
		methods  []string
	)
	p := NewPreflight(OnFetchError(func(method string, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported, methods = append(reported, err), append(methods, method)
	}))
	for range 3 {
		if err := p.Check(context.Background(), cc, postInputs, inputsReq("u", "a"), "fp", withKey("k")); err != nil {
			t.Fatalf("Check = %v, want nil (the call goes out)", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || status.Code(reported[0]) != codes.Unavailable || methods[0] != postInputs {
		t.Errorf("reported %v for %q, want one Unavailable for PostInputs", reported, methods)
	}
	if n := countCalls(srv, MyScopesMethod); n != 1 {
		t.Errorf("MyScopes calls = %d, want 1 (failure remembered)", n)
	}

	// An in-band failure (unknown key) is a fetch failure too.
	if err := p.Check(context.Background(), cc, postInputs, inputsReq("u", "a"), "other", withKey("unknown")); err != nil {
		t.Fatalf("Check = %v", err)
	}
}

func TestPreflightConcurrentShareOneFetch(t *testing.T) {
	srv, cc := startFake(t)
	srv.AddKey("k", postModelOutputsScopes, nil)
	gc := newGatedConn(cc)
	p := NewPreflight()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method := postModelOutputs
			if i%2 == 1 {
				method = postInputs
			}
			errs <- p.Check(context.Background(), gc, method, inputsReq("u", "a"), "fp", withKey("k"))
		}()
	}
	<-gc.started
	time.Sleep(20 * time.Millisecond) // let the others queue behind the fetch
	close(gc.release)
	wg.Wait()
	close(errs)
	denied := 0
	for err := range errs {
		if err != nil {
			if !errors.Is(err, ErrInsufficientScopes) {
				t.Errorf("Check = %v", err)
			}
			denied++
		}
	}
	if denied != n/2 {
		t.Errorf("denied = %d, want %d", denied, n/2)
	}
	if c := gc.calls.Load(); c != 1 {
		t.Errorf("MyScopes started %d times, want 1", c)
	}
	if c := countCalls(srv, MyScopesMethod); c != 1 {
		t.Errorf("server saw %d MyScopes calls, want 1", c)
	}
}

func TestPreflightWaiterCancellation(t *testing.T) {
	srv, cc := startFake(t)
	srv.AddKey("k", nil, nil)
	gc := newGatedConn(cc)
	p := NewPreflight()

	// The first caller starts the fetch and then gives up; the fetch goes on.
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() { leader <- p.Check(leaderCtx, gc, postInputs, inputsReq("u", "a"), "fp", withKey("k")) }()
	<-gc.started

	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	waiter := make(chan error, 1)
	go func() { waiter <- p.Check(waiterCtx, gc, postInputs, inputsReq("u", "a"), "fp", withKey("k")) }()

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
	go func() {
		third <- p.Check(context.Background(), gc, postInputs, inputsReq("u", "a"), "fp", withKey("k"))
	}()
	close(gc.release)
	if err := <-third; !errors.Is(err, ErrInsufficientScopes) {
		t.Errorf("third caller: Check = %v, want insufficient scopes", err)
	}
	if c := gc.calls.Load(); c != 1 {
		t.Errorf("MyScopes started %d times, want 1", c)
	}
}

func TestPreflightFindsUserAppByName(t *testing.T) {
	p := NewPreflight()
	tests := []struct {
		desc      string
		req       any
		user, app string
	}{
		{"field 1", inputsReq("u1", "a1"), "u1", "a1"},
		{"field 2", &ct.ListScopesRequest{UserAppId: &ct.UserAppIDSet{UserId: "u2", AppId: "a2"}}, "u2", "a2"},
		{"unset", &ct.PostInputsRequest{}, "", ""},
		{"no such field", &ct.ListStatusCodesRequest{}, "", ""},
		{"not a proto", "x", "", ""},
		{"nil", nil, "", ""},
	}
	for _, tc := range tests {
		for range 2 { // the second time from the cache
			if u, a := p.userApp(tc.req); u != tc.user || a != tc.app {
				t.Errorf("%s: userApp = %q, %q; want %q, %q", tc.desc, u, a, tc.user, tc.app)
			}
		}
	}
}

// TestPreflightCacheBounded: a client that sees many keys or apps keeps a
// bounded grant cache; expired grants go first, in-flight fetches stay.
func TestPreflightCacheBounded(t *testing.T) {
	p := NewPreflight()
	now := time.Now()
	done := make(chan struct{})
	close(done)
	inflight := &grantEntry{done: make(chan struct{})}
	p.grants[grantKey{keyID: "in-flight"}] = inflight
	for i := range maxGrants {
		e := &grantEntry{done: done, expires: now.Add(time.Hour)}
		if i%2 == 0 {
			e.expires = now.Add(-time.Second)
		}
		k := grantKey{keyID: strconv.Itoa(i)}
		p.grants[k] = e
		p.fresh.Store(k, e)
	}
	p.mu.Lock()
	p.sweepLocked(now)
	p.mu.Unlock()
	if n := len(p.grants); n >= maxGrants*3/4 || n == 0 {
		t.Errorf("%d grants after the sweep, want fewer than %d", n, maxGrants*3/4)
	}
	if p.grants[grantKey{keyID: "in-flight"}] != inflight {
		t.Error("the sweep dropped an in-flight fetch")
	}
	for k, e := range p.grants {
		if e != inflight && now.After(e.expires) {
			t.Errorf("expired grant %v kept", k)
		}
	}
	p.fresh.Range(func(k, _ any) bool {
		if _, ok := p.grants[k.(grantKey)]; !ok {
			t.Errorf("fresh still holds dropped grant %v", k)
		}
		return true
	})
}
