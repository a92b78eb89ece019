package clarifaifake

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// writeStatus fills s, a clarifai.api.status.Status (or nil).
func writeStatus(s protoreflect.Message, st forcedStatus) {
	if s == nil {
		return
	}
	setEnum(s, "code", st.code)
	setString(s, "description", st.description)
	setString(s, "details", st.details)
}

// fillStatus gives resp the status st if its status has no code.
func fillStatus(resp protoreflect.Message, st forcedStatus) {
	if getEnum(getMessage(resp, "status"), "code") == 0 {
		writeStatus(mutableMessage(resp, "status"), st)
	}
}

// maxReplyItems bounds the items (outputs, echoed inputs) of a reply the
// server builds, so that a request of many small items cannot make it send
// a reply many times the request's size.
const maxReplyItems = 128

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
			n = min(inputs.Len(), maxReplyItems)
		}
		for i := range n {
			out := appendMessage(resp, "outputs")
			if out == nil {
				return
			}
			setString(out, "id", fmt.Sprintf("output-%d", i+1))
			writeStatus(mutableMessage(out, "status"), statusOf(wire.CodeSuccess))
			setString(mutableMessage(out, "model"), "id", modelID)
			if inputs != nil && i < inputs.Len() {
				copyMessage(out, "input", inputs.Get(i).Message())
			}
			concept := appendMessage(mutableMessage(out, "data"), "concepts")
			setString(concept, "id", "fake-concept")
			setString(concept, "name", "fake")
			setFloat(concept, "value", 0.99)
		}
	case "ListConcepts":
		concept := appendMessage(resp, "concepts")
		setString(concept, "id", "fake-concept")
		setString(concept, "name", "fake")
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
		// "me" is the user of the credential, when SetUser named one.
		if (userID == "" || userID == "me") && c != nil && c.userID != "" {
			userID = c.userID
		}
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
			raw, err := wire.OptionBytes(v.Options())
			if err != nil {
				continue
			}
			deps, err := wire.EnumList(raw, wire.OptScopeDependingScopes)
			if err != nil {
				continue
			}
			for _, d := range deps {
				appendStrings(dep, "depending_scopes", []string{r.scopeName(d)})
			}
		}
	case "ListStatusCodes":
		if r.codes == nil {
			return
		}
		vals := r.codes.Values()
		for i := range vals.Len() {
			v := vals.Get(i)
			if v.Number() == 0 {
				continue
			}
			writeStatus(appendMessage(resp, "statuses"), r.status(int32(v.Number())))
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
	for i := range min(in.Len(), maxReplyItems) {
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

func getEnum(m protoreflect.Message, name string) int32 {
	if fd := field(m, name); fd != nil && fd.Kind() == protoreflect.EnumKind && !fd.IsList() {
		return int32(m.Get(fd).Enum())
	}
	return 0
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

// status returns the status the server sends for code: its own description,
// or the code's enum name.
func (r *registry) status(code int32) forcedStatus {
	if d, ok := descriptions[code]; ok {
		return forcedStatus{code: code, description: d}
	}
	return forcedStatus{code: code, description: r.codeName(code)}
}
