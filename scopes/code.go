package scopes

//go:generate go run ./internal/gencodes -in testdata/clarifai-status-codes.tsv -out code_table.go

import (
	"strconv"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Code is a Clarifai status code: the value of field 1 of
// clarifai.api.status.Status (enum clarifai.api.status.StatusCode).
//
// Code is a plain number, so it holds codes added to the API after this
// package was written, and converts from the enum of Clarifai's generated
// client: scopes.Code(statuspb.StatusCode_MODEL_BUILDING). Its methods know
// every code of Clarifai's enum as of version 12.4.0 of its clients (a
// table generated from testdata/clarifai-status-codes.tsv). They are safe
// for concurrent use.
type Code int32

// Class is how a status code reads when it is a reply's status: whether the
// request failed, and if not, whether it is done.
type Class uint8

// The classes of status codes. The zero Class is ClassFailure.
const (
	// ClassFailure: the request failed. It is the only class [CheckReply]
	// turns into an error.
	ClassFailure Class = iota
	// ClassOK: the request succeeded (SUCCESS; MIXED_STATUS, where some
	// items failed and the reply holds results to inspect; ACCEPTED;
	// *_SUCCESS and *_DONE).
	ClassOK
	// ClassProgress: the request was taken and work goes on (*_PENDING,
	// *_IN_PROGRESS, *_QUEUED, *_UPLOADING, *_BUILDING, UPLOAD_IN_PROGRESS
	// on each chunk of an upload stream, …).
	ClassProgress
	// ClassState: a resource's lifecycle state that is not a failure of the
	// request (MODEL_TRAINED, WORKER_ACTIVE, JOB_PAUSED, …).
	ClassState
)

// String returns "failure", "ok", "progress" or "state", the class names of
// the status code table, or "Class(<n>)".
func (c Class) String() string {
	switch c {
	case ClassFailure:
		return "failure"
	case ClassOK:
		return "ok"
	case ClassProgress:
		return "progress"
	case ClassState:
		return "state"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// codeInfo is one row of the generated codeTable.
type codeInfo struct {
	code       Code
	name       string
	class      Class
	grpc       codes.Code
	deprecated bool
}

// lookup returns the table's row for c, the current name where several
// share the number, by binary search.
func lookup(c Code) (*codeInfo, bool) {
	lo, hi := 0, len(codeTable)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if codeTable[m].code < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(codeTable) && codeTable[lo].code == c {
		return &codeTable[lo], true
	}
	return nil, false
}

// String returns the Clarifai name of c, such as "CONN_INSUFFICIENT_SCOPES".
// Where a current and a deprecated name share a number (INPUT_SUCCESS and
// INPUT_DOWNLOAD_SUCCESS are both 30000) it returns the current one. For a
// number the table does not hold it returns the name of that number in
// Clarifai's status enum when the program knows one (see [Code.Class]), and
// otherwise "CODE_<n>".
func (c Code) String() string {
	if ci, ok := lookup(c); ok {
		return ci.name
	}
	if name := enumName(c); name != "" {
		return name
	}
	return "CODE_" + strconv.FormatInt(int64(c), 10)
}

// Class returns how c reads as a reply's status, as the table gives it.
//
// A number the table does not hold (a code newer than this package) is a
// failure, unless the program knows its name and the name ends in _SUCCESS
// (ClassOK), _PENDING or _IN_PROGRESS (ClassProgress). The names come from
// Clarifai's status enum (clarifai.api.status.StatusCode) in the descriptors
// of the replies [CheckReply] has read, and in protoregistry.GlobalFiles
// when Clarifai's client is linked.
func (c Code) Class() Class {
	if ci, ok := lookup(c); ok {
		return ci.class
	}
	return classOfName(enumName(c))
}

// classOfName applies the rule for codes newer than the table.
func classOfName(name string) Class {
	switch {
	case strings.HasSuffix(name, "_SUCCESS"):
		return ClassOK
	case strings.HasSuffix(name, "_PENDING"), strings.HasSuffix(name, "_IN_PROGRESS"):
		return ClassProgress
	}
	return ClassFailure
}

// Failed reports whether c is a failure (c.Class() == ClassFailure): the
// request did not do what was asked. Progress and state codes are not
// failures; neither is MIXED_STATUS, whose reply holds results (and
// per-item statuses) to inspect. 0 (the reply carried no status) is a
// failure. SUCCESS is answered without a table lookup.
func (c Code) Failed() bool {
	if c == codeSuccess {
		return false
	}
	return c.Class() == ClassFailure
}

// GRPCCode returns the gRPC code of c: codes.OK for every class but
// failure, and for a failure the code of the table (summarised in the
// package documentation). A failure the table does not hold is
// codes.Unknown.
func (c Code) GRPCCode() codes.Code {
	if ci, ok := lookup(c); ok {
		return ci.grpc
	}
	if c.Class() != ClassFailure {
		return codes.OK
	}
	return codes.Unknown
}

// statusCodeEnum is the full name of Clarifai's status code enum.
const statusCodeEnum protoreflect.FullName = "clarifai.api.status.StatusCode"

// maxStatusEnums bounds how many distinct status enum descriptors
// (versions of Clarifai's protos in one program) are remembered.
const maxStatusEnums = 8

// statusEnums holds the status enums of the reply types CheckReply has
// resolved. It is written under replyShapesMu, once per reply type, and read
// without a lock.
var statusEnums atomic.Pointer[[]protoreflect.EnumDescriptor]

// rememberStatusEnum adds ed to statusEnums. replyShapesMu is held.
func rememberStatusEnum(ed protoreflect.EnumDescriptor) {
	if ed == nil || ed.FullName() != statusCodeEnum {
		return
	}
	var list []protoreflect.EnumDescriptor
	if p := statusEnums.Load(); p != nil {
		list = *p
	}
	for _, have := range list {
		if have == ed {
			return
		}
	}
	if len(list) >= maxStatusEnums {
		return
	}
	next := append(list[:len(list):len(list)], ed)
	statusEnums.Store(&next)
}

// enumName returns the name of c in a status enum the program knows, or "".
func enumName(c Code) string {
	if p := statusEnums.Load(); p != nil {
		for _, ed := range *p {
			if v := ed.Values().ByNumber(protoreflect.EnumNumber(c)); v != nil {
				return string(v.Name())
			}
		}
	}
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(statusCodeEnum); err == nil {
		if ed, ok := d.(protoreflect.EnumDescriptor); ok {
			if v := ed.Values().ByNumber(protoreflect.EnumNumber(c)); v != nil {
				return string(v.Name())
			}
		}
	}
	return ""
}
