package cleantext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestReplaceSecret(t *testing.T) {
	for _, tt := range []struct{ s, secret, want string }{
		{"key abc123 end", "abc123", "key [r] end"},
		{"a\u200bbc\x00123", "abc123", "[r]"},
		{"ab c\u2028 1\xff23!", "abc123", "[r]!"},
		{"abc12", "abc123", "abc12"},
		{"aabc123abc123", "abc123", "a[r][r]"},
		{"no secret", "", "no secret"},
	} {
		if got := ReplaceSecret(tt.s, tt.secret, "[r]"); got != tt.want {
			t.Errorf("ReplaceSecret(%q, %q) = %q, want %q", tt.s, tt.secret, got, tt.want)
		}
		if got, want := ContainsSecret(tt.s, tt.secret), tt.want != tt.s; got != want {
			t.Errorf("ContainsSecret(%q, %q) = %v, want %v", tt.s, tt.secret, got, want)
		}
	}
}

// strip drops what ReplaceSecret skips between a secret's bytes.
func strip(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && size == 1 || IsUnprintable(r) || unicode.IsSpace(r)) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FuzzReplaceSecret: whatever the text, no alphanumeric secret can be read
// in what ReplaceSecret returns, even with the characters cleaning turns
// into spaces taken out.
// Run: go test -run '^$' -fuzz '^FuzzReplaceSecret$' -fuzztime 5m ./internal/cleantext/
func FuzzReplaceSecret(f *testing.F) {
	f.Add("key a\u200bbc\x00123", "abc123")
	f.Add("aabc123abc123", "abc123")
	f.Fuzz(func(t *testing.T, s, secret string) {
		if secret == "" || strings.IndexFunc(secret, func(r rune) bool {
			return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
		}) >= 0 {
			return
		}
		out := ReplaceSecret(s, secret, "[r]")
		if strings.Contains(strip(out), secret) {
			t.Errorf("ReplaceSecret(%q, %q) = %q: the secret is still readable", s, secret, out)
		}
		if ContainsSecret(s, secret) != (out != s) {
			t.Errorf("ContainsSecret(%q, %q) disagrees with ReplaceSecret", s, secret)
		}
	})
}
