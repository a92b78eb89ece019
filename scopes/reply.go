package scopes

import (
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/protomsg"
)

// statusMessage is the full name of Clarifai's status message.
const statusMessage protoreflect.FullName = "clarifai.api.status.Status"

// replyShape is what CheckReply needs to know about one reply message type,
// resolved once per message descriptor.
type replyShape struct {
	status protoreflect.FieldDescriptor // nil: the type has no Clarifai status
	code   protoreflect.FieldDescriptor // enum or integer field 1, or nil
	desc   protoreflect.FieldDescriptor // string field 2, or nil
	detail protoreflect.FieldDescriptor // string field 3, or nil
	reqID  protoreflect.FieldDescriptor // string field 7, or nil
}

// replyShapes caches *replyShape by message descriptor. A program has a
// handful of reply types, each added once and then read on every reply, so
// the map is copied on write and read with one atomic load and a plain map
// lookup: no lock, and cheaper than a sync.Map.
var (
	replyShapes   atomic.Pointer[map[protoreflect.MessageDescriptor]*replyShape]
	replyShapesMu sync.Mutex // serialises writers only
)

func shapeOf(md protoreflect.MessageDescriptor) *replyShape {
	if m := replyShapes.Load(); m != nil {
		if sh, ok := (*m)[md]; ok {
			return sh
		}
	}
	replyShapesMu.Lock()
	defer replyShapesMu.Unlock()
	old := replyShapes.Load()
	if old != nil {
		if sh, ok := (*old)[md]; ok {
			return sh
		}
	}
	next := make(map[protoreflect.MessageDescriptor]*replyShape, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	sh := resolveShape(md)
	next[md] = sh
	replyShapes.Store(&next)
	return sh
}

func lenOf(m *map[protoreflect.MessageDescriptor]*replyShape) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

func resolveShape(md protoreflect.MessageDescriptor) *replyShape {
	sh := &replyShape{}
	fd := md.Fields().ByName("status")
	if fd == nil || fd.IsList() || fd.IsMap() || fd.Message() == nil || fd.Message().FullName() != statusMessage {
		return sh
	}
	sh.status = fd
	fields := fd.Message().Fields()
	if f := fields.ByNumber(1); f != nil && !f.IsList() {
		if f.Kind() == protoreflect.EnumKind {
			// Codes newer than the table are read with this enum's names.
			rememberStatusEnum(f.Enum())
		}
		switch f.Kind() {
		case protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
			protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
			protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
			sh.code = f
		}
	}
	str := func(n protoreflect.FieldNumber) protoreflect.FieldDescriptor {
		if f := fields.ByNumber(n); f != nil && !f.IsList() && f.Kind() == protoreflect.StringKind {
			return f
		}
		return nil
	}
	sh.desc, sh.detail, sh.reqID = str(2), str(3), str(7)
	return sh
}

// readCode reads the status code without allocating.
func (sh *replyShape) readCode(st protoreflect.Message) Code {
	if sh.code == nil {
		return codeZero
	}
	v := st.Get(sh.code)
	switch sh.code.Kind() {
	case protoreflect.EnumKind:
		return Code(v.Enum())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return Code(int32(v.Uint()))
	default:
		return Code(int32(v.Int()))
	}
}

func readString(m protoreflect.Message, fd protoreflect.FieldDescriptor) string {
	if fd == nil {
		return ""
	}
	return m.Get(fd).String()
}

// CheckReply reports a failed Clarifai status carried in-band by reply, a
// response or stream message of method (the full gRPC method name).
//
// It returns nil when reply is not a proto.Message, when its type has no
// field named "status" of type clarifai.api.status.Status, or when the status
// code is not a failure according to failed (nil means [Code.Failed]: only
// codes of [ClassFailure]; progress, state and ok codes pass). Otherwise it
// returns an *Error with the status' code, description, details and req_id,
// the missing scopes and endpoints parsed from the text (reading a bounded
// prefix of it), and Required filled from [Required](method) when known. An
// unset status counts as code 0 ("reply carries no status"), a failure.
//
// The reply's own status enum names codes newer than this package's table
// (see [Code.Class]).
//
// CheckReply reads the message by protobuf reflection, so it works with
// generated and dynamicpb messages of any version of Clarifai's protos. The
// fields are resolved once per message descriptor; after that, a SUCCESS
// reply costs a lock-free map lookup and a field read, other codes a binary
// search of the code table besides, and a reply that is not a failure does
// not allocate. CheckReply is safe for concurrent use.
func CheckReply(method string, reply any, failed func(Code) bool) error {
	m, ok := protomsg.Reflect(reply)
	if !ok {
		return nil
	}
	sh := shapeOf(m.Descriptor())
	if sh.status == nil {
		return nil
	}
	// Get on an unset message field reads an empty status, code 0: the
	// common SUCCESS path needs no separate presence check.
	st := m.Get(sh.status).Message()
	code := sh.readCode(st)
	if failed == nil {
		failed = Code.Failed
	}
	if !failed(code) {
		return nil
	}
	e := &Error{Method: method, Code: code, Reply: m.Interface()}
	if !m.Has(sh.status) {
		e.Description = "reply carries no status"
	} else {
		e.Description = readString(st, sh.desc)
		e.Details = readString(st, sh.detail)
		e.ReqID = readString(st, sh.reqID)
	}
	e.Missing, e.MissingEndpoints = parseMissing(e.Description, e.Details)
	if req, ok := Required(method); ok {
		e.Required = req
	}
	return e
}

// wireStatus is a clarifai.api.status.Status decoded from bytes.
type wireStatus struct {
	has                         bool // field 1 was present
	code                        Code
	description, details, reqID string
}

// maxKeptText bounds each text decodeStatus copies out of wire bytes.
const maxKeptText = 64 << 10

// decodeStatus decodes the fields of clarifai.api.status.Status this package
// uses; malformed input yields what was read before the damage. Texts are
// cut at maxKeptText bytes.
func decodeStatus(b []byte) wireStatus {
	var st wireStatus
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return st
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return st
			}
			st.has, st.code = true, Code(int32(v))
			b = b[n:]
			continue
		case (num == 2 || num == 3 || num == 7) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return st
			}
			if len(v) > maxKeptText {
				v = v[:maxKeptText]
			}
			switch num {
			case 2:
				st.description = string(v)
			case 3:
				st.details = string(v)
			case 7:
				st.reqID = string(v)
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return st
		}
		b = b[n:]
	}
	return st
}
