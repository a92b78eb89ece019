// Command gencodes writes scopes/code_table.go, the table of every Clarifai
// status code, from scopes/testdata/clarifai-status-codes.tsv. It is run by
// `go generate ./scopes` from the scopes directory:
//
//	go run ./internal/gencodes [-in testdata/clarifai-status-codes.tsv] [-out code_table.go]
//
// The TSV has one code a line: number, name, "deprecated" or nothing, class
// (ok, progress, state or failure) and the gRPC code a failure carries; lines
// starting with '#' are comments. gencodes refuses a table it cannot trust:
// a malformed line, a repeated name, a class that disagrees with its gRPC
// code, or two names for one number that disagree or that are both current.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "testdata/clarifai-status-codes.tsv", "the TSV to read")
	out := flag.String("out", "code_table.go", "the Go file to write")
	flag.Parse()
	tsv, err := os.ReadFile(*in)
	if err != nil {
		fail(err)
	}
	src, err := generate(tsv, *in)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gencodes:", err)
	os.Exit(1)
}

// row is one line of the TSV.
type row struct {
	line       int
	number     int32
	name       string
	deprecated bool
	class      string
	grpc       string
}

// classes maps the TSV's class names to the scopes constants.
var classes = map[string]string{
	"ok":       "ClassOK",
	"progress": "ClassProgress",
	"state":    "ClassState",
	"failure":  "ClassFailure",
}

// grpcCodes are the names of google.golang.org/grpc/codes constants.
var grpcCodes = []string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
	"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
	"Unauthenticated",
}

// parse reads and checks the TSV.
func parse(tsv []byte) ([]row, error) {
	var (
		rows  []row
		names = map[string]int{}
	)
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("line %d: %d fields, want 5", n, len(f))
		}
		num, err := strconv.ParseInt(f[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: number: %w", n, err)
		}
		r := row{line: n, number: int32(num), name: f[1], deprecated: f[2] == "deprecated", class: f[3], grpc: f[4]}
		switch {
		case !isEnumName(r.name):
			return nil, fmt.Errorf("line %d: name %q is not an enum value name", n, r.name)
		case f[2] != "" && f[2] != "deprecated":
			return nil, fmt.Errorf("line %d: deprecated column %q", n, f[2])
		case classes[r.class] == "":
			return nil, fmt.Errorf("line %d: class %q", n, r.class)
		case !slices.Contains(grpcCodes, r.grpc):
			return nil, fmt.Errorf("line %d: gRPC code %q", n, r.grpc)
		case (r.class == "failure") == (r.grpc == "OK"):
			return nil, fmt.Errorf("line %d: class %s with gRPC code %s: only a failure carries a code other than OK", n, r.class, r.grpc)
		}
		if prev, ok := names[r.name]; ok {
			return nil, fmt.Errorf("line %d: %s already on line %d", n, r.name, prev)
		}
		names[r.name] = n
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no codes")
	}
	// By number; where names share a number the current one comes first,
	// then the TSV's order.
	slices.SortStableFunc(rows, func(a, b row) int {
		if a.number != b.number {
			return int(a.number) - int(b.number)
		}
		switch {
		case a.deprecated == b.deprecated:
			return 0
		case b.deprecated:
			return -1
		default:
			return 1
		}
	})
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if a.number != b.number {
			continue
		}
		if a.class != b.class || a.grpc != b.grpc {
			return nil, fmt.Errorf("lines %d and %d: %s and %s share %d but not their reading", a.line, b.line, a.name, b.name, a.number)
		}
		if !a.deprecated && !b.deprecated {
			return nil, fmt.Errorf("lines %d and %d: %s and %s share %d and neither is deprecated", a.line, b.line, a.name, b.name, a.number)
		}
	}
	return rows, nil
}

func isEnumName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// constName turns "CONN_KEY_INVALID" into "codeConnKeyInvalid".
func constName(name string) string {
	var b strings.Builder
	b.WriteString("code")
	for _, w := range strings.Split(name, "_") {
		if w == "" {
			continue
		}
		b.WriteString(w[:1])
		b.WriteString(strings.ToLower(w[1:]))
	}
	return b.String()
}

// generate returns the gofmt-ed source of code_table.go for tsv, read from
// the file named from (which the header names).
func generate(tsv []byte, from string) ([]byte, error) {
	rows, err := parse(tsv)
	if err != nil {
		return nil, err
	}
	consts := map[string]string{}
	for _, r := range rows {
		c := constName(r.name)
		if prev, ok := consts[c]; ok {
			return nil, fmt.Errorf("%s and %s both make the constant %s", prev, r.name, c)
		}
		consts[c] = r.name
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by scopes/internal/gencodes from %s; DO NOT EDIT.\n\n", from)
	b.WriteString("package scopes\n\n")
	b.WriteString("import \"google.golang.org/grpc/codes\"\n\n")
	fmt.Fprintf(&b, "// The %d names of Clarifai's status code enum, as constants for this\n", len(rows))
	b.WriteString("// package's own code. Deprecated names are marked; where one shares its\n")
	b.WriteString("// number with a current name, Code.String gives the current one.\n")
	b.WriteString("const (\n")
	for _, r := range rows {
		dep := ""
		if r.deprecated {
			dep = ", deprecated"
		}
		fmt.Fprintf(&b, "\t%s Code = %d // %s%s\n", constName(r.name), r.number, r.name, dep)
	}
	b.WriteString(")\n\n")

	b.WriteString("// codeTable holds every name of the enum sorted by number; where names\n")
	b.WriteString("// share a number the one not deprecated comes first.\n")
	fmt.Fprintf(&b, "var codeTable = [%d]codeInfo{\n", len(rows))
	for _, r := range rows {
		fmt.Fprintf(&b, "\t{%s, %q, %s, codes.%s, %t},\n", constName(r.name), r.name, classes[r.class], r.grpc, r.deprecated)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
