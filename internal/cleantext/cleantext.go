// Package cleantext is the module's one cleaner of text from outside (server
// messages, file contents, ids): it makes it safe to print on one bounded
// line with nothing that could reorder or hide what a reader sees, and cuts
// a secret out of it. Each function is one policy:
//
//   - String (and Write) for prose: unprintable characters become spaces;
//   - Escape for text shown as it is: they become Go escapes;
//   - Token for identifiers: only printable ASCII is kept;
//   - Clip only bounds text a caller quotes afterwards (%q, slog);
//   - ReplaceSecret and ContainsSecret find a secret even with unprintable
//     characters or white space between its bytes.
package cleantext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine bounds a whole line of server text in an error, in bytes.
const MaxLine = 4096

// unprintable reports whether r must not reach a terminal or a log line
// as it is: control characters (Cc), format characters (Cf: zero-width and
// bidirectional controls such as U+202E and U+2066-U+2069 that reorder what
// a reader sees), line and paragraph separators (U+2028, U+2029).
func unprintable(r rune) bool {
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
		case unprintable(r):
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

// Escape returns s on one line with every rune strconv.IsPrint rejects
// (controls, format and bidi characters, line separators, non-ASCII spaces)
// written as a Go escape (\x1b, \u202e) and each byte of invalid UTF-8 as
// \xNN. Past max bytes of s it stops at a rune boundary and ends with
// "… (N bytes more)".
func Escape(s string, max int) string {
	var tail string
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		tail = "… (" + strconv.Itoa(len(s)-cut) + " bytes more)"
		s = s[:cut]
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String() + tail
}

// Token returns s with every byte outside printable ASCII (0x21 to 0x7e)
// left out, cut at max bytes: for an identifier such as a req_id. It
// returns s itself, without allocating, when s needs neither.
func Token(s string, max int) string {
	ok := len(s) <= max
	for i := 0; ok && i < len(s); i++ {
		ok = tokenByte(s[i])
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for i := 0; i < len(s) && b.Len() < max; i++ {
		if tokenByte(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func tokenByte(c byte) bool { return c > ' ' && c < 0x7f }

// Clip returns s cut to at most max bytes at a rune boundary and ended with
// "…", or s when it is short enough. It only bounds: for text the caller
// quotes afterwards (%q, strconv.Quote, a slog attribute).
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

// clean reports whether s is valid UTF-8 without unprintable characters.
func clean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unprintable(r) {
			return false
		}
	}
	return true
}

// ReplaceSecret returns s with every occurrence of secret replaced by
// repl, where an occurrence may have white space, unprintable characters
// (see String) and invalid UTF-8 between its bytes: cleaning turns
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
		if r == utf8.RuneError && size == 1 || unprintable(r) || unicode.IsSpace(r) {
			p += size
			continue
		}
		return 0, false
	}
	return p, true
}
