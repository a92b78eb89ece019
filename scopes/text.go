package scopes

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on the text an *Error prints. Everything that came from a server
// is hostile: a status may list hundreds of thousands of scopes or carry
// megabytes of description, so each piece and the whole are bounded.
const (
	maxErrorText = 4096 // all of Error(), in bytes
	maxText      = 512  // one server text (description, details) in Error()
	maxShortText = 256  // the method name, req_id, one list item
	maxListText  = 1024 // one printed list (missing scopes or endpoints)
)

// cleanWriter writes server text into b on one line, each piece bounded.
type cleanWriter struct {
	b *strings.Builder
}

// isUnprintable reports whether r must not reach a terminal or a log line
// as it is: control characters (Cc), format characters (Cf: zero-width and
// bidirectional controls such as U+202E and U+2066-U+2069 that reorder what
// a reader sees), line and paragraph separators (U+2028, U+2029).
func isUnprintable(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp)
}

// write writes s cleaned: unprintable characters become spaces and invalid
// UTF-8 becomes U+FFFD. It stops before writing more than max bytes and
// then ends with "…" (which may take the output up to max+3 bytes).
func (w *cleanWriter) write(s string, max int) {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		rep := "" // what is written instead of the rune; "" keeps it
		switch {
		case r == utf8.RuneError && size == 1:
			rep = "\uFFFD"
		case isUnprintable(r):
			rep = " "
		}
		out := size
		if rep != "" {
			out = len(rep)
		}
		if n+out > max {
			w.b.WriteString("…")
			return
		}
		if rep != "" {
			w.b.WriteString(rep)
		} else {
			w.b.WriteString(s[i : i+size])
		}
		n += out
		i += size
	}
}

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
