package keysource

import (
	"fmt"
	"reflect"
	"strconv"
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
	f.Add("session-toke", uint8(KindSessionToken)) // the kind's label holds it
	f.Add("Key 0123456789abcdef", uint8(KindPAT))
	f.Fuzz(func(t *testing.T, secret string, kind uint8) {
		k, err := NewKey(Kind(kind), secret)
		trimmed := strings.Trim(secret, " \t\r\n\v\f")
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
		if k.headerValue() != want {
			t.Fatalf("headerValue() = %q, want %q", k.headerValue(), want)
		}
		// Every rendering is exactly the redacted form, worked out here
		// independently: the kind's name and, for a secret of 16 bytes or
		// more, its last four. Comparing whole outputs, not searching them
		// for the secret, keeps a secret such as "session-toke", which the
		// label "session-token" contains, from passing for a leak, while a
		// rendering with any byte of the secret beyond the last four fails.
		redacted := k.Kind().String() + "(…)"
		if len(trimmed) >= 16 {
			redacted = k.Kind().String() + "(…" + trimmed[len(trimmed)-4:] + ")"
		}
		for verb, want := range map[string]string{
			"%v": redacted, "%+v": redacted, "%s": redacted, "%x": redacted, "%X": redacted, "%d": redacted,
			"%#v": "keysource.Key(" + redacted + ")", "%q": strconv.Quote(redacted),
		} {
			if out := fmt.Sprintf(verb, k); out != want {
				t.Fatalf("%s prints %q, want %q", verb, out, want)
			}
		}
		if long {
			for _, s := range reachableStrings(reflect.ValueOf(k)) {
				if strings.Contains(s, trimmed) {
					t.Fatalf("reflection reaches the secret in %q", s)
				}
			}
		}
	})
}
