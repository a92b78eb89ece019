package keysource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/grpc-keyauth/clarifaiauth/internal/keyhook"
	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
)

func init() {
	keyhook.HeaderName = Key.headerName
	keyhook.HeaderValue = Key.headerValue
	keyhook.FromContext = fromContext
}

// Sentinel errors. Every error this package returns for a missing or invalid
// key wraps one of them, so callers test with errors.Is.
var (
	// ErrNoKey means a source has no key to offer: an unset variable, a
	// missing file. Chain moves on to its next source on ErrNoKey.
	ErrNoKey = errors.New("keysource: no key")
	// ErrInvalidKey means a secret was found but cannot go into a header.
	ErrInvalidKey = errors.New("keysource: invalid key")
)

// Kind says what a Key is and how it travels on the wire. A Kind is also an
// Option: File(path, KindPAT) reads a PAT.
type Kind uint8

const (
	// KindKey is an app-specific API key or a personal access token, and
	// nobody has said which: the two look alike and travel alike
	// ("authorization: Key <secret>"). File yields it unless told
	// otherwise. A method that only PATs may call is tried with it, and the
	// server decides.
	KindKey Kind = iota + 1
	// KindAPIKey is an app-specific API key: "authorization: Key <secret>".
	// Declare it only when you know it is one: a method that only PATs may
	// call is then refused before it is sent.
	KindAPIKey
	// KindPAT is a personal access token; it travels like an API key.
	KindPAT
	// KindSessionToken is a session token: "x-clarifai-session-token: <token>".
	KindSessionToken
)

// String returns the kind's name: "key", "api-key", "pat", "session-token".
func (k Kind) String() string {
	switch k {
	case KindKey:
		return "key"
	case KindAPIKey:
		return "api-key"
	case KindPAT:
		return "pat"
	case KindSessionToken:
		return "session-token"
	}
	return "none"
}

// Key is one validated Clarifai credential. The zero Key holds none.
//
// A Key never shows its secret: fmt, encoders and reflection-based
// printers all give a redacted form such as "pat(…a1b2)"; only Secret
// returns it. Keys are immutable and safe to share. Compare them with
// Equal: == only tells whether two Keys come from the same NewKey call.
type Key struct {
	// header points at the bytes of the complete header value, n bytes
	// long; the secret is a suffix of it, so neither Secret nor HeaderValue
	// allocates. It is an unsafe.Pointer, not a string or a *string,
	// because reflection-based printers print every string they reach and
	// follow typed pointers; an unsafe.Pointer has no type to follow. It
	// keeps the bytes alive like any pointer.
	header unsafe.Pointer
	n      uint32
	offset uint8 // len("Key ") for API keys and PATs, 0 for session tokens
	kind   Kind
}

// maxSecretLen bounds a secret; a header value is far smaller than a gRPC
// server accepts anyway.
const maxSecretLen = 64 << 10

// NewKey validates secret and returns it as a Key of the given kind, after
// trimming the ASCII white space around it (a file's trailing newline). The
// secret alone is given: "Key " is added when it is sent. An empty secret,
// one that holds white space, control characters or anything but printable
// ASCII, or an undefined kind gives an error wrapping ErrInvalidKey that
// never contains the secret.
func NewKey(kind Kind, secret string) (Key, error) {
	if kind < KindKey || kind > KindSessionToken {
		return Key{}, fmt.Errorf("%w: unknown kind %d", ErrInvalidKey, kind)
	}
	secret = trimSecret(secret)
	if err := validate(secret); err != nil {
		return Key{}, err
	}
	if kind == KindSessionToken {
		return Key{header: unsafe.Pointer(unsafe.StringData(secret)), n: uint32(len(secret)), kind: kind}, nil
	}
	header := "Key " + secret
	return Key{header: unsafe.Pointer(unsafe.StringData(header)), n: uint32(len(header)), offset: 4, kind: kind}, nil
}

// trimSecret trims the ASCII white space around a secret: the newline a
// file or a variable often ends with. Other space (U+2028, U+00A0) is left,
// and refused by validate.
func trimSecret(s string) string { return strings.Trim(s, " \t\r\n\v\f") }

// validate reports why secret cannot be a header value. The error names the
// position and class of the first bad byte, never the secret itself.
func validate(secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: empty secret", ErrInvalidKey)
	}
	if len(secret) > maxSecretLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, maxSecretLen)
	}
	if len(secret) > 4 && strings.EqualFold(secret[:4], "Key ") {
		return fmt.Errorf("%w: white space at byte 3: drop the %q prefix, give the secret alone (%q is added when the key is sent)", ErrInvalidKey, secret[:4], "Key ")
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		switch {
		case c == ' ' || c == '\t':
			return fmt.Errorf("%w: white space at byte %d", ErrInvalidKey, i)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: control character at byte %d", ErrInvalidKey, i)
		case c > 0x7e:
			return fmt.Errorf("%w: non-ASCII byte at byte %d", ErrInvalidKey, i)
		}
	}
	return nil
}

// Key makes a Key a Source that always yields it. The zero Key yields an
// error wrapping ErrNoKey.
func (k Key) Key(context.Context) (Key, error) {
	if k.IsZero() {
		return Key{}, errZeroKey
	}
	return k, nil
}

var errZeroKey = fmt.Errorf("%w: the zero Key", ErrNoKey)

// Kind returns how the key travels; 0 for the zero Key.
func (k Key) Kind() Kind { return k.kind }

// IsZero reports whether k holds no credential.
func (k Key) IsZero() bool { return k.kind == 0 }

// Secret returns the secret itself ("" for the zero Key). Never log or print
// it.
func (k Key) Secret() string { return k.headerValue()[k.offset:] }

// headerName returns the metadata key the credential travels under:
// "authorization", or "x-clarifai-session-token" for a session token
// ("" for the zero Key).
func (k Key) headerName() string {
	switch k.kind {
	case 0:
		return ""
	case KindSessionToken:
		return wire.HeaderSessionToken
	}
	return wire.HeaderAuthorization
}

// headerValue returns the complete header value, "Key <secret>" for API keys
// and PATs, the token for session tokens ("" for the zero Key).
func (k Key) headerValue() string {
	if k.header == nil {
		return ""
	}
	return unsafe.String((*byte)(k.header), k.n)
}

// Equal reports whether k and other are the same credential of the same
// kind, without exposing either. Two zero Keys are equal.
func (k Key) Equal(other Key) bool {
	return k.kind == other.kind && k.headerValue() == other.headerValue()
}

// String returns the redacted form: the kind and, for secrets long enough
// that it gives nothing away, the last four characters.
func (k Key) String() string {
	if k.IsZero() {
		return "none"
	}
	s := k.Secret()
	if len(s) < 16 {
		return k.kind.String() + "(…)"
	}
	return k.kind.String() + "(…" + s[len(s)-4:] + ")"
}

// Format prints the redacted form for every verb, so that no fmt directive
// (%v %+v %#v %s %q %x …) can reveal the secret.
func (k Key) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, "keysource.Key("+k.String()+")")
			return
		}
	case 'q':
		fmt.Fprintf(f, "%q", k.String())
		return
	}
	fmt.Fprint(f, k.String())
}

// MarshalText gives encoders (encoding/json among them) the redacted form.
// A Key cannot be unmarshalled: secrets are not meant to round-trip through
// serialised data.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
