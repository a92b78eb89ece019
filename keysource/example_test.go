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

// NewKey validates a secret once; the Key it gives is a Source that always
// yields it, and it prints only its kind and last four characters, whatever
// the verb.
func ExampleNewKey() {
	pat, err := keysource.NewKey(keysource.KindPAT, "0123456789abcdef0123456789abcdef\n")
	if err != nil {
		panic(err)
	}
	var src keysource.Source = pat
	k, _ := src.Key(context.Background())
	fmt.Println(k, k.Kind(), k.Equal(pat))
	fmt.Printf("%s %q %#v\n", k, k, k)

	_, err = keysource.NewKey(keysource.KindKey, "Key 0123456789abcdef")
	fmt.Println(errors.Is(err, keysource.ErrInvalidKey))
	// Output:
	// pat(…cdef) pat true
	// pat(…cdef) "pat(…cdef)" keysource.Key(pat(…cdef))
	// true
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
	fmt.Println(k, k.Kind())

	os.Setenv("MYAPP_CLARIFAI_PAT", "0123456789abcdef-pat")
	defer os.Unsetenv("MYAPP_CLARIFAI_PAT")
	k, _ = src.Key(context.Background()) // the environment is read on every call
	fmt.Println(k, k.Kind())
	// Output:
	// session-token(…sion) session-token
	// pat(…-pat) pat
}

func ExampleChain() {
	os.Unsetenv("MY_SERVICE_CLARIFAI_PAT")
	fallback, err := keysource.NewKey(keysource.KindKey, "fallback-0123456789abcdef")
	if err != nil {
		panic(err)
	}
	src := keysource.Chain(
		keysource.Env("MY_SERVICE_CLARIFAI_PAT"),    // unset: passed over
		keysource.File("/nonexistent/clarifai-key"), // missing: passed over
		fallback,
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
// reads it again once per refresh interval. A Kind among its options says
// what the file holds.
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

	src := keysource.File(path, keysource.KindPAT, keysource.RefreshInterval(time.Minute))
	k, err := src.Key(context.Background())
	fmt.Println(k, err)

	_, err = keysource.File(filepath.Join(dir, "absent")).Key(context.Background())
	fmt.Println(errors.Is(err, keysource.ErrNoKey), errors.Is(err, os.ErrNotExist))
	// Output:
	// pat(…file) <nil>
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
	_ = ctx // every call made with ctx carries tenantPAT

	_, err = keysource.NewKey(keysource.KindPAT, "bad\nkey")
	fmt.Println(errors.Is(err, keysource.ErrInvalidKey))
	// Output:
	// true
}

// Cached puts an expensive source, such as a secret manager, behind a cache
// that all callers share.
func ExampleCached() {
	calls := 0
	secretManager := keysource.SourceFunc(func(ctx context.Context) (keysource.Key, error) {
		calls++
		return keysource.NewKey(keysource.KindAPIKey, "0123456789abcdef-managed")
	})
	src := keysource.Cached(secretManager, 5*time.Minute,
		keysource.RefreshTimeout(10*time.Second),
		keysource.OnError(func(err error) { fmt.Println("refresh failed:", err) }))
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

// ClarifaiConfig reads the login that Clarifai's CLI stores; ConfigContext
// picks a context other than the current one.
func ExampleClarifaiConfig() {
	dir, err := os.MkdirTemp("", "keysource-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config") // "" means ~/.config/clarifai/config
	config := `current_context: default
contexts:
  default:
    CLARIFAI_PAT: 0123456789abcdef-default
  staging:
    CLARIFAI_PAT: 0123456789abcdef-staging
`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		panic(err)
	}
	for _, src := range []keysource.Source{
		keysource.ClarifaiConfig(path),
		keysource.ClarifaiConfig(path, keysource.ConfigContext("staging")),
	} {
		k, err := src.Key(context.Background())
		fmt.Println(k, err)
	}
	// Output:
	// pat(…ault) <nil>
	// pat(…ging) <nil>
}

// Default looks in the environment, then in the CLI's config, and says
// where it looked when neither has a key.
func ExampleDefault() {
	for _, name := range []string{"CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"} {
		if v, ok := os.LookupEnv(name); ok {
			defer os.Setenv(name, v)
			os.Unsetenv(name)
		}
	}
	os.Setenv("CLARIFAI_PAT", "0123456789abcdef-env")
	defer os.Unsetenv("CLARIFAI_PAT")

	k, err := keysource.Default().Key(context.Background())
	fmt.Println(k, err)
	// Output:
	// pat(…-env) <nil>
}
