package scopes

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/msgcache"
	"github.com/grpc-keyauth/clarifaiauth/internal/protomsg"
	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
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

// replyShapes caches *replyShape by message descriptor.
var replyShapes = msgcache.New(resolveShape)

func shapeOf(md protoreflect.MessageDescriptor) *replyShape { return replyShapes.Get(md) }

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

// CheckReply returns an *Error when reply, a response or stream message of
// method (the full gRPC method name), carries an in-band Clarifai status
// whose code failed reports (nil means [Code.Failed]: progress, state and ok
// codes pass); an unset status counts as code 0, a failure. It returns nil
// when reply is no proto.Message or has no field "status" of type
// clarifai.api.status.Status.
//
// The *Error holds the status' code, description, details and req_id, the
// missing scopes parsed from its text, and Required when the program's
// descriptors know method. CheckReply reads messages by reflection, so it
// works with any version of Clarifai's generated types, and with dynamicpb.
// It is safe for concurrent use.
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
	e := &Error{Method: method, Code: code}
	if !m.Has(sh.status) {
		e.Description = "reply carries no status"
	} else {
		e.Description = readString(st, sh.desc)
		e.Details = readString(st, sh.detail)
		e.ReqID = readString(st, sh.reqID)
	}
	e.Missing, e.MissingEndpoints = scopename.ParseMissing(e.Description, e.Details)
	if req, ok := linked.Required(method); ok {
		e.Required = req
	}
	return e
}

// linked reads the descriptors linked into the program; CheckReply fills
// Required from it.
var linked = NewCatalog(nil)
