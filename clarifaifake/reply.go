package clarifaifake

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// scopeAll is the scope that grants every scope.
const scopeAll = "All"

// descriptions are the status descriptions the server uses for the codes it
// sends on its own; codes set with SetStreamCodes get their enum name.
var descriptions = map[int32]string{
	wire.CodeSuccess:            "Ok",
	wire.CodeTokenInvalid:       "Invalid token",
	wire.CodeInsufficientScopes: "Insufficient scopes",
	wire.CodeKeyInvalid:         "Invalid API key or Invalid API key/application pair",
	wire.CodeKeyNotFound:        "API key not found",
	wire.CodeInvalidRequest:     "Invalid request",
	wire.CodeAuthMethodDisabled: "Authentication method disabled",
	wire.CodeModelBuilding:      "Model is building",
	wire.CodeUploadInProgress:   "Upload in progress",
}

func statusOf(code int32) forcedStatus {
	return forcedStatus{code: code, description: descriptions[code]}
}

// A ReplyFunc answers the requests of a method set with Server.SetReply,
// once the call passed authentication and the scope check: it returns the
// replies to send, of the method's response type, or the call's gRPC error.
// docs/testing.md says when it is called for each kind of stream.
type ReplyFunc func(ctx context.Context, req proto.Message) ([]proto.Message, error)

// Typed adapts f, a function of generated request and reply types, to a
// ReplyFunc: a dynamic request of the same message is copied into a Req,
// one of another message is an error, and no request (the end of a
// bidirectional stream) gets no replies.
func Typed[Req, Resp proto.Message](f func(ctx context.Context, req Req) ([]Resp, error)) ReplyFunc {
	return func(ctx context.Context, req proto.Message) ([]proto.Message, error) {
		if req == nil {
			return nil, nil
		}
		r, ok := req.(Req)
		if !ok {
			var zero Req
			mt := zero.ProtoReflect().Type()
			if mt.Descriptor().FullName() != req.ProtoReflect().Descriptor().FullName() {
				return nil, fmt.Errorf("clarifaifake: Typed: request is a %s, want a %s", req.ProtoReflect().Descriptor().FullName(), mt.Descriptor().FullName())
			}
			b, err := proto.Marshal(req)
			if err != nil {
				return nil, err
			}
			m := mt.New().Interface()
			if err := proto.Unmarshal(b, m); err != nil {
				return nil, err
			}
			r = m.(Req)
		}
		out, err := f(ctx, r)
		if err != nil {
			return nil, err
		}
		replies := make([]proto.Message, len(out))
		for i, o := range out {
			replies[i] = o
		}
		return replies, nil
	}
}

// WithStatus returns reply, a response message of any V2 method, with its
// status set to code, description and details: handy in a ReplyFunc for
// progress statuses or a per-item failure. It modifies and returns reply.
func WithStatus(reply proto.Message, code int32, description, details string) proto.Message {
	writeStatus(mutableMessage(reply.ProtoReflect(), "status"), forcedStatus{code: code, description: description, details: details})
	return reply
}

// NewReply returns an empty response message of method (a full method name
// or, for V2, a bare one like "PostModelOutputs"): of the client's generated
// type when the server serves protoregistry.GlobalFiles, a dynamicpb message
// otherwise. It returns nil for an unknown method.
func (s *Server) NewReply(method string) proto.Message {
	if mi := s.reg.method(method); mi != nil {
		return mi.newResponse()
	}
	return nil
}

// NewRequest is NewReply for the method's request message.
func (s *Server) NewRequest(method string) proto.Message {
	if mi := s.reg.method(method); mi != nil {
		return mi.newRequest()
	}
	return nil
}

func (mi *methodInfo) newRequest() proto.Message  { return newMessage(mi.desc.Input()) }
func (mi *methodInfo) newResponse() proto.Message { return newMessage(mi.desc.Output()) }

// newMessage returns a message of the generated type registered for d, if
// its descriptor is d itself (the server serves GlobalFiles), or a dynamic
// one.
func newMessage(d protoreflect.MessageDescriptor) proto.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName()); err == nil && mt.Descriptor() == d {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(d)
}

// plan is how to answer one call, decided when it arrives.
type plan struct {
	srv         *Server
	rec         *record
	info        *methodInfo // nil for an unknown method
	err         error       // gRPC error to return instead of replying
	streamCodes []int32     // codes set with SetStreamCodes
	forced      *forcedStatus
	denied      *forcedStatus // authentication or authorization failure
	cred        *credential   // the caller's credential, if known
	fn          ReplyFunc
	clientSends bool
	serverSends bool
	upload      bool          // answers UPLOAD_IN_PROGRESS, then MODEL_BUILDING
	request     proto.Message // the request (merged, for client streaming)
	last        proto.Message // the last message received
	sent        int           // replies sent so far
}

// plan records the call and decides how to answer it.
func (s *Server) plan(method string, md metadata.MD) *plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &record{method: method, md: md.Copy()}
	s.addRecord(rec)
	p := &plan{srv: s, rec: rec, info: s.reg.methods[method]}
	if err, ok := lookup(s.errs, method); ok {
		p.err = err
		return p
	}
	if p.info == nil {
		return p
	}
	p.clientSends = p.info.desc.IsStreamingClient()
	p.serverSends = p.info.desc.IsStreamingServer()
	p.upload = p.clientSends && p.serverSends && strings.HasSuffix(string(p.info.desc.Name()), "Upload")
	if p.clientSends || p.serverSends {
		p.streamCodes, _ = lookup(s.streamCodes, method)
	}
	if f, ok := lookup(s.statuses, method); ok {
		p.forced = &f
	}
	p.fn, _ = lookup(s.replies, method)
	if p.info.authType != authNoAuth {
		p.cred, p.denied = s.authenticate(md)
		if p.denied == nil {
			p.denied = s.throttle(md)
		}
		if p.denied == nil {
			p.denied = permitKind(p.info.authType, p.cred)
		}
		if p.denied == nil {
			p.denied = authorize(p.info, p.cred)
		}
	}
	return p
}

// lookup returns the setting for method, or else the one for "".
func lookup[V any](m map[string]V, method string) (V, bool) {
	if v, ok := m[method]; ok {
		return v, true
	}
	v, ok := m[""]
	return v, ok
}

// reply builds a reply to req with status st and, if payload, the server's
// own payload for the method.
func (p *plan) reply(req proto.Message, st forcedStatus, payload bool) proto.Message {
	resp := p.info.newResponse()
	m := resp.ProtoReflect()
	if payload {
		var r protoreflect.Message
		if req != nil {
			r = req.ProtoReflect()
		} else {
			r = p.info.newRequest().ProtoReflect()
		}
		p.srv.reg.fill(m, r, p.info.desc.Name(), p.cred)
	}
	writeStatus(mutableMessage(m, "status"), st)
	return resp
}

// nextReqID returns a fresh request id.
func (s *Server) nextReqID() string {
	return "fake-" + strconv.FormatInt(s.reqID.Add(1), 10)
}
