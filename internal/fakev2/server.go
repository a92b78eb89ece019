package fakev2

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
)

// bufSize is the buffer size of the in-memory listener made by Start.
const bufSize = 1 << 20

// Call is one call the server received.
type Call struct {
	// Method is the full method name, e.g. "/clarifai.api.V2/PostInputs".
	Method string
	// MD is a copy of the incoming metadata.
	MD metadata.MD
}

// credential is a key or session token the server knows.
type credential struct {
	scopes    []string
	endpoints []string
}

// forcedStatus is an in-band status set with SetStatus.
type forcedStatus struct {
	code                 int32
	description, details string
}

// Server is a fake Clarifai V2 server. Its methods are safe for concurrent
// use, also while it serves.
//
// Successful replies carry a payload: PostModelOutputs, GenerateModelOutputs
// and StreamModelOutputs return one output per input (one if there are none)
// naming the request's model_id and echoing the input; PostInputs and
// PostKeys echo what was sent, with ids filled in; MyScopes returns the
// credential's scopes and endpoints and an app named by the request's
// user_app_id; GetUser returns the user of user_app_id; ListScopes lists the
// scopes of the scope enum; ListStatusCodes lists the status codes.
//
// Server-streaming methods send three messages, or one per code given to
// SetStreamCodes. Bidirectional methods send one message per message
// received, until the client closes its side; with SetStreamCodes the i-th
// reply carries the i-th code, and the last code once they run out. An upload
// stream (PostModelVersionsUpload) answers each message with
// UPLOAD_IN_PROGRESS and, when the client closes its side, sends one more
// reply with MODEL_BUILDING, as Clarifai does. A client-streaming method
// (clarifaiauth.testonly.Chunks/PostChunks) answers once, when the client
// closes its side, with one output per input of all the messages received.
type Server struct {
	gs    *grpc.Server
	reqID atomic.Int64

	mu          sync.Mutex
	keys        map[string]credential
	sessions    map[string]credential
	statuses    map[string]forcedStatus
	streamCodes map[string][]int32
	errs        map[string]error
	calls       []Call
	lis         *bufconn.Listener
}

// New returns a server with no keys or session tokens. It panics if the
// embedded descriptors are broken (a bug of this package).
func New() *Server {
	loadFiles()
	s := &Server{
		keys:        make(map[string]credential),
		sessions:    make(map[string]credential),
		statuses:    make(map[string]forcedStatus),
		streamCodes: make(map[string][]int32),
		errs:        make(map[string]error),
	}
	s.gs = grpc.NewServer(
		grpc.UnknownServiceHandler(s.handle),
		grpc.WaitForHandlers(true),
	)
	return s
}

// AddKey adds an app key or personal access token, sent by clients as
// `authorization: Key <secret>`. Scopes are spelled like "Inputs:Add", "All";
// endpoints are full method names like "/clarifai.api.V2/PostInputs". Adding
// a secret again replaces it.
func (s *Server) AddKey(secret string, scopes, endpoints []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[secret] = newCredential(scopes, endpoints)
}

// AddSessionToken adds a session token, sent by clients as
// `x-clarifai-session-token: <token>`, with scopes and endpoints as in AddKey.
func (s *Server) AddSessionToken(token string, scopes, endpoints []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[token] = newCredential(scopes, endpoints)
}

func newCredential(scopes, endpoints []string) credential {
	return credential{
		scopes:    append([]string(nil), scopes...),
		endpoints: append([]string(nil), endpoints...),
	}
}

// SetStatus makes every reply of method (a full method name, or "" for all
// methods) carry this in-band status, whatever the credentials. A setting for
// a method wins over the one for "". Replies still carry their usual payload.
func (s *Server) SetStatus(method string, code int32, description, details string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses[method] = forcedStatus{code: code, description: description, details: details}
}

// ClearStatus undoes SetStatus for method.
func (s *Server) ClearStatus(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.statuses, method)
}

// SetStreamCodes sets the in-band status code of each message a streaming
// method (a full method name, or "" for all) sends, in order, whatever the
// credentials. It wins over SetStatus. No codes clears the setting.
func (s *Server) SetStreamCodes(method string, codes ...int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(codes) == 0 {
		delete(s.streamCodes, method)
		return
	}
	s.streamCodes[method] = append([]int32(nil), codes...)
}

// SetError makes method (a full method name, or "" for all methods) fail
// with err as its gRPC status (build it with status.Error) instead of
// replying. A nil err clears the setting.
func (s *Server) SetError(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.errs, method)
		return
	}
	s.errs[method] = err
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = Call{Method: c.Method, MD: c.MD.Copy()}
	}
	return out
}

// ResetCalls forgets the calls received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Serve serves on lis until Stop is called. It returns nil after Stop.
func (s *Server) Serve(lis net.Listener) error {
	err := s.gs.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Start serves on a new in-memory listener, in a goroutine, and returns the
// listener. Dial connects to it. Start may be called once.
func (s *Server) Start() *bufconn.Listener {
	lis := bufconn.Listen(bufSize)
	s.mu.Lock()
	if s.lis != nil {
		s.mu.Unlock()
		panic("fakev2: Start called twice")
	}
	s.lis = lis
	s.mu.Unlock()
	go func() { _ = s.gs.Serve(lis) }()
	return lis
}

// Dial returns a client connection to the listener made by Start:
// grpc.NewClient("passthrough:///bufnet") with insecure transport
// credentials, the in-memory dialer, and then opts. The caller closes it.
func (s *Server) Dial(opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	s.mu.Lock()
	lis := s.lis
	s.mu.Unlock()
	if lis == nil {
		return nil, errors.New("fakev2: Dial before Start")
	}
	all := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return lis.DialContext(ctx)
		}),
	}, opts...)
	return grpc.NewClient("passthrough:///bufnet", all...)
}

// Stop stops serving: it closes the listeners and connections, cancels calls
// in progress and waits for their handlers to return.
func (s *Server) Stop() {
	s.gs.Stop()
}
