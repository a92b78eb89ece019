package interceptor

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/msgcache"
	"github.com/grpc-keyauth/clarifaiauth/internal/protomsg"
)

// userAppIDSet is the full name of the message naming the app a request is for.
const userAppIDSet protoreflect.FullName = "clarifai.api.UserAppIDSet"

// requestShapes caches *requestShape by request message descriptor.
var requestShapes = msgcache.New(resolveRequestShape)

// requestShape is where one request message type keeps its user_app_id.
type requestShape struct {
	md            protoreflect.MessageDescriptor // the request type
	path          []protoreflect.FieldDescriptor // from the request down to the UserAppIDSet; nil: none
	userID, appID protoreflect.FieldDescriptor   // string fields of the UserAppIDSet, or nil
}

// userApp returns the user_id and app_id of the app req names, or "" when
// it names none: the first top-level field of type clarifai.api.UserAppIDSet,
// whatever its number, or the one inside the upload_config of an upload
// stream's first message.
func userApp(req any) (userID, appID string) {
	m, ok := protomsg.Reflect(req)
	if !ok {
		return "", ""
	}
	sh := shapeOf(m.Descriptor())
	if sh.path == nil {
		return "", ""
	}
	for _, fd := range sh.path {
		if !m.Has(fd) {
			return "", ""
		}
		m = m.Get(fd).Message()
	}
	return readString(m, sh.userID), readString(m, sh.appID)
}

// shapeOf returns where messages of type md keep their user_app_id.
func shapeOf(md protoreflect.MessageDescriptor) *requestShape { return requestShapes.Get(md) }

func resolveRequestShape(md protoreflect.MessageDescriptor) *requestShape {
	sh := &requestShape{md: md}
	if fd := appField(md); fd != nil {
		sh.path = []protoreflect.FieldDescriptor{fd}
	} else if cfg := md.Fields().ByName("upload_config"); singularMessage(cfg) {
		if fd := appField(cfg.Message()); fd != nil {
			sh.path = []protoreflect.FieldDescriptor{cfg, fd}
		}
	}
	if sh.path == nil {
		return sh
	}
	set := sh.path[len(sh.path)-1].Message().Fields()
	str := func(name protoreflect.Name) protoreflect.FieldDescriptor {
		if f := set.ByName(name); f != nil && f.Cardinality() != protoreflect.Repeated && f.Kind() == protoreflect.StringKind {
			return f
		}
		return nil
	}
	sh.userID, sh.appID = str("user_id"), str("app_id")
	return sh
}

// appField returns md's first field, by number, of type UserAppIDSet.
func appField(md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	var best protoreflect.FieldDescriptor
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if singularMessage(fd) && fd.Message().FullName() == userAppIDSet && (best == nil || fd.Number() < best.Number()) {
			best = fd
		}
	}
	return best
}

func singularMessage(fd protoreflect.FieldDescriptor) bool {
	return fd != nil && fd.Cardinality() != protoreflect.Repeated && fd.Message() != nil
}

func readString(m protoreflect.Message, fd protoreflect.FieldDescriptor) string {
	if fd == nil {
		return ""
	}
	return m.Get(fd).String()
}
