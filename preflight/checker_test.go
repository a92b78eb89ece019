package preflight_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// The Checker's cache, through the interceptors that make its MyScopes
// calls: see also the interceptor package's preflight tests.

const (
	sourceKey      = "source0000000000000000000000key1"
	sourceKey2     = "source0000000000000000000000key2"
	predictPath    = "/clarifai.api.V2/PostModelOutputs"
	postInputsPath = "/clarifai.api.V2/PostInputs"
	myScopesPath   = "/clarifai.api.V2/MyScopes"
)

var predictScopes = []string{"Apps:Get", "Concepts:Get", "Models:Get", "Predict"}

func keyOf(secret string) keysource.Key {
	k, err := keysource.NewKey(keysource.KindKey, secret)
	if err != nil {
		panic(err)
	}
	return k
}

func predictReq() *pb.PostModelOutputsRequest {
	return &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}}
}

func inputsReq(user, app string) *pb.PostInputsRequest {
	return &pb.PostInputsRequest{UserAppId: &pb.UserAppIDSet{UserId: user, AppId: app}}
}

// env is a fake server and a connection to it through the interceptors,
// which put the key each MyScopes call names on it.
type env struct {
	srv  *clarifaifake.Server
	conn *grpc.ClientConn
}

func newEnv(t *testing.T, dialOpts ...grpc.DialOption) *env {
	t.Helper()
	dialOpts = append([]grpc.DialOption{grpc.WithChainUnaryInterceptor(interceptor.UnaryClient(nil, interceptor.AllowInsecureTransport()))}, dialOpts...)
	srv, conn := clarifaifake.NewForTest(t, dialOpts...)
	srv.AddPAT(sourceKey, []string{"All"}, nil)
	srv.AddPAT(sourceKey2, []string{"All"}, nil)
	return &env{srv: srv, conn: conn}
}

func (e *env) countCalls() map[string]int {
	n := make(map[string]int)
	for _, c := range e.srv.Calls() {
		n[c.Method]++
	}
	return n
}

// check is the interceptors' preflight check of one call: nil when the
// grant allows the call or cannot be had, ctx's error when it ends first.
func check(p *preflight.Checker, ctx context.Context, cc grpc.ClientConnInterface, method string, req interface{ GetUserAppId() *pb.UserAppIDSet }, k keysource.Key) error {
	need, ok := p.Required(method)
	if !ok || len(need.Scopes) == 0 {
		return nil
	}
	g, err := p.Grant(ctx, cc, k, req.GetUserAppId().GetUserId(), req.GetUserAppId().GetAppId(), method, interceptor.CallKey(k))
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return nil
	}
	if !g.Allows(need) {
		missing, endpoints := g.Missing(need)
		return &scopes.Error{Method: method, Code: scopes.Code(11007), Missing: missing, MissingEndpoints: endpoints, Local: true}
	}
	return nil
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

func TestPreflightGrantTTL(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := preflight.New(preflight.CacheTTL(time.Minute, 0), preflight.Clock(clock))
	check := func(key, user, app string) {
		t.Helper()
		req := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: user, AppId: app}}
		if err := check(p, context.Background(), e.conn, predictPath, req, keyOf(key)); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	check(sourceKey, "u", "a")
	check(sourceKey, "u", "a")
	if n := e.countCalls()[myScopesPath]; n != 1 {
		t.Fatalf("MyScopes calls = %d, want 1 (cached)", n)
	}
	check(sourceKey, "u", "b")  // another app
	check(sourceKey2, "u", "a") // another key
	if n := e.countCalls()[myScopesPath]; n != 3 {
		t.Fatalf("MyScopes calls = %d, want 3", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	check(sourceKey, "u", "a")
	if n := e.countCalls()[myScopesPath]; n != 4 {
		t.Fatalf("MyScopes calls = %d after the TTL, want 4", n)
	}
}

// TestPreflightConcurrentShareOneFetch: callers that miss together share one
// MyScopes call. The barrier is the preflight's own report that each caller
// is waiting for a fetch: MyScopes is answered only once all of them have
// joined one, so none can start a fetch of its own after the first ends,
// and every fetch they joined has run by the time they all have answers.
func TestPreflightConcurrentShareOneFetch(t *testing.T) {
	e := newEnv(t)
	e.srv.AddPAT("predict00000000000000000000key01", predictScopes, nil)
	gc := newGatedConn(e.conn)
	const n = 50
	var waiting sync.WaitGroup
	waiting.Add(n)
	p := preflight.New(preflight.OnWait(waiting.Done))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var req interface{ GetUserAppId() *pb.UserAppIDSet } = predictReq()
			method := predictPath
			if i%2 == 1 {
				method, req = postInputsPath, inputsReq("me", "app")
			}
			errs <- check(p, context.Background(), gc, method, req, keyOf("predict00000000000000000000key01"))
		}()
	}
	waiting.Wait() // every caller waits for a fetch
	<-gc.started
	close(gc.release)
	wg.Wait()
	if c := gc.calls.Load(); c != 1 {
		t.Errorf("%d callers waited together; MyScopes started %d times, want 1", n, c)
	}
	close(errs)
	denied := 0
	for err := range errs {
		if err != nil {
			if !errors.Is(err, scopes.ErrInsufficientScopes) {
				t.Errorf("Check = %v", err)
			}
			denied++
		}
	}
	if denied != n/2 {
		t.Errorf("denied = %d, want %d", denied, n/2)
	}
	if c := e.countCalls()[myScopesPath]; c != 1 {
		t.Errorf("server saw %d MyScopes calls, want 1", c)
	}
}

// TestPreflightBoundedWhileMyScopesHangs: with MyScopes hung, calls for many
// keys and apps keep the cache and the goroutines bounded: fetches in
// flight count toward the bound, and past it calls go out unchecked.
func TestBoundedWhileMyScopesHangs(t *testing.T) {
	e := newEnv(t)
	gc := newGatedConn(e.conn)
	defer close(gc.release)
	const bound = 16
	var busy atomic.Int32
	p := preflight.New(preflight.Max(bound), preflight.FetchTimeout(time.Minute),
		preflight.OnFetchError(func(_ string, err error) {
			if err != nil {
				busy.Add(1)
			}
		}))
	before := runtime.NumGoroutine()
	for i := range 20 * bound {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		err := check(p, ctx, gc, postInputsPath, inputsReq("u", fmt.Sprint("app", i)), keyOf(sourceKey))
		cancel()
		if err != nil && status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("Check %d = %v", i, err)
		}
	}
	grants, inflight := p.Sizes()
	if grants+inflight > bound {
		t.Errorf("%d grants + %d fetches in flight, want at most %d", grants, inflight, bound)
	}
	if inflight != bound {
		t.Errorf("%d fetches in flight, want the bound %d (MyScopes hangs)", inflight, bound)
	}
	if busy.Load() == 0 {
		t.Error("no call was reported as sent unchecked")
	}
	// Each hung fetch holds a goroutine or two (the fetch and gRPC's
	// stream); the refused ones hold none.
	if grown := runtime.NumGoroutine() - before; grown > 4*bound {
		t.Errorf("%d more goroutines after %d calls, want at most %d", grown, 20*bound, 4*bound)
	}
}

// TestPanicsDuringAFetchAreContained: a panic in OnFetchError, or in an
// interceptor that runs on the MyScopes call, does not end the process
// (singleflight would re-panic it on a goroutine nobody can recover): the
// call goes out unchecked, and the panic is reported as a failed fetch.
func TestPanicsDuringAFetchAreContained(t *testing.T) {
	ctx := context.Background()
	t.Run("OnFetchError", func(t *testing.T) {
		e := newEnv(t)
		e.srv.SetError(myScopesPath, status.Error(codes.Unavailable, "down"))
		p := preflight.New(preflight.OnFetchError(func(string, error) { panic("callback") }))
		for range 2 {
			if err := check(p, ctx, e.conn, postInputsPath, inputsReq("u", "a"), keyOf(sourceKey)); err != nil {
				t.Fatalf("check = %v, want nil (unchecked)", err)
			}
		}
	})
	t.Run("interceptor on MyScopes", func(t *testing.T) {
		boom := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if method == myScopesPath {
				panic("interceptor")
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		e := newEnv(t, grpc.WithChainUnaryInterceptor(boom))
		var reported atomic.Value
		p := preflight.New(preflight.OnFetchError(func(_ string, err error) { reported.Store(err) }))
		if err := check(p, ctx, e.conn, postInputsPath, inputsReq("u", "a"), keyOf(sourceKey)); err != nil {
			t.Fatalf("check = %v, want nil (unchecked)", err)
		}
		if err, _ := reported.Load().(error); err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Errorf("OnFetchError got %v, want the panic reported", err)
		}
		// The failure is remembered like any failed fetch.
		if err := check(p, ctx, e.conn, postInputsPath, inputsReq("u", "a"), keyOf(sourceKey)); err != nil {
			t.Fatalf("second check = %v", err)
		}
	})
}

// deafConn is a connection whose MyScopes calls ignore their context (an
// interceptor that does) and return only once release is closed.
type deafConn struct {
	grpc.ClientConnInterface
	release chan struct{}
}

func (d deafConn) Invoke(context.Context, string, any, any, ...grpc.CallOption) error {
	<-d.release
	return status.Error(codes.Unavailable, "released")
}

// TestHungFetchIsReported: a MyScopes call that ignores its context is given
// up a grace past the fetch timeout and remembered as a failure; it is
// reported to OnFetchError once, like every other failed fetch, and not
// again when it returns or while the failure is remembered.
func TestHungFetchIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cc := deafConn{release: make(chan struct{})}
		var release sync.Once
		defer release.Do(func() { close(cc.release) })
		var reports atomic.Int32
		var reported atomic.Value
		p := preflight.New(preflight.FetchTimeout(time.Second), preflight.OnFetchError(func(_ string, err error) {
			reports.Add(1)
			reported.Store(err)
		}))
		k := keyOf(sourceKey)
		_, err := p.Grant(context.Background(), cc, k, "u", "a", postInputsPath)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Grant = %v, want the fetch given up (DeadlineExceeded)", err)
		}
		synctest.Wait()
		if n := reports.Load(); n != 1 {
			t.Fatalf("OnFetchError called %d times for the fetch given up, want 1", n)
		}
		if err, _ := reported.Load().(error); !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), sourceKey) {
			t.Errorf("OnFetchError got %v, want a timeout without the key", err)
		}
		if _, err := p.Grant(context.Background(), cc, k, "u", "a", postInputsPath); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second Grant = %v, want the remembered failure", err)
		}
		release.Do(func() { close(cc.release) }) // the hung call returns, with an error
		synctest.Wait()
		if n := reports.Load(); n != 1 {
			t.Errorf("OnFetchError called %d times, want 1", n)
		}
	})
}
