package scopes

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

// tsvRow is one code of testdata/clarifai-status-codes.tsv, read here on
// its own so that the test does not trust the generator.
type tsvRow struct {
	number                 int32
	name, class, grpc      string
	deprecated, hasCurrent bool // hasCurrent: a current name shares the number
}

func readTSV(t *testing.T) []tsvRow {
	t.Helper()
	f, err := os.Open("testdata/clarifai-status-codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tsvRow
	current := map[int32]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 5 {
			t.Fatalf("bad line %q", line)
		}
		r := tsvRow{number: int32(n), name: f[1], deprecated: f[2] == "deprecated", class: f[3], grpc: f[4]}
		if !r.deprecated {
			current[r.number] = true
		}
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].hasCurrent = current[rows[i].number]
	}
	return rows
}

// TestEveryCode: each of the 429 names has the class and gRPC code the TSV
// gives it, through Code's methods and through checkReply on a reply.
func TestEveryCode(t *testing.T) {
	rows := readTSV(t)
	if len(rows) != 429 {
		t.Fatalf("the TSV lists %d codes, want 429", len(rows))
	}
	for _, r := range rows {
		c := Code(r.number)
		if got := c.class().String(); got != r.class {
			t.Errorf("%s: Class = %s, want %s", r.name, got, r.class)
		}
		if got := c.grpcCode().String(); got != r.grpc {
			t.Errorf("%s: grpcCode = %s, want %s", r.name, got, r.grpc)
		}
		if got := c.Failed(); got != (r.class == "failure") {
			t.Errorf("%s: Failed = %v", r.name, got)
		}
		// String gives the current name where a deprecated one shares it.
		if r.deprecated && r.hasCurrent {
			if got := c.String(); got == r.name {
				t.Errorf("%d: String = deprecated %s", r.number, got)
			}
		} else if got := c.String(); got != r.name {
			t.Errorf("%d: String = %s, want %s", r.number, got, r.name)
		}

		err := checkReply(postInputs, genReply(ct.StatusCode(r.number), "d", ""), nil)
		if r.class != "failure" {
			if err != nil {
				t.Errorf("%s: checkReply = %v, want nil", r.name, err)
			}
			continue
		}
		if got := status.Code(err); got.String() != r.grpc || err == nil {
			t.Errorf("%s: checkReply = %v with gRPC code %v, want %s", r.name, err, got, r.grpc)
		}
	}
}

func TestCodesOutsideTheTable(t *testing.T) {
	tests := []struct {
		code  Code
		name  string
		class codeClass
	}{
		{12345, "CODE_12345", classFailure},
		{-7, "CODE_-7", classFailure},
		{10001, "CODE_10001", classFailure}, // the invented code is gone
	}
	for _, tc := range tests {
		if got := tc.code.String(); got != tc.name {
			t.Errorf("Code(%d).String = %q, want %q", tc.code, got, tc.name)
		}
		if tc.code.class() != tc.class || tc.code.grpcCode() != codes.Unknown || !tc.code.Failed() {
			t.Errorf("Code(%d): %v %v %v", tc.code, tc.code.class(), tc.code.grpcCode(), tc.code.Failed())
		}
	}
	if got := codeClass(9).String(); got != "Class(9)" {
		t.Errorf("Class(9) = %q", got)
	}
}

// newerEnumReply builds, in a private registry, a Clarifai status whose enum
// has codes this package's table does not know, and a reply carrying it.
func newerEnumReply(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	val := func(name string, n int32) *descriptorpb.EnumValueDescriptorProto {
		return &descriptorpb.EnumValueDescriptorProto{Name: proto.String(name), Number: proto.Int32(n)}
	}
	field := func(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{
			Name: proto.String(name), Number: proto.Int32(n), JsonName: proto.String(name),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: typ.Enum(),
		}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("scopes_test/newer_status.proto"),
		Package: proto.String("clarifai.api.status"),
		Syntax:  proto.String("proto3"),
		EnumType: []*descriptorpb.EnumDescriptorProto{{
			Name: proto.String("StatusCode"),
			Value: []*descriptorpb.EnumValueDescriptorProto{
				val("ZERO", 0), val("SUCCESS", 10000),
				val("NEWER_EXPORT_SUCCESS", 77001), val("NEWER_EXPORT_PENDING", 77002),
				val("NEWER_EXPORT_IN_PROGRESS", 77003), val("NEWER_EXPORT_BROKE", 77004),
			},
		}},
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("Status"), Field: []*descriptorpb.FieldDescriptorProto{
				field("code", 1, descriptorpb.FieldDescriptorProto_TYPE_ENUM, ".clarifai.api.status.StatusCode"),
				field("description", 2, descriptorpb.FieldDescriptorProto_TYPE_STRING, ""),
			}},
			{Name: proto.String("NewerReply"), Field: []*descriptorpb.FieldDescriptorProto{
				field("status", 1, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".clarifai.api.status.Status"),
			}},
		},
	}
	fd, err := protodesc.NewFile(fdp, new(protoregistry.Files))
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().ByName("NewerReply")
}

// TestNewerCodesNamedByTheReply: a code newer than the table is read with
// the names of the reply's own enum, which is not in GlobalFiles.
func TestNewerCodesNamedByTheReply(t *testing.T) {
	md := newerEnumReply(t)
	reply := func(code int32) proto.Message {
		m := dynamicpb.NewMessage(md)
		sfd := md.Fields().ByName("status")
		st := dynamicpb.NewMessage(sfd.Message())
		st.Set(sfd.Message().Fields().ByName("code"), protoreflect.ValueOfEnum(protoreflect.EnumNumber(code)))
		m.Set(sfd, protoreflect.ValueOfMessage(st))
		return m
	}
	for _, tc := range []struct {
		code  int32
		name  string
		class codeClass
	}{
		{77001, "NEWER_EXPORT_SUCCESS", classOK},
		{77002, "NEWER_EXPORT_PENDING", classProgress},
		{77003, "NEWER_EXPORT_IN_PROGRESS", classProgress},
		{77004, "NEWER_EXPORT_BROKE", classFailure},
	} {
		err := checkReply("/x.Y/Z", reply(tc.code), nil)
		if (err != nil) != (tc.class == classFailure) {
			t.Errorf("%s: checkReply = %v", tc.name, err)
		}
		c := Code(tc.code)
		if c.String() != tc.name || c.class() != tc.class {
			t.Errorf("Code(%d) = %s, %v; want %s, %v", tc.code, c, c.class(), tc.name, tc.class)
		}
		if want := codes.OK; tc.class == classFailure {
			if got := status.Code(err); got != codes.Unknown {
				t.Errorf("%s: gRPC code %v, want Unknown", tc.name, got)
			}
		} else if got := c.grpcCode(); got != want {
			t.Errorf("%s: grpcCode = %v, want OK", tc.name, got)
		}
	}
}

// sentinelOf lists the codes each sentinel names.
var sentinelOf = []struct {
	codes    []Code
	sentinel error
}{
	{[]Code{10030}, ErrTryAgain},
	{[]Code{11001, 11002, 11008}, ErrKeyInvalid},
	{[]Code{11003, 11004, 11005, 11006}, ErrThrottled},
	{[]Code{11007}, ErrInsufficientScopes},
	{[]Code{11009}, ErrKeyNotFound},
	{[]Code{11200}, ErrAuthMethodDisabled},
	{[]Code{90500, 98004, 98021, 99001, 99009}, ErrInternal},
	{[]Code{0, 10000, 10010, 10020, 11000, 11100, 11101, 11102, 11103, 11104, 21107, 68000, 21200, 90400, 12345}, nil},
}

func TestSentinels(t *testing.T) {
	const method = "/clarifai.api.V2/PostInputs"
	for _, s := range sentinelOf {
		for _, c := range s.codes {
			e := &Error{Method: method, Code: c, Description: "desc", ReqID: "req-42"}
			for _, other := range sentinelOf {
				if other.sentinel == nil {
					continue
				}
				if got, want := errors.Is(e, other.sentinel), other.sentinel == s.sentinel; got != want {
					t.Errorf("%v: errors.Is(%v) = %v", c, other.sentinel, got)
				}
			}
			wrapped := fmt.Errorf("calling: %w", e)
			wantGRPC := c.grpcCode()
			if wantGRPC == codes.OK {
				wantGRPC = codes.Unknown
			}
			if got := status.Code(wrapped); got != wantGRPC {
				t.Errorf("%v: status.Code(wrapped) = %v, want %v", c, got, wantGRPC)
			}
			var got *Error
			if !errors.As(wrapped, &got) || got != e {
				t.Errorf("%v: errors.As(wrapped) did not find the *Error", c)
			}
			msg := e.Error()
			for _, want := range []string{method, c.String(), fmt.Sprint(int32(c)), "req-42", "desc"} {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q, missing %q", msg, want)
				}
			}
		}
	}
}

// TestFailedFastPathAllocs: SUCCESS is answered without the table, and no
// code's methods but String allocate.
func TestCodeMethodsDoNotAllocate(t *testing.T) {
	for _, c := range []Code{10000, 68000, 21200, 12345} {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = c.Failed(), c.class(), c.grpcCode() }); n != 0 {
			t.Errorf("Code(%d): %v allocations", c, n)
		}
	}
}

func TestAuthTypeString(t *testing.T) {
	for a, want := range map[AuthType]string{
		0: "undef", 1: "NoAuth", KeyAuth: "KeyAuth", SessionTokenAuth: "SessionTokenAuth",
		4: "AdminAuth", PATAuth: "PATAuth", 9: "AuthType(9)",
	} {
		if got := a.String(); got != want {
			t.Errorf("AuthType(%d).String() = %q, want %q", int32(a), got, want)
		}
	}
}
