package keysource_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

// A Key prints only its kind and last four characters, whatever the verb.
func ExampleStatic() {
	k, err := keysource.Static("0123456789abcdef0123456789abcdef\n").Key(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(k)
	fmt.Printf("%s %q %#v\n", k, k, k)
	fmt.Println(k.HeaderName())

	_, err = keysource.Static("not a key").Key(context.Background())
	fmt.Println(errors.Is(err, keysource.ErrInvalidKey), err)
	// Output:
	// key(…cdef)
	// key(…cdef) "key(…cdef)" keysource.Key(key(…cdef))
	// authorization
	// true keysource: invalid key: white space at byte 3
}

// Env reads the first variable that is set; a name ending in SESSION_TOKEN
// gives a session token. With no names it reads CLARIFAI_PAT,
// CLARIFAI_API_KEY, then CLARIFAI_SESSION_TOKEN.
func ExampleEnv() {
	os.Unsetenv("MYAPP_CLARIFAI_PAT")
	os.Setenv("MYAPP_CLARIFAI_SESSION_TOKEN", "0123456789abcdef-session")
	defer os.Unsetenv("MYAPP_CLARIFAI_SESSION_TOKEN")

	src := keysource.Env("MYAPP_CLARIFAI_PAT", "MYAPP_CLARIFAI_SESSION_TOKEN")
	k, err := src.Key(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(k, k.HeaderName())

	os.Setenv("MYAPP_CLARIFAI_PAT", "0123456789abcdef-pat")
	defer os.Unsetenv("MYAPP_CLARIFAI_PAT")
	k, _ = src.Key(context.Background()) // the environment is read on every call
	fmt.Println(k, k.HeaderName())
	// Output:
	// session-token(…sion) x-clarifai-session-token
	// pat(…-pat) authorization
}

func ExampleChain() {
	os.Unsetenv("MY_SERVICE_CLARIFAI_PAT")
	src := keysource.Chain(
		keysource.Env("MY_SERVICE_CLARIFAI_PAT"),    // unset: passed over
		keysource.File("/nonexistent/clarifai-key"), // missing: passed over
		keysource.Static("fallback-0123456789abcdef"),
	)
	k, err := src.Key(context.Background())
	fmt.Println(k, err)

	_, err = keysource.Chain(keysource.Env("MY_SERVICE_CLARIFAI_PAT")).Key(context.Background())
	fmt.Println(errors.Is(err, keysource.ErrNoKey))
	fmt.Println(err)
	// Output:
	// key(…cdef) <nil>
	// true
	// keysource: no key in any source:
	//   1. environment variables MY_SERVICE_CLARIFAI_PAT are unset or empty
}

// File reads a mounted secret, such as a Kubernetes secret volume, and
// re-reads it at most once per refresh interval.
func ExampleFile() {
	dir, err := os.MkdirTemp("", "keysource-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pat")
	if err := os.WriteFile(path, []byte("0123456789abcdef-from-file\n"), 0o600); err != nil {
		panic(err)
	}

	src := keysource.File(path, keysource.FileKind(keysource.KindPAT))
	k, err := src.Key(context.Background())
	fmt.Println(k, err, src.Err())

	_, err = keysource.File(filepath.Join(dir, "absent")).Key(context.Background())
	fmt.Println(errors.Is(err, keysource.ErrNoKey), errors.Is(err, os.ErrNotExist))
	// Output:
	// pat(…file) <nil> <nil>
	// true true
}

// WithKey makes one request use its own key, whatever the Source says. The
// key is validated once, by NewKey, not on every call.
func ExampleWithKey() {
	tenantPAT, err := keysource.NewKey(keysource.KindPAT, "per-request-0123456789")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := keysource.WithKey(context.Background(), tenantPAT)
	k, ok := keysource.FromContext(ctx)
	fmt.Println(k, ok)

	_, err = keysource.NewKey(keysource.KindPAT, "bad\nkey")
	fmt.Println(errors.Is(err, keysource.ErrInvalidKey))

	_, ok = keysource.FromContext(context.Background())
	fmt.Println(ok)
	// Output:
	// pat(…6789) true
	// true
	// false
}

// Cached puts an expensive source, such as a secret manager, behind a cache
// that all callers share.
func ExampleCached() {
	calls := 0
	secretManager := keysource.SourceFunc(func(ctx context.Context) (keysource.Key, error) {
		calls++
		return keysource.NewKey(keysource.KindAPIKey, "0123456789abcdef-managed")
	})
	src := keysource.Cached(secretManager, 5*time.Minute)
	for range 3 {
		k, err := src.Key(context.Background())
		fmt.Println(k, err)
	}
	fmt.Println("secret manager calls:", calls)
	// Output:
	// api-key(…aged) <nil>
	// api-key(…aged) <nil>
	// api-key(…aged) <nil>
	// secret manager calls: 1
}
