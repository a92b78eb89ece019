package keysource

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzNewKey checks key validation on arbitrary input: it never panics, a
// key it accepts is a trimmed, printable-ASCII header value without white
// space, and neither the error nor any rendering of the Key repeats a
// secret long enough to be one.
// Fuzz longer with: go test -fuzz FuzzNewKey -fuzztime 5m ./keysource/
func FuzzNewKey(f *testing.F) {
	for _, s := range []string{
		"0123456789abcdef0123456789abcdef",
		" padded-secret-value-0000000000 \n",
		"line\r\nx-injected: 1",
		"nul\x00inside-a-secret-0000000",
		"tab\tinside-a-secret-00000000",
		"ünïcode-secret-0000000000000000",
		"\x7fdelete-secret-0000000000000",
		"",
	} {
		f.Add(s, uint8(KindAPIKey))
	}
	f.Add("session-token-0000000000000000", uint8(KindSessionToken))
	f.Fuzz(func(t *testing.T, secret string, kind uint8) {
		k, err := NewKey(Kind(kind), secret)
		trimmed := strings.TrimSpace(secret)
		long := len(trimmed) >= 12
		if err != nil {
			if !k.IsZero() {
				t.Fatalf("error %v with a non-zero Key", err)
			}
			if long && strings.Contains(err.Error(), trimmed) {
				t.Fatalf("error repeats the secret: %v", err)
			}
			return
		}
		if k.Secret() != trimmed {
			t.Fatalf("Secret() = %q, want the trimmed input %q", k.Secret(), trimmed)
		}
		for i := 0; i < len(trimmed); i++ {
			if c := trimmed[i]; c <= ' ' || c >= 0x7f {
				t.Fatalf("accepted byte %#x at %d", c, i)
			}
		}
		want := "Key " + trimmed
		if k.Kind() == KindSessionToken {
			want = trimmed
		}
		if k.HeaderValue() != want {
			t.Fatalf("HeaderValue() = %q, want %q", k.HeaderValue(), want)
		}
		if long {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
				if out := fmt.Sprintf(verb, k); strings.Contains(out, trimmed) {
					t.Fatalf("%s prints the secret: %s", verb, out)
				}
			}
		}
	})
}
