package scopes

//go:generate go run ./internal/gencodes -in testdata/clarifai-status-codes.tsv -out code_table.go

import (
	"strconv"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

// Code is a Clarifai status code (clarifai.api.status.StatusCode), a plain
// number so that it holds codes newer than this package and converts from the
// generated enum: scopes.Code(statuspb.StatusCode_MODEL_BUILDING). Its methods
// read a table of the enum generated from testdata/clarifai-status-codes.tsv.
type Code int32

// codeClass is how a status code reads when it is a reply's status: whether
// the request failed, and if not, whether it is done.
type codeClass uint8

// The classes of status codes, as the TSV names them.
const (
	classFailure  codeClass = iota // the request failed; the zero class
	classOK                        // it succeeded (SUCCESS, MIXED_STATUS, ACCEPTED, *_SUCCESS, *_DONE)
	classProgress                  // it was taken and work goes on (*_PENDING, *_IN_PROGRESS, …)
	classState                     // a resource's state, not a failure (MODEL_TRAINED, …)
)

// String returns "failure", "ok", "progress" or "state", or "Class(<n>)".
func (c codeClass) String() string {
	switch c {
	case classFailure:
		return "failure"
	case classOK:
		return "ok"
	case classProgress:
		return "progress"
	case classState:
		return "state"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// codeInfo is one row of the generated codeTable.
type codeInfo struct {
	code       Code
	name       string
	class      codeClass
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

// String returns the Clarifai name of c, such as "CONN_INSUFFICIENT_SCOPES"
// (the current name where a deprecated one shares the number), the name in
// the program's copy of Clarifai's enum for a code newer than the table, or
// "CODE_<n>".
func (c Code) String() string {
	if ci, ok := lookup(c); ok {
		return ci.name
	}
	if name := enumName(c); name != "" {
		return name
	}
	return "CODE_" + strconv.FormatInt(int64(c), 10)
}

// class returns how c reads as a reply's status: the table's class, or for
// a newer code the class its name in the program's enum implies (see
// classOfName).
func (c Code) class() codeClass {
	if ci, ok := lookup(c); ok {
		return ci.class
	}
	return classOfName(enumName(c))
}

// classOfName applies the rule for codes newer than the table: a name ending
// in _SUCCESS is ok, in _PENDING or _IN_PROGRESS progress, any other (or no
// name) a failure.
func classOfName(name string) codeClass {
	switch {
	case strings.HasSuffix(name, "_SUCCESS"):
		return classOK
	case strings.HasSuffix(name, "_PENDING"), strings.HasSuffix(name, "_IN_PROGRESS"):
		return classProgress
	}
	return classFailure
}

// Failed reports whether c means the request failed. Progress and state
// codes (MODEL_BUILDING, MODEL_TRAINED) and MIXED_STATUS are not failures;
// 0, a reply without a status, is.
func (c Code) Failed() bool {
	if c == wire.CodeSuccess {
		return false
	}
	return c.class() == classFailure
}

// grpcCode returns the gRPC code of c: codes.OK for every class but
// failure, the table's code for a failure, and codes.Unknown for a failure
// the table does not hold.
func (c Code) grpcCode() codes.Code {
	if ci, ok := lookup(c); ok {
		return ci.grpc
	}
	if c.class() != classFailure {
		return codes.OK
	}
	return codes.Unknown
}

// statusCodeEnum is the full name of Clarifai's status code enum.
const statusCodeEnum protoreflect.FullName = "clarifai.api.status.StatusCode"

// maxStatusEnums bounds how many distinct status enum descriptors
// (versions of Clarifai's protos in one program) are remembered.
const maxStatusEnums = 8

// statusEnums holds the status enums of the reply types the reply check has
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
