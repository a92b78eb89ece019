package scopes

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/msgcache"
	"github.com/grpc-keyauth/clarifaiauth/internal/protomsg"
	"github.com/grpc-keyauth/clarifaiauth/internal/replystatus"
	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// replyShape is what the reply check needs to know about one reply message type,
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
	if fd == nil || fd.IsList() || fd.IsMap() || fd.Message() == nil || fd.Message().FullName() != wire.StatusTypeName {
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
		return 0
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

func init() {
	replystatus.ReadCode = readCode
	replystatus.NewError = newReplyError
	replystatus.OK = func(code int32) bool { return Code(code).class() == classOK }
}

// readCode returns the code of reply's Clarifai status without allocating,
// and false when reply is no proto.Message or has no field "status" of type
// clarifai.api.status.Status. An unset status reads as 0, a failure.
func readCode(reply any) (int32, bool) {
	m, ok := protomsg.Reflect(reply)
	if !ok {
		return 0, false
	}
	sh := shapeOf(m.Descriptor())
	if sh.status == nil {
		return 0, false
	}
	// Get on an unset message field reads an empty status, code 0: the
	// common SUCCESS path needs no separate presence check.
	return int32(sh.readCode(m.Get(sh.status).Message())), true
}

// newReplyError returns the *Error for the status in reply, a message whose
// code readCode read: its code, description, details and req_id, the missing
// scopes parsed from its text, and Required when the program's descriptors
// know method.
func newReplyError(method string, reply any) error {
	m, ok := protomsg.Reflect(reply)
	if !ok {
		return nil
	}
	sh := shapeOf(m.Descriptor())
	if sh.status == nil {
		return nil
	}
	st := m.Get(sh.status).Message()
	e := &Error{Method: method, Code: sh.readCode(st)}
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

// checkReply is replystatus.Check with nil meaning Code.Failed.
func checkReply(method string, reply any, failed func(Code) bool) error {
	if failed == nil {
		failed = Code.Failed
	}
	return replystatus.Check(method, reply, failed)
}

// linked reads the descriptors linked into the program; newReplyError fills
// Required from it.
var linked = NewCatalog(nil)
