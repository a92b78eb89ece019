package clarifaifake

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// bufSize is the buffer size of the in-memory listener made by Dial.
const bufSize = 1 << 20

// kind is what sort of credential the server knows a secret as.
type kind int

const (
	kindPAT kind = iota + 1
	kindAPIKey
	kindSessionToken
)

// credential is a secret the server knows, with what it may do.
type credential struct {
	kind      kind
	userID    string
	scopes    []string
	endpoints []string
}

// forcedStatus is an in-band status: code, description and details.
type forcedStatus struct {
	code                 int32
	description, details string
}

// Server is a fake Clarifai V2 server. Create it with New, give it
// credentials (AddPAT, AddAPIKey, AddSessionToken), connect with Dial (or
// Serve a listener), make your calls, read what it saw (Calls,
// LeastPrivilege) and Stop it. Its methods are safe for concurrent use;
// settings apply to calls that start after them.
type Server struct {
	reg   *registry
	gs    *grpc.Server
	reqID atomic.Int64

	mu          sync.Mutex
	creds       map[credKey]credential
	statuses    map[string]forcedStatus
	streamCodes map[string][]int32
	errs        map[string]error
	replies     map[string]ReplyFunc
	calls       []*record
	recorded    int // bytes the records count, up to maxRecordedBytes
	lis         *bufconn.Listener
	rateLimits  rateLimits // SetRateLimit
	onCall      func(Call) // WithCallLog
}

// credKey tells a key from a session token with the same text.
type credKey struct {
	session bool
	secret  string
}

// An Option configures New.
type Option func(*options)

type options struct {
	files  *protoregistry.Files
	onCall func(Call)
}

// WithFiles serves the Clarifai services found in files: pass
// protoregistry.GlobalFiles to insist on the descriptors of Clarifai's client
// linked into the program, FixtureFiles() for the fixture, or files built by
// protodesc.NewFiles from a descriptor set read from a file.
func WithFiles(files *protoregistry.Files) Option {
	return func(o *options) { o.files = files }
}

// WithCallLog makes the server call f with each call once it has answered
// it (see Call), in the call's goroutine: f may be called concurrently and
// must return promptly.
func WithCallLog(f func(Call)) Option {
	return func(o *options) { o.onCall = f }
}

// New returns a server with no credentials, serving the descriptors given
// with WithFiles, else those of Clarifai's client when it is linked, else
// the fixture (FixtureFiles). It reads every method's options once and
// fails on descriptors without clarifai.api.V2 or with malformed options.
func New(opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var reg *registry
	switch {
	case o.files == FixtureFiles():
		reg = fixture()
	case o.files != nil:
		r, err := newRegistry(o.files)
		if err != nil {
			return nil, err
		}
		reg = r
	default:
		r, err := newRegistry(protoregistry.GlobalFiles)
		switch {
		case errors.Is(err, errNoV2):
			reg = fixture()
		case err != nil:
			return nil, err
		default:
			reg = r
		}
	}
	s := &Server{
		reg:         reg,
		creds:       make(map[credKey]credential),
		statuses:    make(map[string]forcedStatus),
		streamCodes: make(map[string][]int32),
		errs:        make(map[string]error),
		replies:     make(map[string]ReplyFunc),
		onCall:      o.onCall,
	}
	s.gs = grpc.NewServer(
		grpc.UnknownServiceHandler(s.handle),
		grpc.WaitForHandlers(true),
	)
	return s, nil
}

// AddPAT adds a personal access token, sent by clients as
// `authorization: Key <secret>`: it may call KeyAuth and PATAuth methods.
// Scopes are spelled like "Inputs:Add" or "All" (every scope); endpoints are
// full method names like "/clarifai.api.V2/PostInputs" (that method, whatever
// its scopes). Adding a secret again replaces it, whatever its kind.
func (s *Server) AddPAT(secret string, scopes, endpoints []string) {
	s.add(credKey{secret: secret}, kindPAT, scopes, endpoints)
}

// AddAPIKey adds an app-specific API key, sent like a PAT, with scopes and
// endpoints as in AddPAT. Unlike a PAT it may not call PATAuth methods:
// such a call gets 11200 CONN_AUTH_METHOD_DISABLED.
func (s *Server) AddAPIKey(secret string, scopes, endpoints []string) {
	s.add(credKey{secret: secret}, kindAPIKey, scopes, endpoints)
}

// AddSessionToken adds a session token, sent by clients as
// `x-clarifai-session-token: <token>`, with scopes and endpoints as in
// AddPAT. A session token may call every method but AdminAuth ones: it is
// the only credential SessionTokenAuth methods accept (others get 11200
// CONN_AUTH_METHOD_DISABLED).
func (s *Server) AddSessionToken(token string, scopes, endpoints []string) {
	s.add(credKey{session: true, secret: token}, kindSessionToken, scopes, endpoints)
}

func (s *Server) add(k credKey, kd kind, scopes, endpoints []string) {
	c := credential{kind: kd, scopes: slices.Clone(scopes), endpoints: slices.Clone(endpoints)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds[k] = c
}

// SetUser names the user a key or session token belongs to: GetUser of
// the user "me" with it answers userID, as Clarifai answers whose PAT a
// call carries. Without it, that call answers "me".
func (s *Server) SetUser(secret, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []credKey{{secret: secret}, {session: true, secret: secret}} {
		if c, ok := s.creds[k]; ok {
			c.userID = userID
			s.creds[k] = c
		}
	}
}

// Remove forgets a key or session token: later calls with it get
// CONN_KEY_NOT_FOUND (or CONN_TOKEN_INVALID), as for a revoked key.
func (s *Server) Remove(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.creds, credKey{secret: secret})
	delete(s.creds, credKey{session: true, secret: secret})
}

// SetStatus makes every reply of method (a full method name, or "" for all
// methods) carry this in-band status, whatever the credentials: the call is
// neither authenticated nor checked for scopes. Replies keep their usual
// payload. A setting for a method wins over the one for "".
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

// SetStreamCodes sets the in-band status code of each reply a streaming
// method (a full method name, or "" for all) sends, in order, whatever the
// credentials; see docs/testing.md. No codes clears the setting.
func (s *Server) SetStreamCodes(method string, codes ...int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(codes) == 0 {
		delete(s.streamCodes, method)
		return
	}
	s.streamCodes[method] = slices.Clone(codes)
}

// SetError makes method (a full method name, or "" for all methods) fail
// with err as its gRPC status (build it with status.Error) instead of
// replying, before any other check. A nil err clears the setting.
func (s *Server) SetError(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.errs, method)
		return
	}
	s.errs[method] = err
}

// SetReply makes f answer the calls of method (a full method name, or "" for
// all methods) that pass authentication and the scope check; see ReplyFunc.
// A nil f restores the server's own replies.
func (s *Server) SetReply(method string, f ReplyFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.replies, method)
		return
	}
	s.replies[method] = f
}

// Serve serves on lis, for example a loopback TCP listener, until Stop is
// called. It returns nil after Stop, and the listener's error otherwise.
func (s *Server) Serve(lis net.Listener) error {
	err := s.gs.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Dial returns a client connection to the server over an in-memory
// listener and plaintext (the fake has no TLS), dialled with opts (your
// interceptors, for example); the first Dial starts serving on it. The
// caller closes the connection.
func (s *Server) Dial(opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	s.mu.Lock()
	lis := s.lis
	if lis == nil {
		lis = bufconn.Listen(bufSize)
		s.lis = lis
		go func() { _ = s.gs.Serve(lis) }()
	}
	s.mu.Unlock()
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return lis.DialContext(ctx)
		}),
	}
	return grpc.NewClient("passthrough:///clarifai", append(base, opts...)...)
}

// Stop stops serving: it closes the listeners and connections, cancels calls
// in progress and waits for their handlers to return. The recorded calls
// stay readable.
func (s *Server) Stop() {
	s.gs.Stop()
}
