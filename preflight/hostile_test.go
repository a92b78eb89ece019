package preflight

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
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

// TestAttackGrantCacheBytes: a server answering MyScopes with large grants
// (names of 1 KiB) cannot make the grant cache hold more than its byte
// budget, whatever the number of keys; the size the cache counts is within
// a factor of two of the heap a grant takes.
func TestAttackGrantCacheBytes(t *testing.T) {
	srv, cc := startFake(t)
	const keys, names, budget = 8, 500, 2 << 20
	var scopes []string
	for i := range names {
		scopes = append(scopes, fmt.Sprintf("%0900d:Get", i))
	}
	var secrets []string
	for range keys {
		k := testutil.Marker(t)
		srv.AddPAT(k, scopes, nil)
		secrets = append(secrets, k)
	}
	c := New(CacheBytes(budget))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range secrets {
		k, err := keysource.NewKey(keysource.KindKey, s)
		if err != nil {
			t.Fatal(err)
		}
		g, err := c.Grant(ctx, cc, k, "", "", "/clarifai.api.V2/PostInputs", withKey(s))
		if err != nil || len(g.Scopes()) != names {
			t.Fatalf("Grant = %d scopes, %v", len(g.Scopes()), err)
		}
	}
	if got := c.CachedBytes(); got > budget || got < budget/4 {
		t.Errorf("cache holds %d bytes, want at most the %d budget, and some", got, budget)
	}
	if n, _ := c.Sizes(); n == keys {
		t.Errorf("all %d grants kept", keys)
	}
	if New().o.maxBytes != defaultCacheBytes || defaultCacheBytes > 16<<20 {
		t.Errorf("default budget %d, want a few MiB", New().o.maxBytes)
	}
	// The counted size against the heap one grant takes, its names (fresh
	// from the wire in MyScopes) included.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fresh := make([]string, len(scopes))
	for i, s := range scopes {
		fresh[i] = strings.Clone(s)
	}
	g := newGrant(fresh, nil)
	runtime.ReadMemStats(&after)
	heap, counted := int64(after.TotalAlloc-before.TotalAlloc), g.size()
	if counted*2 < heap || counted > heap*2 {
		t.Errorf("a grant counted as %d bytes took %d of heap", counted, heap)
	}
}

// TestAttackLongAppIDs: the app's names come from the request, of any
// length, and a grant keeps them alive; the budget counts them, so calls
// for many apps with 64 KiB IDs cannot keep more than CacheBytes of them.
func TestAttackLongAppIDs(t *testing.T) {
	srv, cc := startFake(t)
	s := testutil.Marker(t)
	srv.AddPAT(s, postInputsScopes, nil)
	k, err := keysource.NewKey(keysource.KindKey, s)
	if err != nil {
		t.Fatal(err)
	}
	const calls, budget, long = 64, 1 << 20, 64 << 10
	c := New(CacheBytes(budget))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range calls {
		app := fmt.Sprintf("%0*d", long, i)
		if _, err := c.Grant(ctx, cc, k, "me", app, postInputs, withKey(s)); err != nil {
			t.Fatalf("Grant: %v", err)
		}
	}
	n, _ := c.Sizes()
	if got := c.CachedBytes(); got > budget || got < int64(n)*long {
		t.Errorf("cache counts %d bytes for %d grants of %d-byte app IDs, budget %d", got, n, long, budget)
	}
	if n > budget/long {
		t.Errorf("cache keeps %d grants with %d-byte app IDs (%d bytes), budget %d", n, long, n*long, budget)
	}
}
