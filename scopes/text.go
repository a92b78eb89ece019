package scopes

import (
	"strconv"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
)

// Bounds on the text an *Error prints. Everything that came from a server
// is hostile: a status may list hundreds of thousands of scopes or carry
// megabytes of description, so each piece and the whole are bounded.
const (
	maxErrorText = cleantext.MaxLine // all of Error(), in bytes
	maxText      = 512               // one server text (description, details) in Error()
	maxShortText = 256               // the method name, req_id, one list item
	maxListText  = 1024              // one printed list (missing scopes or endpoints)
)

// cleanWriter writes server text into b on one line, each piece bounded.
type cleanWriter struct {
	b *strings.Builder
}

// write writes s cleaned and cut at max bytes (see cleantext.Write).
func (w *cleanWriter) write(s string, max int) { cleantext.Write(w.b, s, max) }

// writeList writes items separated by spaces, each cut at maxShortText,
// leaving out those in skip (sorted), and stops before the list passes
// maxListText bytes, ending it with "… and N more".
func (w *cleanWriter) writeList(items, skip []string) {
	start := w.b.Len()
	first := true
	for i, s := range items {
		if contains(skip, s) {
			continue
		}
		if w.b.Len()-start+min(len(s), maxShortText) > maxListText {
			more := 0
			for _, s := range items[i:] {
				if !contains(skip, s) {
					more++
				}
			}
			w.b.WriteString(" … and ")
			w.b.WriteString(strconv.Itoa(more))
			w.b.WriteString(" more")
			return
		}
		if !first {
			w.b.WriteByte(' ')
		}
		first = false
		w.write(s, maxShortText)
	}
}

// contains reports whether sorted holds s.
func contains(sorted []string, s string) bool {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sorted[m] < s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(sorted) && sorted[lo] == s
}

// prefix returns s cut to at most n bytes.
func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
