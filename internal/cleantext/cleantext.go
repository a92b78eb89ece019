// Package cleantext makes text from outside (server messages, file
// contents) safe to print: one line, bounded, with nothing that could
// reorder or hide what a reader sees.
package cleantext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine bounds a whole line of server text in an error, in bytes.
const MaxLine = 4096

// IsUnprintable reports whether r must not reach a terminal or a log line
// as it is: control characters (Cc), format characters (Cf: zero-width and
// bidirectional controls such as U+202E and U+2066-U+2069 that reorder what
// a reader sees), line and paragraph separators (U+2028, U+2029).
func IsUnprintable(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp)
}

// Write writes s to b cleaned: unprintable characters become spaces and
// invalid UTF-8 becomes U+FFFD. It stops before writing more than max bytes
// and then ends with "…" (which may take the output up to max+3 bytes).
func Write(b *strings.Builder, s string, max int) {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		rep := "" // what is written instead of the rune; "" keeps it
		switch {
		case r == utf8.RuneError && size == 1:
			rep = "\uFFFD"
		case IsUnprintable(r):
			rep = " "
		}
		out := size
		if rep != "" {
			out = len(rep)
		}
		if n+out > max {
			b.WriteString("…")
			return
		}
		if rep != "" {
			b.WriteString(rep)
		} else {
			b.WriteString(s[i : i+size])
		}
		n += out
		i += size
	}
}

// String returns s cleaned and cut as Write does; s itself when it needs
// neither.
func String(s string, max int) string {
	if len(s) <= max && clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max) + 3)
	Write(&b, s, max)
	return b.String()
}

// clean reports whether s is valid UTF-8 without unprintable characters.
func clean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || IsUnprintable(r) {
			return false
		}
	}
	return true
}

// ReplaceSecret returns s with every occurrence of secret replaced by
// repl, where an occurrence may have white space, unprintable characters
// (see IsUnprintable) and invalid UTF-8 between its bytes: cleaning turns
// those into spaces or U+FFFD, which would leave the secret readable.
func ReplaceSecret(s, secret, repl string) string {
	if secret == "" {
		return s
	}
	var b strings.Builder
	last := 0 // s[last:] is not yet written
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], secret[0])
		if j < 0 {
			break
		}
		i += j
		end, ok := matchAt(s, i, secret)
		if !ok {
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(repl)
		i, last = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// ContainsSecret reports whether ReplaceSecret would replace anything.
func ContainsSecret(s, secret string) bool {
	if secret == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(s[i:], secret[0])
		if j < 0 {
			return false
		}
		i += j
		if _, ok := matchAt(s, i, secret); ok {
			return true
		}
	}
	return false
}

// matchAt reports whether secret starts at s[i], ignorable characters
// between its bytes skipped, and where the match ends.
func matchAt(s string, i int, secret string) (end int, ok bool) {
	p := i
	for j := 0; j < len(secret); {
		if p >= len(s) {
			return 0, false
		}
		if s[p] == secret[j] {
			p++
			j++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[p:])
		if r == utf8.RuneError && size == 1 || IsUnprintable(r) || unicode.IsSpace(r) {
			p += size
			continue
		}
		return 0, false
	}
	return p, true
}
