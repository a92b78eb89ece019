package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/scopes"
)

// TestAttackHugeGrant (attack 9): a MyScopes reply past the bound is an
// error (the preflight then lets the call go and the server decides), not a
// grant that costs memory on every check; a grant within the bound answers
// a scope query by lookup (100k scopes, no allocation).
func TestAttackHugeGrant(t *testing.T) {
	srv, cc := startFake(t)
	huge, long := testutil.Marker(t), testutil.Marker(t)
	var many []string
	for i := range maxGrantItems + 1 {
		many = append(many, fmt.Sprintf("Scope%d:Get", i))
	}
	srv.AddPAT(huge, many, nil)
	srv.AddPAT(long, []string{"Predict", strings.Repeat("A", maxGrantItemLen+1) + ":Get"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := MyScopes(ctx, cc, "", "", withKey(huge))
	var e *scopes.Error
	if !errors.As(err, &e) || !strings.Contains(e.Error(), "more than") {
		t.Errorf("MyScopes(huge) = %v, want an *Error", err)
	}
	testutil.NoSecretIn(t, "MyScopes error", err, huge)
	checkLine(t, "MyScopes error", err.Error())
	g, err := MyScopes(ctx, cc, "", "", withKey(long))
	if err != nil || len(g.Scopes()) != 1 {
		t.Errorf("MyScopes(long) = %q, %v; want the overlong name left out", g.Scopes(), err)
	}
	testutil.NoSecretIn(t, "grant", g, long)
	t.Run("a large grant answers by lookup", grantLarge)
}

// checkLine fails unless s is one line of at most a few KiB.
func checkLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.ContainsAny(s, "\n\r") || len(s) > 4096+64 {
		t.Errorf("%s: not one bounded line (%d bytes)", what, len(s))
	}
}
