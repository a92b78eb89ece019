package keysource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestNewKeyValidation(t *testing.T) {
	tests := []struct {
		desc    string
		kind    Kind
		secret  string
		want    string // the secret after trimming, when valid
		wantErr string // a fragment of the error, when invalid
	}{
		{desc: "plain api key", kind: KindAPIKey, secret: "abc123", want: "abc123"},
		{desc: "plain pat", kind: KindPAT, secret: "abc123", want: "abc123"},
		{desc: "plain session token", kind: KindSessionToken, secret: "abc123", want: "abc123"},
		{desc: "printable punctuation", kind: KindAPIKey, secret: "a-b_c.d~e+f/g=", want: "a-b_c.d~e+f/g="},
		{desc: "trailing newline trimmed", kind: KindAPIKey, secret: "abc123\n", want: "abc123"},
		{desc: "trailing CRLF trimmed", kind: KindAPIKey, secret: "abc123\r\n", want: "abc123"},
		{desc: "leading and trailing space trimmed", kind: KindPAT, secret: "  abc123 \t", want: "abc123"},
		{desc: "empty", kind: KindAPIKey, secret: "", wantErr: "empty"},
		{desc: "only white space", kind: KindAPIKey, secret: " \n\t ", wantErr: "empty"},
		{desc: "space inside", kind: KindAPIKey, secret: "abc 123", wantErr: "white space at byte 3"},
		{desc: "tab inside", kind: KindAPIKey, secret: "abc\t123", wantErr: "white space at byte 3"},
		{desc: "CRLF inside (header injection)", kind: KindAPIKey, secret: "abc\r\nx-evil: 1", wantErr: "control character at byte 3"},
		{desc: "newline inside", kind: KindSessionToken, secret: "abc\n123", wantErr: "control character at byte 3"},
		{desc: "NUL", kind: KindAPIKey, secret: "abc\x00123", wantErr: "control character at byte 3"},
		{desc: "DEL", kind: KindPAT, secret: "abc\x7f123", wantErr: "control character at byte 3"},
		{desc: "non-ASCII", kind: KindAPIKey, secret: "abcé123", wantErr: "non-ASCII byte at byte 3"},
		{desc: "invalid UTF-8", kind: KindAPIKey, secret: "abc\xff123", wantErr: "non-ASCII byte at byte 3"},
		{desc: "zero kind", kind: 0, secret: "abc123", wantErr: "unknown kind 0"},
		{desc: "kind past the last", kind: KindSessionToken + 1, secret: "abc123", wantErr: "unknown kind 5"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			k, err := NewKey(tt.kind, tt.secret)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("NewKey error = %v, want one wrapping ErrInvalidKey", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("NewKey error = %q, want it to contain %q", err, tt.wantErr)
				}
				if !k.IsZero() {
					t.Errorf("NewKey returned %v with an error, want the zero Key", k)
				}
				if s := strings.TrimSpace(tt.secret); len(s) > 1 && strings.Contains(err.Error(), s) {
					t.Errorf("NewKey error %q contains the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewKey: %v", err)
			}
			if got := k.Secret(); got != tt.want {
				t.Errorf("Secret() = %q, want %q", got, tt.want)
			}
			if k.Kind() != tt.kind || k.IsZero() {
				t.Errorf("Kind() = %v, IsZero() = %v; want %v, false", k.Kind(), k.IsZero(), tt.kind)
			}
		})
	}
}

// TestNewKeyErrorNeverHoldsSecret checks every error path with a long,
// distinctive secret, so a leak of any eight characters is caught.
func TestNewKeyErrorNeverHoldsSecret(t *testing.T) {
	for _, bad := range []string{
		testSecret + " tail",
		testSecret + "\x00",
		"\x01" + testSecret,
		testSecret + "é",
		testSecret + "\r\nx: y",
	} {
		_, err := NewKey(KindAPIKey, bad)
		if err == nil {
			t.Fatalf("NewKey(%q) succeeded, want an error", bad)
		}
		assertNoSecret(t, "NewKey error", err.Error(), testSecret)
	}
}

func TestKeyHeader(t *testing.T) {
	tests := []struct {
		kind      Kind
		name      string
		value     string
		kindName  string
		redaction string
	}{
		{KindAPIKey, "authorization", "Key " + testSecret, "api-key", "api-key(…WXYZ)"},
		{KindPAT, "authorization", "Key " + testSecret, "pat", "pat(…WXYZ)"},
		{KindSessionToken, "x-clarifai-session-token", testSecret, "session-token", "session-token(…WXYZ)"},
	}
	for _, tt := range tests {
		t.Run(tt.kindName, func(t *testing.T) {
			k, err := NewKey(tt.kind, testSecret+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if got := k.headerName(); got != tt.name {
				t.Errorf("headerName() = %q, want %q", got, tt.name)
			}
			if got := k.headerValue(); got != tt.value {
				t.Errorf("headerValue() = %q, want %q", got, tt.value)
			}
			if got := k.Secret(); got != testSecret {
				t.Errorf("Secret() = %q, want %q", got, testSecret)
			}
			if got := k.Kind().String(); got != tt.kindName {
				t.Errorf("Kind().String() = %q, want %q", got, tt.kindName)
			}
			if got := k.String(); got != tt.redaction {
				t.Errorf("String() = %q, want %q", got, tt.redaction)
			}
			if n := testing.AllocsPerRun(100, func() { _, _ = k.headerValue(), k.Secret() }); n != 0 {
				t.Errorf("HeaderValue and Secret allocate %v times, want 0", n)
			}
		})
	}
}

func TestZeroKey(t *testing.T) {
	var k Key
	if !k.IsZero() || k.Kind() != 0 || k.Kind().String() != "none" {
		t.Errorf("zero Key: IsZero %v, Kind %v", k.IsZero(), k.Kind())
	}
	if k.headerName() != "" || k.headerValue() != "" || k.Secret() != "" || k.String() != "none" {
		t.Errorf("zero Key: HeaderName %q HeaderValue %q Secret %q String %q", k.headerName(), k.headerValue(), k.Secret(), k.String())
	}
}

func TestKeyEqual(t *testing.T) {
	a1, _ := NewKey(KindAPIKey, "abc123")
	a2, _ := NewKey(KindAPIKey, " abc123\n")
	pat, _ := NewKey(KindPAT, "abc123")
	other, _ := NewKey(KindAPIKey, "abc124")
	tok, _ := NewKey(KindSessionToken, "abc123")
	if !a1.Equal(a2) {
		t.Error("two Keys made from the same secret and kind are not Equal")
	}
	if a1.Equal(pat) || a1.Equal(other) || a1.Equal(tok) || a1.Equal(Key{}) {
		t.Error("Keys of a different kind or secret are Equal")
	}
	if !(Key{}).Equal(Key{}) {
		t.Error("zero Keys are not Equal")
	}
}

func TestKeyRedaction(t *testing.T) {
	k, err := NewKey(KindPAT, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	type exported struct{ K Key }
	type unexported struct{ k Key }
	type pointer struct{ k *Key }
	values := map[string]any{
		"Key":                         k,
		"*Key":                        &k,
		"struct with exported Key":    exported{k},
		"struct with unexported Key":  unexported{k},
		"*struct with unexported Key": &unexported{k},
		"struct with *Key":            pointer{&k},
		"[]Key":                       []Key{k},
		"map[string]Key":              map[string]Key{"k": k},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%t", "%10.3v", "%-40s"}
	for name, v := range values {
		for _, verb := range verbs {
			assertNoSecret(t, fmt.Sprintf("Sprintf(%q, %s)", verb, name), fmt.Sprintf(verb, v), testSecret)
		}
		assertNoSecret(t, "Sprint "+name, fmt.Sprint(v), testSecret)
		assertNoSecret(t, "Sprintln "+name, fmt.Sprintln(v, v), testSecret)
	}

	// The redacted form is what the common verbs show.
	for _, verb := range []string{"%v", "%+v", "%s"} {
		if got := fmt.Sprintf(verb, k); got != "pat(…WXYZ)" {
			t.Errorf("Sprintf(%q) = %q, want %q", verb, got, "pat(…WXYZ)")
		}
	}
	if got := fmt.Sprintf("%#v", k); got != "keysource.Key(pat(…WXYZ))" {
		t.Errorf("Sprintf(%%#v) = %q", got)
	}
	if got := fmt.Sprintf("%q", k); got != `"pat(…WXYZ)"` {
		t.Errorf("Sprintf(%%q) = %q", got)
	}

	// log/slog, as an attribute and nested in a group.
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("call", "key", k, slog.Group("g", slog.Any("k", k)), slog.Any("holder", exported{k}))
	assertNoSecret(t, "slog JSON", buf.String(), testSecret)
	if !strings.Contains(buf.String(), `"key":"pat(…WXYZ)"`) {
		t.Errorf("slog JSON output %s lacks the redacted key", buf.String())
	}
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("call", "key", k, "holder", unexported{k})
	assertNoSecret(t, "slog text", buf.String(), testSecret)

	// encoding/json.
	b, err := json.Marshal(struct {
		Key  Key
		Ptr  *Key
		Keys []Key
	}{k, &k, []Key{k}})
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "json.Marshal", string(b), testSecret)
	if want := `{"Key":"pat(…WXYZ)","Ptr":"pat(…WXYZ)","Keys":["pat(…WXYZ)"]}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
}

func TestShortKeyRevealsNothing(t *testing.T) {
	for _, secret := range []string{"a", "abcd", "abcdefgh", "abcdefghijklmno"} { // up to 15 bytes
		k, err := NewKey(KindAPIKey, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.String(); got != "api-key(…)" {
			t.Errorf("String() of a %d-byte key = %q, want %q", len(secret), got, "api-key(…)")
		}
	}
	k, _ := NewKey(KindAPIKey, "abcdefghijklmnop") // 16 bytes: the last four show
	if got := k.String(); got != "api-key(…mnop)" {
		t.Errorf("String() of a 16-byte key = %q, want %q", got, "api-key(…mnop)")
	}
}
