package clarifaifake

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpc-keyauth/clarifaiauth/internal/fakeapi"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// handle serves every call: the gRPC server has no registered services.
func (s *Server) handle(_ any, stream grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(stream)
	if !ok {
		return status.Error(codes.Internal, "clarifaifake: no method name in stream")
	}
	md, _ := metadata.FromIncomingContext(stream.Context())
	p := s.plan(method, md)
	err := p.serve(stream)
	s.mu.Lock()
	p.rec.err = err
	var c Call
	if s.onCall != nil {
		c = p.rec.snapshot()
	}
	s.mu.Unlock()
	if s.onCall != nil {
		s.onCall(c)
	}
	return err
}

// serve answers the call as planned.
func (p *plan) serve(stream grpc.ServerStream) error {
	if p.err != nil {
		// Like a real handler, read the request before failing, so the
		// client is not cut off while still sending it.
		if p.info != nil && !p.clientSends {
			_ = p.recv(stream)
		}
		return p.err
	}
	if p.info == nil {
		return status.Errorf(codes.Unimplemented, "clarifaifake: unknown method %s", p.rec.method)
	}
	switch {
	case !p.clientSends && !p.serverSends:
		if err := p.recv(stream); err != nil {
			return err
		}
		return p.answer(stream, p.request)
	case !p.clientSends: // server streaming
		if err := p.recv(stream); err != nil {
			return err
		}
		return p.answer(stream, p.request)
	case !p.serverSends: // client streaming: one reply covering every message
		for {
			err := p.recv(stream)
			if errors.Is(err, io.EOF) {
				if p.request == nil {
					p.request = p.info.newRequest()
				}
				return p.answer(stream, p.request)
			}
			if err != nil {
				return err
			}
		}
	default: // bidirectional: replies to each message, and maybe at the end
		for {
			err := p.recv(stream)
			if errors.Is(err, io.EOF) {
				return p.answer(stream, nil)
			}
			if err != nil {
				return err
			}
			if err := p.answer(stream, p.last); err != nil {
				return err
			}
			if p.denied != nil && p.streamCodes == nil && p.forced == nil {
				return nil // a refused stream gets one reply, then ends
			}
		}
	}
}

// recordedOverhead is what one recorded request costs besides its bytes.
const recordedOverhead = 64

// maxRecordedRequests bounds the messages recorded for one call, so that a
// long upload stream does not keep every chunk.
const maxRecordedRequests = 1000

// recv receives one request and records it (up to maxRecordedRequests). A client-streaming call merges
// every message into p.request (repeated fields appended), so that its one
// reply covers them all; p.last is the last message.
func (p *plan) recv(stream grpc.ServerStream) error {
	req := p.info.newRequest()
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	// The record keeps the wire form, whose size is what it counts: a
	// decoded dynamic message holds many times more.
	p.srv.mu.Lock()
	room := len(p.rec.requests) < maxRecordedRequests
	p.srv.mu.Unlock()
	if room {
		if b, err := proto.Marshal(req); err == nil {
			p.srv.mu.Lock()
			if len(p.rec.requests) < maxRecordedRequests && p.srv.grow(p.rec, len(b)+recordedOverhead) {
				p.rec.requests = append(p.rec.requests, b)
				p.rec.reqType = req.ProtoReflect().Type()
			}
			p.srv.mu.Unlock()
		}
	}
	p.last = req
	if p.clientSends && !p.serverSends {
		if p.request == nil {
			p.request = proto.Clone(req)
		} else {
			proto.Merge(p.request, req)
		}
		return nil
	}
	p.request = req
	return nil
}

// answer sends the replies to req. A nil req is the end of a bidirectional
// stream.
func (p *plan) answer(stream grpc.ServerStream, req proto.Message) error {
	replies, err := p.replies(stream, req)
	if err != nil {
		return err
	}
	for _, r := range replies {
		if err := p.send(stream, r); err != nil {
			return err
		}
	}
	return nil
}

// replies makes the replies to req, in the order of precedence of the
// package doc: forced codes, forced status, refusal, ReplyFunc, default.
func (p *plan) replies(stream grpc.ServerStream, req proto.Message) ([]proto.Message, error) {
	unary := !p.serverSends
	end := req == nil
	switch {
	case p.streamCodes != nil:
		codes := p.streamCodes
		switch {
		case end:
			return nil, nil
		case p.clientSends: // bidirectional: one per message
			c := codes[min(p.sent, len(codes)-1)]
			return []proto.Message{p.reply(req, p.srv.reg.status(c), true)}, nil
		default:
			out := make([]proto.Message, 0, len(codes))
			for _, c := range codes {
				out = append(out, p.reply(req, p.srv.reg.status(c), true))
			}
			return out, nil
		}
	case p.forced != nil:
		if end {
			return nil, nil
		}
		return p.repeat(p.reply(req, *p.forced, true)), nil
	case p.denied != nil:
		if end {
			return nil, nil
		}
		return []proto.Message{p.reply(req, *p.denied, false)}, nil
	case p.fn != nil:
		out, err := p.fn(stream.Context(), req)
		if err != nil {
			// A ReplyFunc that gives up with its context's error ends the
			// call as gRPC would (DeadlineExceeded, Canceled), not Unknown.
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return nil, status.FromContextError(err).Err()
			}
			return nil, status.Convert(err).Err()
		}
		if unary && len(out) != 1 {
			return nil, status.Errorf(codes.Internal, "clarifaifake: the ReplyFunc of %s returned %d replies, want 1", p.rec.method, len(out))
		}
		replies := make([]proto.Message, len(out))
		for i, r := range out {
			if isNil(r) || r.ProtoReflect().Descriptor().FullName() != p.info.desc.Output().FullName() {
				return nil, status.Errorf(codes.Internal, "clarifaifake: the ReplyFunc of %s returned a %T, want a non-nil %s", p.rec.method, r, p.info.desc.Output().FullName())
			}
			// A copy, since the server sets fields of the reply and f may
			// hand the same message to concurrent calls.
			replies[i] = proto.Clone(r)
			fillStatus(replies[i].ProtoReflect(), statusOf(wire.CodeSuccess))
		}
		return replies, nil
	case p.upload:
		if end {
			return []proto.Message{p.reply(nil, statusOf(wire.CodeModelBuilding), true)}, nil
		}
		return []proto.Message{p.reply(req, statusOf(wire.CodeUploadInProgress), true)}, nil
	default:
		if end {
			return nil, nil
		}
		return p.repeat(p.reply(req, statusOf(wire.CodeSuccess), true)), nil
	}
}

// isNil reports whether m is nil or a nil pointer.
func isNil(m proto.Message) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// repeat returns the reply once, or three times for a server stream.
func (p *plan) repeat(r proto.Message) []proto.Message {
	if p.clientSends || !p.serverSends {
		return []proto.Message{r}
	}
	return []proto.Message{r, proto.Clone(r), proto.Clone(r)}
}

// send sends one reply, giving it a request id, and records its code.
func (p *plan) send(stream grpc.ServerStream, r proto.Message) error {
	m := r.ProtoReflect()
	st := mutableMessage(m, "status")
	if getString(st, "req_id") == "" {
		setString(st, "req_id", p.srv.nextReqID())
	}
	p.srv.mu.Lock()
	if p.srv.grow(p.rec, 4) {
		p.rec.codes = append(p.rec.codes, getEnum(st, "code"))
	}
	p.srv.mu.Unlock()
	p.sent++
	return stream.SendMsg(r)
}

// deny returns the status of a refused call.
func deny(code int32, details string) *forcedStatus {
	return &forcedStatus{code: code, description: descriptions[code], details: details}
}

// authenticate finds the caller's credential, or says why it cannot.
// s.mu must be held.
func (s *Server) authenticate(md metadata.MD) (*credential, *forcedStatus) {
	auth, token := md.Get(wire.HeaderAuthorization), md.Get(wire.HeaderSessionToken)
	switch {
	case len(auth) == 0 && len(token) == 0:
		return nil, deny(wire.CodeInvalidRequest, "Missing credentials: send 'authorization: Key <secret>' or 'x-clarifai-session-token: <token>'")
	case len(auth) > 0 && len(token) > 0:
		return nil, deny(wire.CodeInvalidRequest, "Both an API key and a session token were sent: send only one")
	case len(auth) > 1 || len(token) > 1:
		return nil, deny(wire.CodeInvalidRequest, "More than one credential was sent: send only one")
	case len(auth) == 1:
		secret, ok := strings.CutPrefix(auth[0], keyPrefix)
		if !ok || secret == "" {
			return nil, deny(wire.CodeKeyInvalid, "Malformed authorization header: expected 'Key <secret>'")
		}
		c, ok := s.creds[credKey{secret: secret}]
		if !ok {
			return nil, deny(wire.CodeKeyNotFound, "API key not found")
		}
		return &c, nil
	default:
		c, ok := s.creds[credKey{session: true, secret: token[0]}]
		if !ok {
			return nil, deny(wire.CodeTokenInvalid, "Session token not found")
		}
		return &c, nil
	}
}

// permitKind refuses a credential of the wrong kind for the method's auth
// type.
//
// The code is CONN_AUTH_METHOD_DISABLED (11200, "the authentication method
// is not allowed here") rather than CONN_KEY_INVALID (11008): the
// credential is genuine and may call other methods, only not this one, so
// the failure is a permission (PermissionDenied), not an authentication one.
// A client that reads 11008 as "this key was rejected" would throw away a
// good key and fetch it again, to the same answer; 11200 tells it that
// another kind of credential is needed. Clarifai does not publish which code
// it sends here.
func permitKind(authType int32, c *credential) *forcedStatus {
	switch {
	case authType == authAdmin:
		return deny(wire.CodeAuthMethodDisabled, "This method is for Clarifai's administrators only")
	case authType == authPAT && c.kind == kindAPIKey:
		return deny(wire.CodeAuthMethodDisabled, "This method needs a personal access token (PAT): an app-specific API key cannot call it")
	case authType == authSessionToken && c.kind != kindSessionToken:
		return deny(wire.CodeAuthMethodDisabled, "This method needs a session token: an API key or PAT cannot call it")
	}
	return nil
}

// authorize checks the credential's scopes and endpoints against what the
// method needs.
func authorize(info *methodInfo, c *credential) *forcedStatus {
	for _, sc := range c.scopes {
		if sc == scopeAll {
			return nil
		}
	}
	for _, e := range c.endpoints {
		if e == info.name {
			return nil
		}
	}
	var missing []string
	for _, sc := range info.scopes {
		if !contains(c.scopes, sc) {
			missing = append(missing, sc)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return deny(wire.CodeInsufficientScopes, fakeapi.InsufficientScopesDetails(missing, info.name))
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}
