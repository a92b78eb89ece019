package clarifaiauth_test

// The end-to-end part of the adversarial suite (issue 13): a real gRPC
// server (clarifaifake), connections built by DialOptions, a fresh marker
// key per test searched for in every error with testutil.NoSecret, every
// call under a deadline it must not outlive, and goleak over the package.
//
// Attacks covered here and beside:
//   - 12 a rejected key keeps being served: TestAttackRejectedKey
//   - 13 a key over a plaintext connection: TestAttackPlaintextTransport
//     (transport_test.go)
//   - 14 keysource.WithKey follows the context: TestAttackWithKeyFollowsContext

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"google.golang.org/grpc"
)

// callWithin makes one PostModelOutputs call with a 5 s deadline and fails
// the test if the call returns more than a second after it.
func callWithin(t *testing.T, client pb.V2Client, ctx context.Context, opts ...grpc.CallOption) error {
	t.Helper()
	const deadline = 5 * time.Second
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	start := time.Now()
	_, err := client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "u", AppId: "a"}}, opts...)
	if d := time.Since(start); d > deadline+time.Second {
		t.Errorf("the call took %v with a %v deadline", d, deadline)
	}
	return err
}

// TestAttackRejectedKey (attack 12): when Clarifai rejects the key a source
// gave, File, ClarifaiConfig and Cached serve the rotated key on the next
// call, long before their refresh interval or TTL (an hour here) ends; a
// key that stays bad makes at most one early refresh per few seconds, so it
// cannot hammer a secret manager.
func TestAttackRejectedKey(t *testing.T) {
	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	bad, good := testutil.Marker(t), testutil.Marker(t)
	fake.AddPAT(good, []string{"All"}, nil) // bad is unknown to the server
	defer fake.Stop()
	config := func(pat string) string {
		return "current_context: a\ncontexts:\n  a:\n    CLARIFAI_PAT: " + pat + "\n"
	}
	write := func(path, content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, mk := range map[string]func(dir string) (src keysource.Source, rotate func()){
		"File": func(dir string) (keysource.Source, func()) {
			path := filepath.Join(dir, "key")
			write(path, bad)
			return keysource.File(path, keysource.RefreshInterval(time.Hour)), func() { write(path, good) }
		},
		"ClarifaiConfig": func(dir string) (keysource.Source, func()) {
			path := filepath.Join(dir, "config")
			write(path, config(bad))
			return keysource.ClarifaiConfig(path, keysource.RefreshInterval(time.Hour)), func() { write(path, config(good)) }
		},
		"Cached": func(string) (keysource.Source, func()) {
			var current atomic.Pointer[string]
			current.Store(&bad)
			inner := keysource.SourceFunc(func(context.Context) (keysource.Key, error) {
				return keysource.NewKey(keysource.KindKey, *current.Load())
			})
			return keysource.Cached(inner, time.Hour), func() { current.Store(&good) }
		},
	} {
		t.Run(name, func(t *testing.T) {
			src, rotate := mk(t.TempDir())
			conn, err := fake.Dial(clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			client := pb.NewV2Client(conn)
			err = callWithin(t, client, context.Background())
			if err == nil {
				t.Fatal("the server accepted an unknown key")
			}
			testutil.NoSecretIn(t, "rejection", err, bad, good)
			rotate() // the new key lands after the rejection
			if err := callWithin(t, client, context.Background()); err != nil {
				t.Fatalf("the call after the rejection: %v (the rejected key was served again)", err)
			}
			testutil.NoSecretIn(t, "source", src, bad, good)
		})
	}

	t.Run("a key that stays bad", func(t *testing.T) {
		var fetches atomic.Int64
		src := keysource.Cached(keysource.SourceFunc(func(context.Context) (keysource.Key, error) {
			fetches.Add(1)
			return keysource.NewKey(keysource.KindKey, bad)
		}), time.Hour)
		conn, err := fake.Dial(clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client := pb.NewV2Client(conn)
		start := time.Now()
		for range 50 {
			err := callWithin(t, client, context.Background())
			if err == nil {
				t.Fatal("the server accepted an unknown key")
			}
			testutil.NoSecretIn(t, "rejection", err, bad)
		}
		// The first fetch, and one early refresh after the first
		// rejection; the rest fall within the rate limit's window.
		if n := fetches.Load(); n != 2 && time.Since(start) < 5*time.Second {
			t.Errorf("%d fetches for 50 rejected calls, want 2", n)
		}
	})
}

// TestAttackWithKeyFollowsContext (attack 14, documented behaviour): a key
// put in a context with keysource.WithKey travels with that context into
// every connection built with this library, not only the one the caller had
// in mind, and overrides that connection's own Source; a zero Key removes
// the override. interceptor.CallKey stays with its call. A server that does
// not know the key refuses it, and no error shows it.
func TestAttackWithKeyFollowsContext(t *testing.T) {
	ownA, ownB, override := testutil.Marker(t), testutil.Marker(t), testutil.Marker(t)
	key := func(s string) keysource.Key {
		k, err := keysource.NewKey(keysource.KindKey, s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	srvA, connA := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(staticSource(ownA), interceptor.AllowInsecureTransport())...)
	srvB, connB := clarifaifake.NewForTest(t, clarifaiauth.DialOptions(staticSource(ownB), interceptor.AllowInsecureTransport())...)
	srvA.AddPAT(ownA, []string{"All"}, nil)
	srvA.AddPAT(override, []string{"All"}, nil)
	srvB.AddPAT(ownB, []string{"All"}, nil)
	a, b := pb.NewV2Client(connA), pb.NewV2Client(connB)
	sent := func(srv *clarifaifake.Server) string {
		t.Helper()
		calls := srv.Calls()
		if len(calls) == 0 {
			t.Fatal("the server saw no call")
		}
		auth := calls[len(calls)-1].Header("authorization")
		if len(auth) != 1 {
			t.Fatalf("authorization = %d values", len(auth))
		}
		return auth[0]
	}
	secrets := []string{ownA, ownB, override}

	ctx := keysource.WithKey(context.Background(), key(override))
	if err := callWithin(t, a, ctx); err != nil || sent(srvA) != "Key "+override {
		t.Fatalf("connection A with the override: %v", err)
	}
	// The same context on another connection carries the override too.
	err := callWithin(t, b, ctx)
	if got := sent(srvB); got != "Key "+override {
		t.Errorf("connection B sent %s, want the override (WithKey follows the context)", testutil.Clip(got, 12))
	}
	if err == nil {
		t.Error("connection B's server accepted a key it does not know")
	}
	testutil.NoSecretIn(t, "connection B's refusal", err, secrets...)
	// A zero Key removes the override: B's own key again.
	if err := callWithin(t, b, keysource.WithKey(ctx, keysource.Key{})); err != nil || sent(srvB) != "Key "+ownB {
		t.Errorf("connection B without the override: %v", err)
	}
	// CallKey is an option of one call: the next call, on either
	// connection, uses the connection's own key.
	if err := callWithin(t, a, context.Background(), interceptor.CallKey(key(override))); err != nil || sent(srvA) != "Key "+override {
		t.Errorf("CallKey on connection A: %v", err)
	}
	if err := callWithin(t, b, context.Background()); err != nil || sent(srvB) != "Key "+ownB {
		t.Errorf("connection B after a CallKey on A: %v", err)
	}
}
