package interceptor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// myScopesSpy records the app each MyScopes call asks about. It sits before
// the interceptor under test, which sends MyScopes through the connection's
// chain.
type myScopesSpy struct {
	mu   sync.Mutex
	apps []string
}

func (s *myScopesSpy) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if method == myScopesPath {
		var r pb.MyScopesRequest
		if b, ok := req.(*[]byte); ok && proto.Unmarshal(*b, &r) == nil {
			s.mu.Lock()
			s.apps = append(s.apps, r.GetUserAppId().GetUserId()+"/"+r.GetUserAppId().GetAppId())
			s.mu.Unlock()
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (s *myScopesSpy) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.apps...)
}

func (e *env) methods() []string {
	var m []string
	for _, c := range e.srv.Calls() {
		m = append(m, c.Method)
	}
	return m
}

func uploadConfig(user, app string) *pb.PostModelVersionsUploadRequest {
	return &pb.PostModelVersionsUploadRequest{UploadData: &pb.PostModelVersionsUploadRequest_UploadConfig{
		UploadConfig: &pb.PostModelVersionsUploadConfig{UserAppId: &pb.UserAppIDSet{UserId: user, AppId: app}, ModelId: "m"}}}
}

// TestPreflightStreamNeverOpened: a stream the preflight refuses never
// reaches the server, whatever its kind; the server sees only MyScopes,
// asked about the app the first message names.
func TestPreflightStreamNeverOpened(t *testing.T) {
	spy := &myScopesSpy{}
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New())},
		grpc.WithChainUnaryInterceptor(spy.unary))
	e.srv.AddPAT(unknownKey, nil, []string{postInputsPath}) // may call PostInputs only
	denied := interceptor.CallKey(keyOf(unknownKey))
	ctx := context.Background()
	isRefusal := func(what string, err error) {
		t.Helper()
		var se *scopes.Error
		if !errors.As(err, &se) || !se.Local || status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s = %v, want a local refusal", what, err)
		}
	}

	// Server streaming: the generated client sends the request inside
	// GenerateModelOutputs, which fails.
	_, err := e.client.GenerateModelOutputs(ctx, predictReq(), denied)
	isRefusal("GenerateModelOutputs", err)

	// Bidirectional: Send fails; Recv, Header and Context follow.
	bidi, err := e.client.StreamModelOutputs(ctx, denied)
	if err != nil {
		t.Fatal(err)
	}
	isRefusal("StreamModelOutputs Send", bidi.Send(predictReq()))
	if _, err := bidi.Recv(); !errors.Is(err, scopes.ErrInsufficientScopes) {
		t.Errorf("Recv after the refusal = %v", err)
	}
	if md, err := bidi.Header(); md != nil || err != nil {
		t.Errorf("Header of a stream never opened = %v, %v; want nil, nil", md, err)
	}
	if md := bidi.Trailer(); md != nil {
		t.Errorf("Trailer of a stream never opened = %v", md)
	}
	if err := bidi.Context().Err(); err != context.Canceled {
		t.Errorf("refused stream's context: %v, want Canceled", err)
	}
	if err := bidi.CloseSend(); err != nil {
		t.Errorf("CloseSend after the refusal = %v", err)
	}

	// Client streaming, also with nothing sent before CloseSend.
	chunks := pb.NewChunksClient(e.conn)
	cs, err := chunks.PostChunks(ctx, denied)
	if err != nil {
		t.Fatal(err)
	}
	isRefusal("PostChunks Send", cs.Send(predictReq()))
	cs, err = chunks.PostChunks(ctx, denied)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CloseAndRecv()
	isRefusal("PostChunks CloseAndRecv with nothing sent", err)

	// The upload stream names its app inside upload_config; the limited
	// key may not upload.
	up, err := e.client.PostModelVersionsUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	isRefusal("PostModelVersionsUpload Send", up.Send(uploadConfig("me", "uploads")))

	for _, m := range e.methods() {
		if m != myScopesPath {
			t.Errorf("the server saw %s", m)
		}
	}
	if got := spy.asked(); len(got) == 0 || got[len(got)-1] != "me/uploads" {
		t.Errorf("MyScopes asked about %q, want the upload's me/uploads last", got)
	}
}

// TestPreflightStreamAllowed: an allowed lazy stream behaves as any other:
// Header waits for the opening, Context works before it, and a
// client-streaming call may close without sending.
func TestPreflightStreamAllowed(t *testing.T) {
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New())})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := e.client.StreamModelOutputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stream.Context() == nil || stream.Context().Err() != nil {
		t.Fatalf("Context before the first Send: %v", stream.Context())
	}
	header := make(chan error, 1)
	go func() { _, err := stream.Header(); header <- err }()
	select {
	case err := <-header:
		t.Fatalf("Header returned before the stream was opened: %v", err)
	case <-time.After(20 * time.Millisecond): // Header is still waiting, as it should
	}
	if err := stream.Send(predictReq()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := <-header; err != nil {
		t.Errorf("Header: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err == nil {
		t.Fatal("Recv after CloseSend returned a message")
	}
	_ = stream.Trailer()

	// A client stream closed before anything was sent.
	cs, err := pb.NewChunksClient(e.conn).PostChunks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CloseAndRecv(); err != nil {
		t.Fatalf("CloseAndRecv with nothing sent: %v", err)
	}
}

// TestPreflightSharedByUnaryAndStream: the unary and stream interceptors
// built with one WithPreflight Option share its grants.
func TestPreflightSharedByUnaryAndStream(t *testing.T) {
	e := newEnv(t, staticSource(limitedKey), []interceptor.Option{interceptor.WithPreflight(preflight.New())})
	if _, err := e.client.PostModelOutputs(context.Background(), predictReq()); err != nil {
		t.Fatal(err)
	}
	stream, err := e.client.GenerateModelOutputs(context.Background(), predictReq())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if n := e.countCalls()[myScopesPath]; n != 1 {
		t.Errorf("MyScopes calls = %d, want 1 for a unary call and a stream with the same key and app", n)
	}
}
