package scopes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ct "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
)

func TestGrantAllowsAndMissing(t *testing.T) {
	req := Requirement{Method: postModelOutputs, Scopes: postModelOutputsScopes, AuthType: KeyAuth}
	tests := []struct {
		desc    string
		g       Grant
		req     Requirement
		allows  bool
		missing []string
	}{
		{"exact scopes", NewGrant(postModelOutputsScopes, nil), req, true, nil},
		{"superset", NewGrant(postInputsScopes, nil), req, true, nil},
		{"underscore spelling", NewGrant([]string{"Apps_Get", "Concepts_Get", "Models_Get", "Predict"}, nil), req, true, nil},
		{"one missing", NewGrant([]string{"Apps:Get", "Concepts:Get", "Models:Get"}, nil), req, false, []string{"Predict"}},
		{"nothing", Grant{}, req, false, postModelOutputsScopes},
		{"All", NewGrant([]string{"All"}, nil), req, true, nil},
		{"endpoint", NewGrant(nil, []string{postModelOutputs}), req, true, nil},
		{"other endpoint", NewGrant(nil, []string{postInputs}), req, false, postModelOutputsScopes},
		{"no scopes needed", Grant{}, Requirement{Method: MyScopesMethod}, true, nil},
		{"endpoint without slash", NewGrant(nil, []string{"clarifai.api.V2/PostModelOutputs"}), req, true, nil},
		{"bare endpoint", NewGrant(nil, []string{"PostModelOutputs"}), req, true, nil},
		{"requirement spelled without slash", NewGrant(nil, []string{postModelOutputs}),
			Requirement{Method: "clarifai.api.V2/PostModelOutputs", Scopes: postModelOutputsScopes}, true, nil},
		{"requirement in underscore spelling", NewGrant([]string{"Predict"}, nil), Requirement{Method: postInputs, Scopes: []string{"Predict", "Inputs_Add"}}, false, []string{"Inputs:Add"}},
		{"similar but different scope", NewGrant([]string{"Apps:Get", "Concepts:Get", "Models:Get", "Predicts"}, nil), req, false, []string{"Predict"}},
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
	g := NewGrant(postInputsScopes, []string{postInputs})
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
	if req, _ := Required(postInputs); !g.Allows(req) {
		t.Errorf("a grant of the endpoint clarifai.api.V2/PostInputs does not allow %s", postInputs)
	}

	// In-band failure: an unknown key.
	_, err = MyScopes(ctx, cc, "u1", "a1", withKey("nope"))
	var e *Error
	if !errors.As(err, &e) || e.Code != 11009 || e.Method != MyScopesMethod || e.ReqID == "" {
		t.Errorf("unknown key: err = %v", err)
	}
	if status.Code(err) != codes.Unauthenticated || !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("unknown key: status.Code = %v", status.Code(err))
	}
	// In-band failure forced by the server.
	srv.SetStatus(MyScopesMethod, 10030, "busy", "")
	if _, err := MyScopes(ctx, cc, "", "", withKey("k-all")); !errors.Is(err, ErrTryAgain) || status.Code(err) != codes.Unavailable {
		t.Errorf("TRY_AGAIN: err = %v", err)
	}
	srv.ClearStatus(MyScopesMethod)

	// A gRPC error comes back as it is.
	srv.SetError(MyScopesMethod, status.Error(codes.Unimplemented, "no MyScopes here"))
	_, err = MyScopes(ctx, cc, "", "", withKey("k-all"))
	if status.Code(err) != codes.Unimplemented || status.Convert(err).Message() != "no MyScopes here" {
		t.Errorf("gRPC error: %v", err)
	}
	if _, ok := FromError(err); ok {
		t.Errorf("an Unimplemented error is not an *Error")
	}
	srv.SetError(MyScopesMethod, nil)

}

func TestMyScopesWireFormat(t *testing.T) {
	b := encodeMyScopesRequest("u", "a")
	want := []byte{0x0a, 0x06, 0x0a, 0x01, 'u', 0x12, 0x01, 'a'}
	if !slices.Equal(b, want) {
		t.Errorf("encode = %x, want %x", b, want)
	}
	if b := encodeMyScopesRequest("", ""); len(b) != 0 {
		t.Errorf("empty request = %x", b)
	}
	// status{code 10000}, scopes "Inputs_Add" "Predict", app (3) skipped, endpoint.
	reply := []byte{0x0a, 0x03, 0x08, 0x90, 0x4e,
		0x12, 0x0a, 'I', 'n', 'p', 'u', 't', 's', '_', 'A', 'd', 'd',
		0x12, 0x07, 'P', 'r', 'e', 'd', 'i', 'c', 't',
		0x1a, 0x02, 0x0a, 0x00,
		0x22, 0x05, '/', 'a', '.', 'B', 'c'}
	r, err := decodeMultiScopeResponse(reply)
	if err != nil || r.status.code != 10000 || !slices.Equal(r.scopes, []string{"Inputs_Add", "Predict"}) || !slices.Equal(r.endpoints, []string{"/a.Bc"}) {
		t.Errorf("decode = %+v %v", r, err)
	}
	for i := range reply {
		// Truncated replies fail cleanly or decode a prefix; never panic.
		_, _ = decodeMultiScopeResponse(reply[:i])
	}
	if _, err := decodeMultiScopeResponse([]byte{0x0a, 0x09}); err == nil {
		t.Error("truncated status decoded without error")
	}

	// Agreement with generated code for the same messages.
	for _, ids := range [][2]string{{"u", "a"}, {"", "a"}, {"user", ""}, {"", ""}} {
		gen, err := proto.MarshalOptions{Deterministic: true}.Marshal(&ct.MyScopesRequest{UserAppId: &ct.UserAppIDSet{UserId: ids[0], AppId: ids[1]}})
		if err != nil {
			t.Fatal(err)
		}
		if ids == [2]string{"", ""} {
			gen = nil // proto3 drops an empty sub-message only when unset; ours is unset
		}
		if got := encodeMyScopesRequest(ids[0], ids[1]); !slices.Equal(got, gen) {
			t.Errorf("encode(%q) = %x, generated %x", ids, got, gen)
		}
	}
	genReply, err := proto.Marshal(&ct.MultiScopeResponse{
		Status:    &ct.Status{Code: ct.StatusCode_CONN_INSUFFICIENT_SCOPES, Description: "d", Details: "x", ReqId: "r"},
		Scopes:    []string{"Predict", "Inputs_Get"},
		App:       &ct.App{Id: "a"},
		Endpoints: []string{postInputs},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err = decodeMultiScopeResponse(genReply)
	if err != nil || r.status != (wireStatus{true, CodeConnInsufficientScopes, "d", "x", "r"}) ||
		!slices.Equal(r.scopes, []string{"Predict", "Inputs_Get"}) || !slices.Equal(r.endpoints, []string{postInputs}) {
		t.Errorf("decode(generated) = %+v %v", r, err)
	}
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
	g := NewGrant(append(many, postModelOutputsScopes...), endpoints)
	req, _ := Required(postModelOutputs)
	if !g.Allows(req) || !g.Allows(Requirement{Method: "/pkg.Svc/Method99999", Scopes: []string{"Nope:Nope"}}) {
		t.Error("the large grant does not allow what it holds")
	}
	if g.Allows(Requirement{Method: postInputs, Scopes: []string{"Scope100000:Get"}}) {
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
	if zero.Allows(req) || !zero.Allows(Requirement{Method: MyScopesMethod}) || zero.Scopes() != nil {
		t.Error("the zero Grant misbehaves")
	}
}

// BenchmarkGrantAllows: the cost of a check does not grow with the grant.
func BenchmarkGrantAllows(b *testing.B) {
	req, _ := Required(postInputs)
	for _, n := range []int{10, 100_000} {
		var many []string
		for i := range n {
			many = append(many, fmt.Sprintf("Scope%d:Get", i))
		}
		g := NewGrant(append(many, postInputsScopes...), nil)
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
