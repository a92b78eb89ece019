package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// failure ends a run: what went wrong and the exit status it gives.
type failure struct {
	code int
	// msg is keycheck's own text; outside text in it has been escaped
	// (sanitizer.text). It may span lines.
	msg string
	// usage adds a pointer to -h in text mode.
	usage bool
	// z scrubs the key, once one was read.
	z sanitizer
}

func (f *failure) Error() string { return f.msg }

// failf is a failure with exit status code.
func failf(code int, format string, args ...any) *failure {
	return &failure{code: code, msg: fmt.Sprintf(format, args...)}
}

// usagef is a usage error (exit status 2).
func usagef(format string, args ...any) *failure {
	return &failure{code: exitError, msg: fmt.Sprintf(format, args...), usage: true}
}

// jsonFailure is what -json prints on stdout for a failure.
type jsonFailure struct {
	Error string `json:"error"`
	Exit  int    `json:"exit"`
}

// writeFailure reports f, as JSON on stdout with -json and as text on stderr
// otherwise, and returns its exit status. The message goes through f.z once
// more, so that nothing unescaped or secret reaches the terminal even if a
// caller forgot.
func writeFailure(f *failure, asJSON bool, stdout, stderr io.Writer) int {
	msg := f.z.lines(f.msg)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(jsonFailure{Error: msg, Exit: f.code}); err != nil {
			fmt.Fprintf(stderr, "keycheck: %s\n", msg)
		}
		return f.code
	}
	fmt.Fprintf(stderr, "keycheck: %s\n", strings.TrimRight(msg, "\n"))
	if f.usage {
		fmt.Fprintln(stderr, "keycheck: see keycheck -h")
	}
	return f.code
}
