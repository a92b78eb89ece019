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
		if !(r == utf8.RuneError && size == 1 || unprintable(r) || unicode.IsSpace(r)) {
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

func TestString(t *testing.T) {
	for _, tt := range []struct {
		s    string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\nb\u202ec\u200bd\u2028e\x1bf", 64, "a b c d e f"},
		{"bad \xff byte", 64, "bad \uFFFD byte"},
		{"0123456789", 4, "0123…"},
		{"ééé", 3, "é…"}, // never half a rune
	} {
		if got := String(tt.s, tt.max); got != tt.want {
			t.Errorf("String(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, tt := range []struct {
		s    string
		max  int
		want string
	}{
		{"plain text", 64, "plain text"},
		{"esc\x1b[2J", 64, `esc\x1b[2J`},
		{"bidi\u202eevil", 64, `bidi\u202eevil`},
		{"nbsp\u00a0here\n", 64, `nbsp\u00a0here\n`},
		{"bad\xffbyte", 64, `bad\xffbyte`},
		{"ééé", 3, `é… (4 bytes more)`},
	} {
		if got := Escape(tt.s, tt.max); got != tt.want {
			t.Errorf("Escape(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}

func TestToken(t *testing.T) {
	const max = 128
	long := strings.Repeat("a", max+10)
	for _, tt := range []struct{ s, want string }{
		{"", ""},
		{"req-42_abc", "req-42_abc"},
		{"req 42\u202e\n\x00é", "req42"},
		{"id\nforged: line", "idforged:line"},
		{"id\u202egnp.exe", "idgnp.exe"},          // bidi override
		{"a\u2028b\u2029c", "abc"},                // line and paragraph separators
		{"a\u200bb\ufeffc\u00a0d", "abcd"},        // zero-width, BOM, no-break space
		{"a\x00b\x1bc\x7fd", "abcd"},              // controls
		{"\xff\xfe broken utf-8", "brokenutf-8"},  // invalid bytes
		{long, long[:max]},                        // bounded
		{"\n" + long, long[:max]},                 // bounded after cleaning
		{strings.Repeat("é", max), ""},            // nothing printable
		{"Ω" + long, long[:max]},                  // non-ASCII first
		{"req id with spaces", "reqidwithspaces"}, // spaces too
		{"ok~!@#$%^&*()_+{}|:<>?", "ok~!@#$%^&*()_+{}|:<>?"},
	} {
		if got := Token(tt.s, max); got != tt.want {
			t.Errorf("Token(%q, %d) = %q, want %q", tt.s, max, got, tt.want)
		}
	}
	id := "0f3c2a7e-5d1b-4e8a-9c6f-2b7d1e0a4c93"
	if n := testing.AllocsPerRun(100, func() { _ = Token(id, 128) }); n != 0 {
		t.Errorf("Token of a clean id: %v allocations, want 0", n)
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789", 4, "0123…"},
		{"aééé", 4, "aé…"},
		{"a\nb", 10, "a\nb"}, // Clip only bounds
	} {
		got := Clip(tt.s, tt.max)
		if got != tt.want || !utf8.ValidString(got) && utf8.ValidString(tt.s) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}
