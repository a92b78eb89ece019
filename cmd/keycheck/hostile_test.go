package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// hostile is text a server should never be able to put on the terminal
// as it is: a clear-screen escape, an OSC title change ended by BEL,
// a C1 control (CSI), a right-to-left override, a line separator.
var hostile = []string{"\x1b[2J", "\x1b]0;owned\x07", "\u009b31m", "\u202e", "\u2028", "\u2029", "\u2066"}

// assertSafe fails unless out is free of every hostile rune and of secret.
func assertSafe(t *testing.T, what, out, secret string) {
	t.Helper()
	for _, r := range "\x1b\x07\u009b\u202e\u2028\u2029\u2066" {
		if strings.ContainsRune(out, r) {
			t.Errorf("%s holds %U:\n%q", what, r, out)
		}
	}
	testutil.NoSecret(t, what, out, secret)
}

// myScopesReply answers MyScopes with the given scopes and endpoints.
func myScopesReply(srv *clarifaifake.Server, scopes, endpoints []string) clarifaifake.ReplyFunc {
	return func(context.Context, proto.Message) ([]proto.Message, error) {
		reply := srv.NewReply("MyScopes")
		m := reply.ProtoReflect()
		for field, vals := range map[protoreflect.Name][]string{"scopes": scopes, "endpoints": endpoints} {
			l := m.Mutable(m.Descriptor().Fields().ByName(field)).List()
			for _, v := range vals {
				l.Append(protoreflect.ValueOfString(v))
			}
		}
		return []proto.Message{reply}, nil
	}
}

// TestHostileServer: what a server sends back (scope and endpoint names,
// status texts, gRPC error messages) reaches stdout and stderr escaped,
// bounded, and with the key replaced by its redacted form, in the table and
// in JSON.
func TestAttackServerEchoesKey(t *testing.T) {
	clean(t)
	srv, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	key, err := keysource.NewKey(keysource.KindPAT, fakePAT)
	if err != nil {
		t.Fatal(err)
	}
	evil := "Inputs:Get" + strings.Join(hostile, "") + fakePAT
	const method = "/clarifai.api.V2/MyScopes"
	base := []string{"-addr", addr, "-insecure", "-user", "u"}

	for _, tc := range []struct {
		name  string
		setup func()
		exit  int
		// escaped says the text reaches keycheck as sent; the scopes
		// package already blanks such runes in an in-band status's text,
		// the interceptors in a gRPC error's message, and
		// preflight.MyScopes in scope names.
		escaped bool
	}{
		{"scopes and endpoints", func() {
			srv.SetReply(method, myScopesReply(srv, []string{evil, "Predict", fakePAT}, []string{"/clarifai.api.V2/" + evil}))
		}, exitOK, false},
		{"in-band status", func() {
			srv.SetStatus(method, 11009, "API key not found: Key "+evil, "details "+evil+strings.Repeat("x", 100_000))
		}, exitMissing, false},
		{"gRPC error", func() {
			srv.SetError(method, status.Error(codes.Unavailable, "down: "+evil+strings.Repeat("y", 100_000)))
		}, exitError, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			defer func() {
				srv.SetReply(method, nil)
				srv.ClearStatus(method)
				srv.SetError(method, nil)
			}()
			for _, mode := range [][]string{nil, {"-json"}} {
				code, stdout, stderr := kc(t, nil, append(base, mode...)...)
				if code != tc.exit {
					t.Errorf("%v: exit %d, want %d; stdout:\n%q\nstderr:\n%q", mode, code, tc.exit, stdout, stderr)
				}
				assertSafe(t, fmt.Sprintf("%v stdout", mode), stdout, fakePAT)
				assertSafe(t, fmt.Sprintf("%v stderr", mode), stderr, fakePAT)
				out := stdout + stderr
				// In JSON the escapes themselves are escaped: \\x1b.
				for _, want := range []string{`x1b[2J`, `u202e`, `u2028`, `u009b31m`, key.String()} {
					if want != key.String() && !tc.escaped {
						continue
					}
					if !strings.Contains(out, want) {
						t.Errorf("%v: output lacks %q:\n%s", mode, want, out)
					}
				}
				if len(out) > 32<<10 {
					t.Errorf("%v: %d bytes of output, want a bounded amount", mode, len(out))
				}
			}
		})
	}
}

// TestLongLists: lists longer than maxItems are cut with "… and N more".
func TestAttackScopeListBomb(t *testing.T) {
	clean(t)
	srv, addr := startFake(t)
	t.Setenv("CLARIFAI_PAT", fakePAT)
	var many []string
	for i := range maxItems + 500 {
		many = append(many, fmt.Sprintf("Scope%04d:Get", i))
	}
	srv.SetReply("/clarifai.api.V2/MyScopes", myScopesReply(srv, many, nil))

	code, stdout, stderr := kc(t, nil, "-addr", addr, "-insecure", "-user", "u")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "… and 500 more") || strings.Contains(stdout, fmt.Sprintf("Scope%04d:Get", maxItems)) {
		t.Errorf("table not cut at %d items", maxItems)
	}
	code, stdout, _ = kc(t, nil, "-addr", addr, "-insecure", "-user", "u", "-json")
	if code != exitOK {
		t.Fatalf("-json: exit %d", code)
	}
	var r report
	decodeStrict(t, stdout, &r)
	if len(r.Scopes) != maxItems+1 || r.Scopes[maxItems] != "… and 500 more" {
		t.Errorf("JSON scopes: %d items, last %q", len(r.Scopes), r.Scopes[len(r.Scopes)-1])
	}
}

func TestAttackControlCharacters(t *testing.T) {
	key, err := keysource.NewKey(keysource.KindPAT, "s3cr3t-value-0123")
	if err != nil {
		t.Fatal(err)
	}
	z := newSanitizer(key)
	for in, want := range map[string]string{
		"Inputs:Get":                 "Inputs:Get",
		"a\x1b[2Jb":                  `a\x1b[2Jb`,
		"rtl\u202eltr":               `rtl\u202eltr`,
		"line\u2028\u2029\nnext":     `line\u2028\u2029\nnext`,
		"bad \xff utf8":              `bad \xff utf8`,
		"c1 \u009b31m":               `c1 \u009b31m`,
		"key s3cr3t-value-0123 here": "key " + key.String() + " here",
		"Konzepte:Lesen ✓ 日本":        "Konzepte:Lesen ✓ 日本",
		"isolate \u2066x\u2069":      `isolate \u2066x\u2069`,
		"tab\tand nul\x00":           `tab\tand nul\x00`,
	} {
		if got := z.text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", maxText)
	if got := z.text(long); len(got) > maxText+64 || !strings.Contains(got, "bytes more") {
		t.Errorf("text of %d bytes gave %d bytes", len(long), len(got))
	}
	if got := z.lines("one\x1b\ntwo\u202e"); got != "one\\x1b\ntwo\\u202e" {
		t.Errorf("lines = %q", got)
	}
}

// TestAttackSplitSecret: a server that echoes the key with invisible
// characters between its bytes does not get it printed: the escapes would
// leave it readable. Scrubbing twice keeps the redacted form as it is.
func TestAttackSplitSecret(t *testing.T) {
	key, err := keysource.NewKey(keysource.KindPAT, "s3cr3t-value-0123")
	if err != nil {
		t.Fatal(err)
	}
	z := newSanitizer(key)
	for _, in := range []string{"key s3cr3t-\u200bvalue-0123", "key s3cr3t-\x00value\u2066-0123", "key s3cr3t- value-0123"} {
		if got, want := z.text(in), "key "+key.String(); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	short, err := keysource.NewKey(keysource.KindSessionToken, "session")
	if err != nil {
		t.Fatal(err)
	}
	zs := newSanitizer(short)
	if once, twice := zs.text("token session"), zs.text(zs.text("token session")); once != twice || strings.Count(once, "session") != 1 {
		t.Errorf("scrubbing a short secret twice: %q then %q", once, twice)
	}
}
