package scopes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/grpc-keyauth/clarifaiauth/internal/scopename"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Error is a failed Clarifai call: a failed in-band status, a server's gRPC
// Unauthenticated or PermissionDenied error (see [FromError]), or a call the
// client refused before sending it (Local). Its text comes only from its
// exported fields, so a caller that rewrites them controls all it shows;
// it holds no request metadata (docs/scopes.md says how the key is kept out).
type Error struct {
	// Method is the full gRPC method name, "/clarifai.api.V2/PostInputs".
	Method string
	// Code is the Clarifai status code.
	Code Code
	// Description, Details and ReqID are fields 2, 3 and 7 of the Clarifai
	// status, as the server sent them; text decoded from bytes (status
	// details, a MyScopes reply) is cut at 64 KiB.
	Description, Details, ReqID string
	// Missing lists the scopes the key lacks, "Inputs:Add" spelling, sorted.
	Missing []string
	// MissingEndpoints lists endpoint scopes that would also allow the call,
	// full method names such as "/clarifai.api.V2/PostInputs", sorted.
	MissingEndpoints []string
	// Required is what the method needs, when the program's descriptors
	// know the method (see [Catalog.Required]).
	Required Requirement
	// Local is true when the call was refused by the client and never sent.
	Local bool
	// Status is the original gRPC status when the Error was built from a
	// gRPC error by [FromError]; nil for in-band statuses.
	Status *status.Status

	err error // the original error, for Unwrap
}

// Error returns one line of at most a few KiB, server text cleaned and cut:
//
//	clarifai: /clarifai.api.V2/PostInputs: CONN_INSUFFICIENT_SCOPES (11007): Insufficient scopes; missing scopes [Inputs:Add]; req_id abc
func (e *Error) Error() string {
	if e == nil {
		return "clarifai: <nil>"
	}
	var b strings.Builder
	b.Grow(256)
	w := cleanWriter{b: &b}
	b.WriteString("clarifai: ")
	if e.Method != "" {
		w.write(e.Method, maxShortText)
		b.WriteString(": ")
	}
	w.write(e.Code.String(), maxShortText)
	b.WriteString(" (")
	b.WriteString(strconv.FormatInt(int64(e.Code), 10))
	b.WriteString(")")
	text := b.Len()
	if e.Description != "" {
		b.WriteString(": ")
		w.write(e.Description, maxText)
	}
	if e.Details != "" && e.Details != e.Description {
		b.WriteString(": ")
		w.write(e.Details, maxText)
	}
	if len(e.Missing) > 0 || len(e.MissingEndpoints) > 0 {
		// State each missing scope once: the server's text usually lists
		// them already.
		said, saidEndpoints := scopename.ParseMissing(b.String()[text:])
		if anyNotIn(e.Missing, said) {
			b.WriteString("; missing scopes [")
			w.writeList(e.Missing, said)
			b.WriteString("]")
		}
		if anyNotIn(e.MissingEndpoints, saidEndpoints) {
			b.WriteString("; or endpoints [")
			w.writeList(e.MissingEndpoints, saidEndpoints)
			b.WriteString("]")
		}
	}
	if e.ReqID != "" {
		b.WriteString("; req_id ")
		w.write(e.ReqID, maxShortText)
	}
	return b.String()
}

// anyNotIn reports whether items holds a string that sorted does not.
func anyNotIn(items, sorted []string) bool {
	for _, s := range items {
		if !contains(sorted, s) {
			return true
		}
	}
	return false
}

// Format prints Error() for every verb, also when an Error value (not a
// pointer) is printed with %v or %+v: the fields are never dumped, so Reply,
// which may hold anything the server sent, is never printed by accident.
func (e Error) Format(f fmt.State, _ rune) { fmt.Fprint(f, (&e).Error()) }

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
// otherwise a status with code e.Code.grpcCode() and message e.Error(), so
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
	c := e.Code.grpcCode()
	if c == codes.OK {
		c = codes.Unknown
	}
	return status.New(c, e.Error())
}

// FromError returns the *Error in err's chain, or one built from a server's
// gRPC Unauthenticated (CONN_KEY_NOT_FOUND or CONN_KEY_INVALID) or
// PermissionDenied (CONN_INSUFFICIENT_SCOPES) error, a Clarifai status in its
// details overriding the code. It returns false for other errors and for
// errors the client made itself, which say nothing of the key.
func FromError(err error) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	if isLocal(err) {
		return nil, false
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
		e.Code = wire.CodeInsufficientScopes
	} else if strings.Contains(strings.ToLower(prefix(st.Message(), scopename.MaxParseText)), "not found") {
		e.Code = wire.CodeKeyNotFound
	} else {
		e.Code = wire.CodeKeyInvalid
	}
	texts := &textBudget{left: scopename.MaxParseText}
	texts.add(st.Message())
	details := st.Proto().GetDetails()
	if cs, ok := wire.DetailStatus(details); ok {
		e.Code = Code(cs.Code)
		e.Description = firstNonEmpty(cs.Description, e.Description)
		e.Details, e.ReqID = cs.Details, cs.ReqID
		texts.add(cs.Description)
		texts.add(cs.Details)
	}
	for i, d := range details {
		if i >= wire.MaxDetails {
			break
		}
		collectDetail(d, texts)
	}
	e.Missing, e.MissingEndpoints = scopename.ParseMissing(texts.list...)
	return e, true
}

// isLocal reports whether the client made err itself. This module marks its
// own errors with a type (see internal/localerr): err's chain holds an error
// with a method Local() bool that returns true.
//
// gRPC's refusals to run a per-RPC credential carry no such mark: grpc-go's
// transport (internal/transport/http2_client.go) builds them as new statuses
// with status.Error(f), dropping the credential's error and setting no
// details, so their text is all there is to tell them from a server's
// answer. isLocal matches the two texts it uses with code Unauthenticated,
// in full, and nothing else.
func isLocal(err error) bool {
	var l interface{ Local() bool }
	if errors.As(err, &l) && l.Local() {
		return true
	}
	st := status.Convert(err)
	if st.Code() != codes.Unauthenticated || len(st.Details()) > 0 {
		return false
	}
	msg := st.Message()
	return msg == grpcInsecureCreds || strings.HasPrefix(msg, grpcCredsFailed)
}

// The texts of grpc-go's Unauthenticated refusals to run a per-RPC
// credential: one that requires transport security on a connection without
// it, and one whose GetRequestMetadata returned an error that is not a
// status (which follows the prefix).
const (
	grpcInsecureCreds = "transport: cannot send secure credentials on an insecure connection"
	grpcCredsFailed   = "transport: per-RPC creds failed due to error: "
)

// textBudget collects texts to parse, up to a total number of bytes.
type textBudget struct {
	list []string
	left int
}

func (t *textBudget) add(s string) {
	if t.left <= 0 || s == "" {
		return
	}
	if len(s) > t.left {
		s = s[:t.left]
	}
	t.list = append(t.list, s)
	t.left -= len(s) + 1
}

// collectDetail adds the string fields of d, when its message type is
// one the program knows and not a Clarifai status, to texts.
func collectDetail(d *anypb.Any, texts *textBudget) {
	if wire.IsStatusURL(d.GetTypeUrl()) {
		return
	}
	m, err := d.UnmarshalNew()
	if err != nil {
		return
	}
	collectStrings(m.ProtoReflect(), 0, texts)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// collectStrings adds the string fields (and string map entries) of m to
// texts, descending at most a few levels, until the budget is spent.
func collectStrings(m protoreflect.Message, depth int, texts *textBudget) {
	if depth > 4 {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Kind() == protoreflect.StringKind {
					texts.add(k.String())
					texts.add(mv.String())
				}
				return texts.left > 0
			})
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && texts.left > 0; i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					texts.add(l.Get(i).String())
				case protoreflect.MessageKind, protoreflect.GroupKind:
					collectStrings(l.Get(i).Message(), depth+1, texts)
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			texts.add(v.String())
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			collectStrings(v.Message(), depth+1, texts)
		}
		return texts.left > 0
	})
}

// Compile-time checks that the interfaces grpc and errors look for are met.
var (
	_ error                                    = (*Error)(nil)
	_ interface{ GRPCStatus() *status.Status } = (*Error)(nil)
)
