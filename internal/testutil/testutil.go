// Package testutil holds what the module's tests share: fresh marker secrets
// and one check that a text reveals no secret. Only tests import it; they
// start the fake Clarifai server with clarifaifake.NewForTest, the helper
// users have too.
package testutil

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Soak reports whether CLARIFAIAUTH_SOAK=1 asks for the long runs of the
// load and hostile-input tests, as .ci/run does. Without it they are sized
// to keep every test well under 10 s under -race on two busy cores.
func Soak() bool { return os.Getenv("CLARIFAIAUTH_SOAK") == "1" }

// Marker returns a fresh secret that is a valid key and appears nowhere else,
// so that finding it in a text can only mean a leak.
func Marker(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "MARKER" + hex.EncodeToString(b)
}

// NoSecret fails the test if text reveals any of secrets: the secret itself,
// its hex encoding (what %x prints), or any eight consecutive characters of
// it. what names the text in the failure.
func NoSecret(t testing.TB, what, text string, secrets ...string) {
	t.Helper()
	if leak := Leak(text, secrets...); leak != "" {
		t.Errorf("%s reveals a secret (%q found): %q", what, leak, Clip(text, 400))
	}
}

// NoSecretIn checks every fmt rendering of v with NoSecret: the common verbs,
// and v inside a struct's exported and unexported fields.
func NoSecretIn(t testing.TB, what string, v any, secrets ...string) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T", "%p"} {
		NoSecret(t, what+" "+verb, fmt.Sprintf(verb, v), secrets...)
	}
	NoSecret(t, what+" in a struct", fmt.Sprintf("%+v %#v", struct{ V any }{v}, struct{ v any }{v}), secrets...)
	if err, ok := v.(error); ok && err != nil {
		NoSecret(t, what+" Error()", err.Error(), secrets...)
	}
}

// Run is how many consecutive characters of a secret Leak counts as a
// leak: a redacted Key shows its last four, so eight is never innocent.
const Run = 8

// Leak returns the first piece of a secret found in text, or "": the
// secret, its hex encoding in either case, or any Run consecutive
// characters of it.
func Leak(text string, secrets ...string) string {
	return LeakRun(text, Run, secrets...)
}

// NoSecretRun is NoSecret with a shorter run for texts that quote a few
// characters of what they saw (a YAML error quotes up to seven).
func NoSecretRun(t testing.TB, what, text string, run int, secrets ...string) {
	t.Helper()
	if leak := LeakRun(text, run, secrets...); leak != "" {
		t.Errorf("%s reveals a secret (%q found): %q", what, leak, Clip(text, 400))
	}
}

// LeakRun is Leak counting any run consecutive characters of a secret.
func LeakRun(text string, run int, secrets ...string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, l := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			if strings.Contains(text, l) {
				return l
			}
		}
		for i := 0; i+run <= len(s); i++ {
			if strings.Contains(text, s[i:i+run]) {
				return s[i : i+run]
			}
		}
	}
	return ""
}

// Clip shortens s to at most n bytes for a failure message.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
