package clarifaiauth_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
)

const rotationCallers = 8

// rotationSize is how many calls (in total, at least) and key rotations (at
// least) TestRotationUnderLoad makes: 20,000 and 200 in a soak.
func rotationSize() (calls, rotations int) {
	if testutil.Soak() {
		return 20000, 200
	}
	return 2000, 40
}

// rotatingKey is the i-th key the rotation tests write.
func rotatingKey(i int) string { return fmt.Sprintf("rotation-key-%06d-0000000000000000", i) }

// TestRotationUnderLoad makes at least 2,000 calls (20,000 in a soak) from
// 8 goroutines through the interceptors to a real gRPC server while the key
// file is rotated at least 40 times (200), alternately by Kubernetes' ..data symlink swap and by an
// atomic rename of the key file itself, and requires every call to succeed
// with a complete key that was written at some point. The fake server knows
// every key written, so a torn or empty key would fail the call.
func TestRotationUnderLoad(t *testing.T) {
	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	rotationCalls, rotationRotations := rotationSize()
	rotations := rotationRotations + rotationRotations/4
	for i := 0; i <= rotations; i++ {
		fake.AddPAT(rotatingKey(i), []string{"All"}, nil)
	}
	defer fake.Stop()

	path, rotate := kubernetesLayout(t, t.TempDir())
	rotate(0)
	var reportedErrs atomic.Int64
	src := keysource.File(path,
		keysource.RefreshInterval(time.Millisecond),
		keysource.OnError(func(error) { reportedErrs.Add(1) }))
	conn, err := fake.Dial(clarifaiauth.DialOptions(src, interceptor.AllowInsecureTransport())...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewV2Client(conn)

	var calls, failures atomic.Int64
	start := time.Now()
	rotatorDone := make(chan struct{})
	go func() {
		defer close(rotatorDone)
		// Rotations are paced by the calls, not the clock, so that calls
		// and rotations interleave however slow the machine is.
		perRotation := int64(rotationCalls / (2 * rotations))
		for i := 1; i <= rotations; i++ {
			for calls.Load() < int64(i)*perRotation {
				time.Sleep(200 * time.Microsecond)
			}
			rotate(i)
		}
	}()

	var firstErr atomic.Value
	var wg sync.WaitGroup
	for g := 0; g < rotationCallers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}, ModelId: "m"}
			for n := 0; ; n++ {
				select {
				case <-rotatorDone:
					if n >= rotationCalls/rotationCallers {
						return
					}
				default:
				}
				calls.Add(1)
				if _, err := client.PostModelOutputs(context.Background(), req); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	if f := failures.Load(); f != 0 {
		t.Fatalf("%d of %d calls failed; first: %v", f, calls.Load(), firstErr.Load())
	}
	valid := make(map[string]bool, rotations+1)
	for i := 0; i <= rotations; i++ {
		valid["Key "+rotatingKey(i)] = true
	}
	seen := make(map[string]int)
	serverCalls := fake.Calls()
	for _, c := range serverCalls {
		auth := c.Header("authorization")
		if len(auth) != 1 || !valid[auth[0]] {
			t.Fatalf("a call carried %d authorization values, first %.30q…; want one complete written key", len(auth), auth)
		}
		seen[auth[0]]++
	}
	if int64(len(serverCalls)) != calls.Load() || calls.Load() < int64(rotationCalls) {
		t.Fatalf("server saw %d calls, clients made %d; want equal and ≥ %d", len(serverCalls), calls.Load(), rotationCalls)
	}
	if len(seen) < 10 {
		t.Errorf("calls carried only %d distinct keys over %d rotations: rotation not picked up", len(seen), rotations)
	}
	t.Logf("%d calls from %d goroutines in %v (%.0f calls/s), %d rotations, %d distinct keys sent, %d transient read errors reported",
		calls.Load(), rotationCallers, elapsed.Round(time.Millisecond), float64(calls.Load())/elapsed.Seconds(),
		rotations, len(seen), reportedErrs.Load())
}

// kubernetesLayout mimics a Kubernetes secret volume: the key file is a
// symlink through "..data", itself a symlink to a timestamped directory.
// Even rotations write a new directory, atomically rename a new "..data"
// symlink over the old one and remove the old directory, as the kubelet
// does; odd rotations rename a new file over the key inside the current
// directory, as most other secret agents do.
func kubernetesLayout(t *testing.T, dir string) (string, func(int)) {
	path := filepath.Join(dir, "pat")
	if err := os.Symlink(filepath.Join("..data", "pat"), path); err != nil {
		t.Fatal(err)
	}
	current := ""
	return path, func(i int) {
		if i%2 == 1 {
			tmp := filepath.Join(dir, current, ".pat.tmp")
			if err := os.WriteFile(tmp, []byte(rotatingKey(i)+"\n"), 0o600); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(tmp, filepath.Join(dir, current, "pat")); err != nil {
				t.Error(err)
			}
			return
		}
		ts := fmt.Sprintf("..2026_11_27_%06d", i)
		if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
			t.Error(err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, ts, "pat"), []byte(rotatingKey(i)), 0o600); err != nil {
			t.Error(err)
			return
		}
		tmpLink := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(ts, tmpLink); err != nil {
			t.Error(err)
			return
		}
		if err := os.Rename(tmpLink, filepath.Join(dir, "..data")); err != nil {
			t.Error(err)
			return
		}
		if current != "" {
			os.RemoveAll(filepath.Join(dir, current))
		}
		current = ts
	}
}
