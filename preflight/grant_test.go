package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpc-keyauth/clarifaiauth/internal/wire"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

func TestGrantAllowsAndMissing(t *testing.T) {
	req := scopes.Requirement{Method: postModelOutputs, Scopes: postModelOutputsScopes, AuthType: scopes.KeyAuth}
	tests := []struct {
		desc    string
		g       Grant
		req     scopes.Requirement
		allows  bool
		missing []string
	}{
		{"exact scopes", newGrant(postModelOutputsScopes, nil), req, true, nil},
		{"superset", newGrant(postInputsScopes, nil), req, true, nil},
		{"underscore spelling", newGrant([]string{"Apps_Get", "Concepts_Get", "Models_Get", "Predict"}, nil), req, true, nil},
		{"one missing", newGrant([]string{"Apps:Get", "Concepts:Get", "Models:Get"}, nil), req, false, []string{"Predict"}},
		{"nothing", Grant{}, req, false, postModelOutputsScopes},
		{"All", newGrant([]string{"All"}, nil), req, true, nil},
		{"endpoint", newGrant(nil, []string{postModelOutputs}), req, true, nil},
		{"other endpoint", newGrant(nil, []string{postInputs}), req, false, postModelOutputsScopes},
		{"no scopes needed", Grant{}, scopes.Requirement{Method: wire.MethodMyScopes}, true, nil},
		{"endpoint without slash", newGrant(nil, []string{"clarifai.api.V2/PostModelOutputs"}), req, true, nil},
		{"bare endpoint", newGrant(nil, []string{"PostModelOutputs"}), req, true, nil},
		{"requirement spelled without slash", newGrant(nil, []string{postModelOutputs}),
			scopes.Requirement{Method: "clarifai.api.V2/PostModelOutputs", Scopes: postModelOutputsScopes}, true, nil},
		{"requirement in underscore spelling", newGrant([]string{"Predict"}, nil), scopes.Requirement{Method: postInputs, Scopes: []string{"Predict", "Inputs_Add"}}, false, []string{"Inputs:Add"}},
		{"similar but different scope", newGrant([]string{"Apps:Get", "Concepts:Get", "Models:Get", "Predicts"}, nil), req, false, []string{"Predict"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := tc.g.Allows(tc.req); got != tc.allows {
				t.Errorf("Allows = %v, want %v", got, tc.allows)
			}
			scopes, endpoints := tc.g.Missing(tc.req)
			if !slices.Equal(scopes, tc.missing) {
				t.Errorf("Missing scopes = %q, want %q", scopes, tc.missing)
			}
			var wantEndpoints []string
			if !tc.allows {
				wantEndpoints = []string{tc.req.Method}
			}
			if !slices.Equal(endpoints, wantEndpoints) {
				t.Errorf("Missing endpoints = %q, want %q", endpoints, wantEndpoints)
			}
		})
	}
	g := newGrant(postInputsScopes, []string{postInputs})
	if n := testing.AllocsPerRun(100, func() { g.Allows(req) }); n != 0 {
		t.Errorf("Allows allocates %v times", n)
	}
}

func TestMyScopes(t *testing.T) {
	srv, cc := startFake(t)
	srv.AddPAT("k-scopes", []string{"Predict", "Inputs:Add", "Apps:Get"}, []string{postInputs})
	srv.AddPAT("k-all", []string{"All"}, nil)
	ctx := context.Background()

	g, err := MyScopes(ctx, cc, "u1", "a1", withKey("k-scopes"))
	if err != nil {
		t.Fatalf("MyScopes: %v", err)
	}
	if want := []string{"Apps:Get", "Inputs:Add", "Predict"}; !slices.Equal(g.Scopes(), want) {
		t.Errorf("Scopes = %q, want %q", g.Scopes(), want)
	}
	if !slices.Equal(g.Endpoints(), []string{postInputs}) {
		t.Errorf("Grant = %+v", g)
	}
	if g, err := MyScopes(ctx, cc, "", "", withKey("k-all")); err != nil || !slices.Equal(g.Scopes(), []string{"All"}) {
		t.Errorf("MyScopes(all) = %+v, %v", g, err)
	}
	// Endpoint names as a server may spell them are normalised.
	srv.AddPAT("k-endpoints", nil, []string{"clarifai.api.V2/PostInputs", "PostModelOutputs", " /clarifai.api.V2/GetUser "})
	g, err = MyScopes(ctx, cc, "", "", withKey("k-endpoints"))
	want := []string{"/clarifai.api.V2/GetUser", postInputs, postModelOutputs}
	if err != nil || !slices.Equal(g.Endpoints(), want) {
		t.Errorf("MyScopes(endpoints) = %q, %v; want %q", g.Endpoints(), err, want)
	}
	if req, _ := scopes.NewCatalog(nil).Required(postInputs); !g.Allows(req) {
		t.Errorf("a grant of the endpoint clarifai.api.V2/PostInputs does not allow %s", postInputs)
	}

	// In-band failure: an unknown key.
	_, err = MyScopes(ctx, cc, "u1", "a1", withKey("nope"))
	var e *scopes.Error
	if !errors.As(err, &e) || e.Code != 11009 || e.Method != wire.MethodMyScopes || e.ReqID == "" {
		t.Errorf("unknown key: err = %v", err)
	}
	if status.Code(err) != codes.Unauthenticated || !errors.Is(err, scopes.ErrKeyNotFound) {
		t.Errorf("unknown key: status.Code = %v", status.Code(err))
	}
	// In-band failure forced by the server.
	srv.SetStatus(wire.MethodMyScopes, 10030, "busy", "")
	if _, err := MyScopes(ctx, cc, "", "", withKey("k-all")); !errors.Is(err, scopes.ErrTryAgain) || status.Code(err) != codes.Unavailable {
		t.Errorf("TRY_AGAIN: err = %v", err)
	}
	srv.ClearStatus(wire.MethodMyScopes)

	// A gRPC error comes back as it is.
	srv.SetError(wire.MethodMyScopes, status.Error(codes.Unimplemented, "no MyScopes here"))
	_, err = MyScopes(ctx, cc, "", "", withKey("k-all"))
	if status.Code(err) != codes.Unimplemented || status.Convert(err).Message() != "no MyScopes here" {
		t.Errorf("gRPC error: %v", err)
	}
	if _, ok := scopes.FromError(err); ok {
		t.Errorf("an Unimplemented error is not an *Error")
	}
	srv.SetError(wire.MethodMyScopes, nil)

}

// grantLarge, part of TestAttackHugeGrant: a grant with 100k scopes and
// endpoints answers as a small one does, without allocating, and its lists
// are copies.
func grantLarge(t *testing.T) {
	var many, endpoints []string
	for i := range 100_000 {
		many = append(many, fmt.Sprintf("Scope%d_Get", i))
		endpoints = append(endpoints, fmt.Sprintf("/pkg.Svc/Method%d", i))
	}
	g := newGrant(append(many, postModelOutputsScopes...), endpoints)
	req, _ := scopes.NewCatalog(nil).Required(postModelOutputs)
	if !g.Allows(req) || !g.Allows(scopes.Requirement{Method: "/pkg.Svc/Method99999", Scopes: []string{"Nope:Nope"}}) {
		t.Error("the large grant does not allow what it holds")
	}
	if g.Allows(scopes.Requirement{Method: postInputs, Scopes: []string{"Scope100000:Get"}}) {
		t.Error("the large grant allows what it does not hold")
	}
	if n := testing.AllocsPerRun(100, func() { g.Allows(req) }); n != 0 {
		t.Errorf("Allows allocates %v times", n)
	}
	s := g.Scopes()
	s[0] = "changed"
	if g.Scopes()[0] == "changed" || len(g.Scopes()) != 100_004 || len(g.Endpoints()) != 100_000 {
		t.Error("Scopes() is not a copy of the grant's scopes")
	}
	var zero Grant
	if zero.Allows(req) || !zero.Allows(scopes.Requirement{Method: wire.MethodMyScopes}) || zero.Scopes() != nil {
		t.Error("the zero Grant misbehaves")
	}
}

// BenchmarkGrantAllows: the cost of a check does not grow with the grant.
func BenchmarkGrantAllows(b *testing.B) {
	req, _ := scopes.NewCatalog(nil).Required(postInputs)
	for _, n := range []int{10, 100_000} {
		var many []string
		for i := range n {
			many = append(many, fmt.Sprintf("Scope%d:Get", i))
		}
		g := newGrant(append(many, postInputsScopes...), nil)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !g.Allows(req) {
					b.Fatal("not allowed")
				}
			}
		})
	}
}
