package scopes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// Error is a failed Clarifai call: an in-band status whose code is a
// failure (see [CheckReply]), a gRPC Unauthenticated or PermissionDenied
// error (see [FromError]), a failed MyScopes call (see [MyScopes]), or a call
// refused locally (see [Preflight]).
//
// Error is built only from server replies and from the method's
// descriptors; it never holds request metadata, so it carries no credential.
// Its methods accept odd input (nil receiver, empty fields, control
// characters in server text) without panicking.
type Error struct {
	// Method is the full gRPC method name, "/clarifai.api.V2/PostInputs".
	Method string
	// Code is the Clarifai status code.
	Code Code
	// Description, Details and ReqID are fields 2, 3 and 7 of the Clarifai
	// status, as the server sent them.
	Description, Details, ReqID string
	// Missing lists the scopes the key lacks, "Inputs:Add" spelling, sorted.
	Missing []string
	// MissingEndpoints lists endpoint scopes that would also allow the call,
	// full method names such as "/clarifai.api.V2/PostInputs", sorted.
	MissingEndpoints []string
	// Required is what the method needs, when the program's descriptors
	// know the method (see [Required]).
	Required Requirement
	// Local is true when the call was refused by [Preflight] and never sent.
	Local bool
	// Status is the original gRPC status when the Error was built from a
	// gRPC error by [FromError]; nil for in-band statuses.
	Status *status.Status
	// Reply is the message the failed status came in, exactly as received,
	// when the Error was built by [CheckReply]. Generated clients return a
	// nil reply with any error, so this is where a caller finds what the
	// server sent besides the status. Error() never prints it.
	Reply proto.Message

	err error // the original error, for Unwrap
}

// maxText bounds how much of one server-supplied text Error() prints.
const maxText = 512

// Error returns a one-line description:
//
//	clarifai: /clarifai.api.V2/PostInputs: CONN_INSUFFICIENT_SCOPES (11007): Insufficient scopes; missing scopes [Inputs:Add]; req_id abc
func (e *Error) Error() string {
	if e == nil {
		return "clarifai: <nil>"
	}
	var b strings.Builder
	b.WriteString("clarifai: ")
	if e.Method != "" {
		writeClean(&b, e.Method)
		b.WriteString(": ")
	}
	b.WriteString(e.Code.String())
	b.WriteString(" (")
	b.WriteString(strconv.FormatInt(int64(e.Code), 10))
	b.WriteString(")")
	if e.Description != "" {
		b.WriteString(": ")
		writeClean(&b, e.Description)
	}
	if e.Details != "" && e.Details != e.Description {
		b.WriteString(": ")
		writeClean(&b, e.Details)
	}
	if len(e.Missing) > 0 {
		b.WriteString("; missing scopes [")
		writeList(&b, e.Missing)
		b.WriteString("]")
	}
	if len(e.MissingEndpoints) > 0 {
		b.WriteString("; or endpoints [")
		writeList(&b, e.MissingEndpoints)
		b.WriteString("]")
	}
	if e.ReqID != "" {
		b.WriteString("; req_id ")
		writeClean(&b, e.ReqID)
	}
	return b.String()
}

// Format prints Error() for every verb, also when an Error value (not a
// pointer) is printed with %v or %+v: the fields are never dumped, so Reply,
// which may hold anything the server sent, is never printed by accident.
func (e Error) Format(f fmt.State, _ rune) { fmt.Fprint(f, (&e).Error()) }

func writeList(b *strings.Builder, list []string) {
	for i, s := range list {
		if i > 0 {
			b.WriteString(" ")
		}
		writeClean(b, s)
	}
}

// writeClean writes s on one line: control characters and invalid UTF-8
// become spaces or U+FFFD, and text past maxText bytes is cut with "…".
func writeClean(b *strings.Builder, s string) {
	n := 0
	for _, r := range s {
		if n >= maxText {
			b.WriteString("…")
			return
		}
		switch {
		case r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
		n += utf8.RuneLen(r)
	}
}

// Is reports whether target is the sentinel of e's code family (for
// example [ErrInsufficientScopes] for CONN_INSUFFICIENT_SCOPES).
func (e *Error) Is(target error) bool {
	if e == nil {
		return false
	}
	s := e.Code.sentinel()
	return s != nil && s == target
}

// Unwrap returns the gRPC error the Error was built from by [FromError],
// or nil.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.err
}

// GRPCStatus returns the original gRPC status when there is one, and
// otherwise a status with code e.Code.GRPCCode() and message e.Error(), so
// that status.Code and status.FromError work on e and on errors wrapping it.
// It never reports codes.OK: a code that is not a failure by itself (such as
// MIXED_STATUS, when a caller chose to treat it as one) reports Unknown.
func (e *Error) GRPCStatus() *status.Status {
	if e == nil {
		return status.New(codes.Unknown, "clarifai: <nil>")
	}
	if e.Status != nil {
		return e.Status
	}
	c := e.Code.GRPCCode()
	if c == codes.OK {
		c = codes.Unknown
	}
	return status.New(c, e.Error())
}

// FromError returns the *Error in err's chain, if there is one. Otherwise,
// when err is a gRPC status error (possibly wrapped) with code
// Unauthenticated or PermissionDenied, it builds an *Error from the status:
// PermissionDenied becomes CONN_INSUFFICIENT_SCOPES; Unauthenticated becomes
// CONN_KEY_NOT_FOUND when the message says the key was not found and
// CONN_KEY_INVALID otherwise. A clarifai.api.status.Status packed in the
// status details overrides these; missing scopes and endpoints are parsed from
// the message and the details' text as [ParseMissing] does. The built Error
// keeps the original status (GRPCStatus returns it) and unwraps to err.
// FromError returns (nil, false) for nil and for every other error.
func FromError(err error) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	// status.FromError rewrites the message of a wrapped status; keep the
	// server's own status.
	var gs interface{ GRPCStatus() *status.Status }
	if errors.As(err, &gs) {
		if s := gs.GRPCStatus(); s != nil {
			st = s
		}
	}
	switch st.Code() {
	case codes.PermissionDenied, codes.Unauthenticated:
	default:
		return nil, false
	}
	e = &Error{Status: st, err: err, Description: st.Message()}
	if st.Code() == codes.PermissionDenied {
		e.Code = CodeConnInsufficientScopes
	} else if strings.Contains(strings.ToLower(st.Message()), "not found") {
		e.Code = CodeConnKeyNotFound
	} else {
		e.Code = CodeConnKeyInvalid
	}
	texts := []string{st.Message()}
	for _, d := range st.Proto().GetDetails() {
		texts = append(texts, e.fromDetail(d)...)
	}
	e.Missing, e.MissingEndpoints = ParseMissing(strings.Join(texts, "\n"))
	return e, true
}

// fromDetail reads one status detail: a Clarifai status fills e's fields;
// any other message type the program knows contributes its string fields as
// text to parse for scopes.
func (e *Error) fromDetail(d *anypb.Any) []string {
	name := d.GetTypeUrl()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if protoreflect.FullName(name) == statusMessage {
		st := decodeStatus(d.GetValue())
		if st.has {
			e.Code = st.code
		}
		e.Description = firstNonEmpty(st.description, e.Description)
		e.Details = firstNonEmpty(st.details, e.Details)
		e.ReqID = firstNonEmpty(st.reqID, e.ReqID)
		return []string{st.description, st.details}
	}
	m, err := d.UnmarshalNew()
	if err != nil {
		return nil
	}
	var out []string
	collectStrings(m.ProtoReflect(), 0, &out)
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// collectStrings appends the string fields (and string map values) of m,
// descending at most a few levels.
func collectStrings(m protoreflect.Message, depth int, out *[]string) {
	if depth > 4 {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Kind() == protoreflect.StringKind {
					*out = append(*out, k.String()+" "+mv.String())
				}
				return true
			})
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					*out = append(*out, l.Get(i).String())
				case protoreflect.MessageKind, protoreflect.GroupKind:
					collectStrings(l.Get(i).Message(), depth+1, out)
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			*out = append(*out, v.String())
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			collectStrings(v.Message(), depth+1, out)
		}
		return true
	})
}

// wireStatus is a clarifai.api.status.Status decoded from bytes.
type wireStatus struct {
	has                         bool // field 1 was present
	code                        Code
	description, details, reqID string
}

// decodeStatus decodes the fields of clarifai.api.status.Status this package
// uses; malformed input yields what was read before the damage.
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

// Compile-time checks that the interfaces grpc and errors look for are met.
var (
	_ error                                    = (*Error)(nil)
	_ interface{ GRPCStatus() *status.Status } = (*Error)(nil)
)
