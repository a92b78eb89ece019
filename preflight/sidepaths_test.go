package preflight_test

// Part of the adversarial suite: the side paths (issue 23).
//
// Attacks covered here:
//   - MyScopes called directly, the server echoing the key: TestAttackMyScopesEcho
//   - hostile scope names in a grant: TestAttackGrantScopeNames

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/preflight"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// noKeyAnywhere checks err in every rendering a caller may make of it:
// fmt verbs, JSON, slog, each error of its Unwrap chain and its gRPC
// status, also with the white space cleaning leaves where invisible
// characters were.
func noKeyAnywhere(t *testing.T, what string, err error, key string) {
	t.Helper()
	testutil.NoSecretIn(t, what, err, key)
	var texts []string
	j, _ := json.Marshal(err)
	texts = append(texts, string(j), err.Error())
	var se *scopes.Error
	if errors.As(err, &se) {
		j, _ := json.Marshal(se)
		texts = append(texts, string(j), fmt.Sprintf("%#v %+v", *se, se.Status))
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Error("x", "err", err)
	slog.New(slog.NewTextHandler(&b, nil)).Error("x", "err", err)
	texts = append(texts, b.String())
	for e := err; e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error(), fmt.Sprintf("%#v", e))
	}
	if st, ok := status.FromError(err); ok {
		texts = append(texts, fmt.Sprint(st.Proto()))
	}
	for _, s := range texts {
		testutil.NoSecret(t, what, strings.Join(strings.Fields(s), ""), key)
	}
}

// TestAttackMyScopesEcho: preflight.MyScopes called by hand, on a
// connection whose interceptors or per-RPC credentials put the key on the
// call, returns no error that holds the key the server echoed, plainly or
// split by U+200B and NUL, in its status or in a gRPC error.
func TestAttackMyScopesEcho(t *testing.T) {
	key := testutil.Marker(t)
	var split strings.Builder
	for i, r := range key {
		if i > 0 && i%3 == 0 {
			split.WriteString([]string{"\u200b", "\x00"}[i%2])
		}
		split.WriteRune(r)
	}
	src := staticSource(key)
	for name, dialOpt := range map[string]grpc.DialOption{
		"interceptor":       grpc.WithUnaryInterceptor(interceptor.UnaryClient(src, interceptor.AllowInsecureTransport())),
		"PerRPCCredentials": grpc.WithPerRPCCredentials(interceptor.PerRPCCredentials(src, interceptor.AllowInsecureTransport())),
	} {
		srv, cc := clarifaifake.NewForTest(t, dialOpt)
		srv.AddPAT(key, []string{"All"}, nil)
		for _, echo := range []string{key, split.String()} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			srv.SetStatus(myScopesPath, 11009, "API key not found: Key "+echo, "key "+echo)
			_, err := preflight.MyScopes(ctx, cc, "", "")
			if err == nil {
				t.Fatalf("%s: no error", name)
			}
			noKeyAnywhere(t, name+" status", err, key)
			srv.ClearStatus(myScopesPath)
			srv.SetError(myScopesPath, status.Error(codes.Unauthenticated, "API key not found: Key "+echo))
			_, err = preflight.MyScopes(ctx, cc, "", "")
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s: %v, want Unauthenticated", name, err)
			}
			noKeyAnywhere(t, name+" gRPC error", err, key)
			srv.SetError(myScopesPath, nil)
			cancel()
		}
	}
}

// TestAttackGrantScopeNames: scope names in a MyScopes reply are server
// text: a grant keeps them without control characters, invalid UTF-8 or a
// key the server echoed.
func TestAttackGrantScopeNames(t *testing.T) {
	key := testutil.Marker(t)
	srv, cc := clarifaifake.NewForTest(t, grpc.WithUnaryInterceptor(interceptor.UnaryClient(staticSource(key), interceptor.AllowInsecureTransport())))
	srv.AddPAT(key, []string{"Inputs:Get", "Evil\x1b[31m:Get", "Tab\t\u2028:Get", "Key" + key + ":Get", "Ltr\u202e:Get"}, []string{"/clarifai.api.V2/" + key, "/x\x00y"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g, err := preflight.MyScopes(ctx, cc, "", "")
	if err != nil {
		t.Fatal(err)
	}
	names := append(g.Scopes(), g.Endpoints()...)
	if len(names) != 7 {
		t.Errorf("grant = %q, want every name kept, cleaned", names)
	}
	for _, s := range names {
		if strings.ContainsAny(s, "\x1b\x00\u202e\t\u2028") || !utf8.ValidString(s) {
			t.Errorf("name %q not cleaned", s)
		}
	}
	testutil.NoSecretIn(t, "grant", names, key)
}

// staticSource returns a Source of the API key secret.
func staticSource(secret string) keysource.Source {
	k, err := keysource.NewKey(keysource.KindKey, secret)
	if err != nil {
		panic(err)
	}
	return k
}
