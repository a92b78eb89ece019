package fakev2

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Clarifai status codes (clarifai.api.status.StatusCode) the server sends.
const (
	codeSuccess            = 10000
	codeMixedStatus        = 10010
	codeFailure            = 10020
	codeTryAgain           = 10030
	codeTokenInvalid       = 11001
	codeInsufficientScopes = 11007
	codeKeyInvalid         = 11008
	codeKeyNotFound        = 11009
	codeInvalidRequest     = 11102
	codeModelBuilding      = 21107
	codeUploadInProgress   = 68000
)

// Metadata keys that carry credentials.
const (
	mdAuthorization = "authorization"
	mdSessionToken  = "x-clarifai-session-token"
	keyPrefix       = "Key "
	scopeAll        = "All"
)

// descriptions are the status descriptions the server uses for the codes it
// knows; other codes get their enum name.
var descriptions = map[int32]string{
	codeSuccess:            "Ok",
	codeMixedStatus:        "Mixed status",
	codeFailure:            "Failure",
	codeTryAgain:           "Try again",
	codeTokenInvalid:       "Invalid token",
	codeInsufficientScopes: "Insufficient scopes",
	codeKeyInvalid:         "Invalid API key or Invalid API key/application pair",
	codeKeyNotFound:        "API key not found",
	codeInvalidRequest:     "Invalid request",
	codeModelBuilding:      "Model is building",
	codeUploadInProgress:   "Upload in progress",
}

// plan is how to answer one call, decided when it arrives.
type plan struct {
	err         error         // gRPC error to return instead of replying
	streamCodes []int32       // forced code of each stream message
	forced      *forcedStatus // forced status of every reply
	denied      *forcedStatus // authentication or authorization failure
	cred        *credential   // the caller's credential, if known
	info        *methodInfo   // nil for an unknown method
	reg         *registry     // the descriptors
	method      string        // full method name
	server      *Server       // for request ids
	replies     int           // replies sent so far
	request     proto.Message // the last request received
	responseOf  protoreflect.MessageDescriptor
	requestOf   protoreflect.MessageDescriptor
	clientSends bool
	serverSends bool
	// upload marks an upload stream: it answers each message with
	// UPLOAD_IN_PROGRESS and, after the client's last, MODEL_BUILDING.
	upload bool
	final  bool // the reply being sent is the upload's last
}

// handle serves every call: the server has no registered services.
func (s *Server) handle(_ any, stream grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(stream)
	if !ok {
		return status.Error(codes.Internal, "fakev2: no method name in stream")
	}
	md, _ := metadata.FromIncomingContext(stream.Context())
	p := s.plan(method, md)
	if p.err != nil {
		// Like a real handler, read the request before failing, so the
		// client is not cut off while still sending it.
		if p.info != nil && !p.clientSends {
			_ = p.recv(stream)
		}
		return p.err
	}
	if p.info == nil {
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	switch {
	case !p.clientSends && !p.serverSends:
		if err := p.recv(stream); err != nil {
			return err
		}
		return p.send(stream)
	case !p.clientSends: // server streaming
		if err := p.recv(stream); err != nil {
			return err
		}
		n := 3
		if p.streamCodes != nil {
			n = len(p.streamCodes)
		}
		if p.denied != nil && p.streamCodes == nil && p.forced == nil {
			n = 1
		}
		for range n {
			if err := p.send(stream); err != nil {
				return err
			}
		}
		return nil
	case !p.serverSends: // client streaming
		for {
			err := p.recv(stream)
			if errors.Is(err, io.EOF) {
				return p.send(stream)
			}
			if err != nil {
				return err
			}
		}
	default: // bidirectional
		for {
			err := p.recv(stream)
			if errors.Is(err, io.EOF) {
				if p.upload && p.denied == nil && p.streamCodes == nil && p.forced == nil {
					p.final = true
					return p.send(stream)
				}
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.send(stream); err != nil {
				return err
			}
			if p.denied != nil && p.streamCodes == nil && p.forced == nil {
				return nil // a denied stream gets one reply, then ends
			}
		}
	}
}

// plan records the call and decides how to answer it.
func (s *Server) plan(method string, md metadata.MD) *plan {
	reg := loadFiles()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: method, MD: md.Copy()})

	p := &plan{reg: reg, method: method, server: s, info: reg.methods[method]}
	if p.info != nil {
		p.requestOf = p.info.desc.Input()
		p.responseOf = p.info.desc.Output()
		p.clientSends = p.info.desc.IsStreamingClient()
		p.serverSends = p.info.desc.IsStreamingServer()
		p.upload = p.clientSends && p.serverSends && strings.HasSuffix(string(p.info.desc.Name()), "Upload")
	}
	if err, ok := s.errs[method]; ok {
		p.err = err
		return p
	}
	if err, ok := s.errs[""]; ok {
		p.err = err
		return p
	}
	if p.info == nil {
		return p
	}
	if p.clientSends || p.serverSends {
		if c, ok := s.streamCodes[method]; ok {
			p.streamCodes = c
		} else if c, ok := s.streamCodes[""]; ok {
			p.streamCodes = c
		}
	}
	if f, ok := s.statuses[method]; ok {
		p.forced = &f
	} else if f, ok := s.statuses[""]; ok {
		p.forced = &f
	}
	if p.info.authType != authNoAuth {
		p.cred, p.denied = s.authenticate(md)
		if p.denied == nil {
			p.denied = authorize(p.info, method, p.cred)
		}
	}
	return p
}

// authenticate finds the caller's credential, or says why it cannot.
// s.mu must be held.
func (s *Server) authenticate(md metadata.MD) (*credential, *forcedStatus) {
	auth, token := md.Get(mdAuthorization), md.Get(mdSessionToken)
	switch {
	case len(auth) == 0 && len(token) == 0:
		return nil, deny(codeInvalidRequest, "Missing credentials: send 'authorization: Key <secret>' or 'x-clarifai-session-token: <token>'")
	case len(auth) > 0 && len(token) > 0:
		return nil, deny(codeInvalidRequest, "Both an API key and a session token were sent: send only one")
	case len(auth) > 1 || len(token) > 1:
		return nil, deny(codeInvalidRequest, "More than one credential was sent: send only one")
	case len(auth) == 1:
		secret, ok := strings.CutPrefix(auth[0], keyPrefix)
		if !ok || secret == "" {
			return nil, deny(codeKeyInvalid, "Malformed authorization header: expected 'Key <secret>'")
		}
		c, ok := s.keys[secret]
		if !ok {
			return nil, deny(codeKeyNotFound, "API key not found")
		}
		return &c, nil
	default:
		c, ok := s.sessions[token[0]]
		if !ok {
			return nil, deny(codeTokenInvalid, "Session token not found")
		}
		return &c, nil
	}
}

func deny(code int32, details string) *forcedStatus {
	return &forcedStatus{code: code, description: descriptions[code], details: details}
}

// authorize checks the credential's scopes and endpoints against what the
// method needs.
func authorize(info *methodInfo, method string, c *credential) *forcedStatus {
	if slices.Contains(c.scopes, scopeAll) || slices.Contains(c.endpoints, method) {
		return nil
	}
	var missing []string
	for _, sc := range info.scopes {
		if !slices.Contains(c.scopes, sc) {
			missing = append(missing, sc)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return deny(codeInsufficientScopes, InsufficientScopesDetails(missing, method))
}

// InsufficientScopesDetails returns the details the server puts in a
// CONN_INSUFFICIENT_SCOPES status: "Missing scopes: [A B]; or endpoint: M".
func InsufficientScopesDetails(missing []string, method string) string {
	return fmt.Sprintf("Missing scopes: [%s]; or endpoint: %s", strings.Join(missing, " "), method)
}

// recv receives one request. A client-streaming method keeps every message
// received, merged (repeated fields appended), so its one reply covers them
// all; other methods keep the last.
func (p *plan) recv(stream grpc.ServerStream) error {
	req := dynamicpb.NewMessage(p.requestOf)
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	if p.clientSends && !p.serverSends && p.request != nil {
		proto.Merge(p.request, req)
		return nil
	}
	p.request = req
	return nil
}

// send sends the next reply.
func (p *plan) send(stream grpc.ServerStream) error {
	st, payload := p.nextStatus()
	p.replies++
	resp := dynamicpb.NewMessage(p.responseOf)
	m := resp.ProtoReflect()
	if payload {
		var req protoreflect.Message
		if p.request != nil {
			req = p.request.ProtoReflect()
		} else {
			req = dynamicpb.NewMessage(p.requestOf)
		}
		p.reg.fill(m, req, p.info.desc.Name(), p.cred)
	}
	setStatus(m, st, "fake-"+strconv.FormatInt(p.server.reqID.Add(1), 10))
	return stream.SendMsg(resp)
}

// nextStatus returns the status of the next reply, and whether the reply
// carries a payload.
func (p *plan) nextStatus() (forcedStatus, bool) {
	switch {
	case p.streamCodes != nil:
		c := p.streamCodes[min(p.replies, len(p.streamCodes)-1)]
		return forcedStatus{code: c, description: p.reg.description(c)}, true
	case p.forced != nil:
		return *p.forced, true
	case p.denied != nil:
		return *p.denied, false
	case p.final:
		return forcedStatus{code: codeModelBuilding, description: descriptions[codeModelBuilding]}, true
	case p.upload:
		return forcedStatus{code: codeUploadInProgress, description: descriptions[codeUploadInProgress]}, true
	default:
		return forcedStatus{code: codeSuccess, description: descriptions[codeSuccess]}, true
	}
}

// description returns the description the server uses for code.
func (r *registry) description(code int32) string {
	if d, ok := descriptions[code]; ok {
		return d
	}
	if v := r.codes.Values().ByNumber(protoreflect.EnumNumber(code)); v != nil {
		return string(v.Name())
	}
	return ""
}

// setStatus sets field status of a response.
func setStatus(resp protoreflect.Message, st forcedStatus, reqID string) {
	writeStatus(mutableMessage(resp, "status"), st, reqID)
}

// writeStatus fills s, a clarifai.api.status.Status (or nil).
func writeStatus(s protoreflect.Message, st forcedStatus, reqID string) {
	if s == nil {
		return
	}
	setEnum(s, "code", st.code)
	setString(s, "description", st.description)
	setString(s, "details", st.details)
	setString(s, "req_id", reqID)
}

// fill puts the payload of a successful reply of method into resp.
func (r *registry) fill(resp, req protoreflect.Message, method protoreflect.Name, c *credential) {
	userID := getString(getMessage(req, "user_app_id"), "user_id")
	appID := getString(getMessage(req, "user_app_id"), "app_id")
	switch method {
	case "PostModelOutputs", "GenerateModelOutputs", "StreamModelOutputs", "PostChunks":
		modelID := getString(req, "model_id")
		inputs := getList(req, "inputs")
		n := 1
		if inputs != nil && inputs.Len() > 0 {
			n = inputs.Len()
		}
		for i := range n {
			out := appendMessage(resp, "outputs")
			if out == nil {
				return
			}
			setString(out, "id", fmt.Sprintf("output-%d", i+1))
			setStatus(out, forcedStatus{code: codeSuccess, description: descriptions[codeSuccess]}, "")
			setString(mutableMessage(out, "model"), "id", modelID)
			if inputs != nil && i < inputs.Len() {
				copyMessage(out, "input", inputs.Get(i).Message())
			}
			concept := appendMessage(mutableMessage(out, "data"), "concepts")
			setString(concept, "id", "fake-concept")
			setString(concept, "name", "fake")
			setFloat(concept, "value", 0.99)
		}
	case "PostInputs":
		echo(resp, req, "inputs", "input")
	case "PostKeys":
		echo(resp, req, "keys", "key")
	case "MyScopes":
		if c != nil {
			appendStrings(resp, "scopes", c.scopes)
			appendStrings(resp, "endpoints", c.endpoints)
		}
		app := mutableMessage(resp, "app")
		setString(app, "id", appID)
		setString(app, "name", appID)
	case "GetUser":
		if userID == "" {
			userID = "me"
		}
		setString(mutableMessage(resp, "user"), "id", userID)
	case "ListScopes":
		vals := r.scopes.Values()
		for i := range vals.Len() {
			v := vals.Get(i)
			if v.Number() == 0 {
				continue
			}
			dep := appendMessage(resp, "scope_deps")
			setString(dep, "scope", r.scopeName(int32(v.Number())))
			raw, err := optionBytes(v.Options())
			if err != nil {
				continue
			}
			deps, err := enumList(raw, optScopeDependingScopes)
			if err != nil {
				continue
			}
			for _, d := range deps {
				appendStrings(dep, "depending_scopes", []string{r.scopeName(d)})
			}
		}
	case "ListStatusCodes":
		vals := r.codes.Values()
		for i := range vals.Len() {
			v := vals.Get(i)
			if v.Number() == 0 {
				continue
			}
			writeStatus(appendMessage(resp, "statuses"), forcedStatus{code: int32(v.Number()), description: r.description(int32(v.Number()))}, "")
		}
	}
}

// echo copies the list field of req into resp, giving elements without an
// id the id "<prefix>-<n>".
func echo(resp, req protoreflect.Message, field, prefix string) {
	in := getList(req, field)
	if in == nil {
		return
	}
	for i := range in.Len() {
		e := appendMessage(resp, field)
		if e == nil {
			return
		}
		proto.Merge(e.Interface(), in.Get(i).Message().Interface())
		if getString(e, "id") == "" {
			setString(e, "id", fmt.Sprintf("%s-%d", prefix, i+1))
		}
	}
}

// The helpers below read and write dynamic messages by field name, doing
// nothing when a field is missing from the descriptors, so that the server
// keeps working if the protoset trims a message.

func field(m protoreflect.Message, name string) protoreflect.FieldDescriptor {
	if m == nil {
		return nil
	}
	return m.Descriptor().Fields().ByName(protoreflect.Name(name))
}

func getString(m protoreflect.Message, name string) string {
	if fd := field(m, name); fd != nil && fd.Kind() == protoreflect.StringKind && !fd.IsList() {
		return m.Get(fd).String()
	}
	return ""
}

func getMessage(m protoreflect.Message, name string) protoreflect.Message {
	if fd := field(m, name); fd != nil && fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		return m.Get(fd).Message()
	}
	return nil
}

func getList(m protoreflect.Message, name string) protoreflect.List {
	if fd := field(m, name); fd != nil && fd.IsList() {
		return m.Get(fd).List()
	}
	return nil
}

func setString(m protoreflect.Message, name, v string) {
	if fd := field(m, name); fd != nil && fd.Kind() == protoreflect.StringKind && !fd.IsList() && v != "" {
		m.Set(fd, protoreflect.ValueOfString(v))
	}
}

func setEnum(m protoreflect.Message, name string, v int32) {
	if fd := field(m, name); fd != nil && fd.Kind() == protoreflect.EnumKind && !fd.IsList() {
		m.Set(fd, protoreflect.ValueOfEnum(protoreflect.EnumNumber(v)))
	}
}

func setFloat(m protoreflect.Message, name string, v float32) {
	if fd := field(m, name); fd != nil && fd.Kind() == protoreflect.FloatKind && !fd.IsList() {
		m.Set(fd, protoreflect.ValueOfFloat32(v))
	}
}

func mutableMessage(m protoreflect.Message, name string) protoreflect.Message {
	if fd := field(m, name); fd != nil && fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		return m.Mutable(fd).Message()
	}
	return nil
}

func copyMessage(m protoreflect.Message, name string, src protoreflect.Message) {
	if dst := mutableMessage(m, name); dst != nil && dst.Descriptor().FullName() == src.Descriptor().FullName() {
		proto.Merge(dst.Interface(), src.Interface())
	}
}

func appendMessage(m protoreflect.Message, name string) protoreflect.Message {
	fd := field(m, name)
	if fd == nil || !fd.IsList() || fd.Message() == nil {
		return nil
	}
	l := m.Mutable(fd).List()
	e := l.NewElement()
	l.Append(e)
	return e.Message()
}

func appendStrings(m protoreflect.Message, name string, vs []string) {
	fd := field(m, name)
	if fd == nil || !fd.IsList() || fd.Kind() != protoreflect.StringKind {
		return
	}
	l := m.Mutable(fd).List()
	for _, v := range vs {
		l.Append(protoreflect.ValueOfString(v))
	}
}
