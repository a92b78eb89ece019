package main

import (
	"fmt"
	"strings"

	"github.com/grpc-keyauth/clarifaiauth/internal/cleantext"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// Bounds on what keycheck prints of text it did not write itself.
const (
	// maxItems bounds each printed list; longer lists end with a
	// "… and N more" item.
	maxItems = 1000
	// maxText bounds each printed string, in bytes before escaping.
	maxText = 4096
)

// sanitizer makes text from outside keycheck (the server's scopes, endpoints
// and error texts, descriptor sets, file names) safe to print: the key's
// secret replaced by its redacted form, the size bounded, and every rune
// that could move the cursor, reorder or hide text escaped. The zero
// sanitizer escapes and bounds but knows no secret. It is used for the table
// and for JSON alike.
type sanitizer struct {
	secret, redacted string
}

// newSanitizer returns a sanitizer that scrubs k's secret.
func newSanitizer(k keysource.Key) sanitizer {
	if k.IsZero() {
		return sanitizer{}
	}
	return sanitizer{secret: k.Secret(), redacted: k.String()}
}

// text returns s on one line: the secret replaced by its redacted form and
// the rest escaped by cleantext.Escape (each rune strconv.IsPrint rejects,
// such as ESC, the bidi overrides U+202A–U+202E and U+2066–U+2069, line
// separators, newlines and non-ASCII spaces, and each byte of invalid UTF-8
// written as a Go escape), cut after maxText bytes.
func (z sanitizer) text(s string) string {
	// Escaping could, in theory, spell the secret anew: scrub again.
	return z.scrub(cleantext.Escape(z.scrub(s), maxText))
}

// lines is text for a message of several lines that keycheck composed
// itself: each line is made safe, and the newlines between them are kept.
// Outside text inside it must have gone through text already, so that it
// cannot add lines of its own.
func (z sanitizer) lines(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = z.text(p)
	}
	return strings.Join(parts, "\n")
}

// list returns the text of each item, at most maxItems of them; a longer
// list ends with an item "… and N more".
func (z sanitizer) list(items []string) []string {
	n := min(len(items), maxItems)
	out := make([]string, 0, n+1)
	for _, it := range items[:n] {
		out = append(out, z.text(it))
	}
	if len(items) > n {
		out = append(out, fmt.Sprintf("… and %d more", len(items)-n))
	}
	return out
}

// scrub replaces the secret by its redacted form (cleantext.ReplaceSecret,
// which also finds it with unprintable characters or white space between its
// bytes), outside the redacted forms already there: a short secret can be
// part of its own label (a session token "session" in "session-token(…)"),
// and text is scrubbed more than once on its way out.
func (z sanitizer) scrub(s string) string {
	if z.secret == "" {
		return s
	}
	parts := strings.Split(s, z.redacted)
	for i, p := range parts {
		parts[i] = cleantext.ReplaceSecret(p, z.secret, z.redacted)
	}
	return strings.Join(parts, z.redacted)
}
