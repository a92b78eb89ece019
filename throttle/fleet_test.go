package throttle_test

import (
	"context"
	"flag"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"

	"github.com/grpc-keyauth/clarifaiauth"
	"github.com/grpc-keyauth/clarifaiauth/clarifaifake"
	"github.com/grpc-keyauth/clarifaiauth/interceptor"
	pb "github.com/grpc-keyauth/clarifaiauth/internal/clarifaitest"
	"github.com/grpc-keyauth/clarifaiauth/internal/testutil"
	"github.com/grpc-keyauth/clarifaiauth/keysource"
	"github.com/grpc-keyauth/clarifaiauth/throttle"
)

var baseline = flag.Bool("throttle.baseline", false, "also run the fleet without a limiter (TestFleetWithoutLimiter), for the README's figures")

// The fleet: three pods (connections), ten workers each, calling for three
// seconds with one PAT against a server that allows the PAT 30 calls a
// second (and 30 at once); the pods share a Redis budget of 27 a second.
const (
	fleetPods     = 3
	fleetWorkers  = 10
	fleetDuration = 3 * time.Second
	serverRate    = 30
	budgetRate    = 27
)

// fleetResult is what a fleet run did.
type fleetResult struct {
	sent      int // calls the server received (attempts)
	throttled int // of them, answered CONN_THROTTLED
	succeeded int // of them, answered SUCCESS
	failed    int // calls that returned an error to the worker
	elapsed   time.Duration
}

func (r fleetResult) throttledShare() float64 { return float64(r.throttled) / float64(max(r.sent, 1)) }
func (r fleetResult) rate() float64           { return float64(r.succeeded) / r.elapsed.Seconds() }

// runFleet runs the fleet; limiter returns pod i's limiter (nil: none),
// and mid, if set, runs halfway through.
func runFleet(t *testing.T, limiter func(pod int) interceptor.Limiter, mid func()) fleetResult {
	t.Helper()
	fake, err := clarifaifake.New()
	if err != nil {
		t.Fatal(err)
	}
	fake.Start()
	defer fake.Stop()
	const secret = "fleet-pat-0123456789abcdef"
	fake.AddPAT(secret, []string{"All"}, nil)
	fake.SetRateLimit(serverRate, serverRate)
	key, err := keysource.NewKey(keysource.KindPAT, secret)
	if err != nil {
		t.Fatal(err)
	}

	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(fleetDuration)
	for pod := range fleetPods {
		icOpts := []interceptor.Option{interceptor.AllowInsecureTransport()}
		if limiter != nil {
			icOpts = append(icOpts, interceptor.WithThrottle(limiter(pod)))
		}
		// As NewClient chains them: retry first, so that the limiter sees
		// every attempt.
		conn, err := fake.Dial(append([]grpc.DialOption{
			grpc.WithChainUnaryInterceptor(retry.UnaryClientInterceptor(clarifaiauth.RetryOptions()...)),
		}, clarifaiauth.DialOptions(key, icOpts...)...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client := pb.NewV2Client(conn)
		for range fleetWorkers {
			wg.Go(func() {
				for time.Now().Before(stop) {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					_, err := client.PostModelOutputs(ctx, &pb.PostModelOutputsRequest{
						UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: "app"}, ModelId: "m"})
					cancel()
					if err != nil {
						if failed.Add(1) <= 3 {
							t.Errorf("a call failed: %v", err)
						}
					} else {
						ok.Add(1)
					}
				}
			})
		}
	}
	if mid != nil {
		time.Sleep(fleetDuration / 2)
		mid()
	}
	wg.Wait()
	r := fleetResult{failed: int(failed.Load()), elapsed: time.Since(start)}
	for _, c := range fake.Calls() {
		r.sent++
		for _, code := range c.Codes {
			switch code {
			case 11005:
				r.throttled++
			case 10000:
				r.succeeded++
			}
		}
	}
	t.Logf("%d pods × %d workers, %v: %d calls sent, %d throttled (%.1f %%), %d succeeded (%.1f/s; server allows %d/s), %d failed",
		fleetPods, fleetWorkers, r.elapsed.Round(10*time.Millisecond), r.sent, r.throttled, 100*r.throttledShare(),
		r.succeeded, r.rate(), serverRate, r.failed)
	return r
}

// redisPods returns limiters sharing a budget of budgetRate in the Redis at
// addr, one client each, each falling back to its share of the rate.
func redisPods(t *testing.T, addr string, out *logs) func(int) interceptor.Limiter {
	return func(int) interceptor.Limiter {
		c, _ := redisClient(t, addr)
		return throttle.Redis(c, budgetRate, budgetRate,
			throttle.FallbackRate(budgetRate/fleetPods, budgetRate/fleetPods), throttle.Logger(out.logger()))
	}
}

// TestFleet: a fleet sharing a Redis budget under the server's limit is
// seldom throttled and gets most of the rate it is allowed.
func TestFleet(t *testing.T) {
	r := testutil.Redis(t)
	var out logs
	res := runFleet(t, redisPods(t, r.Addr, &out), nil)
	if res.failed > 0 {
		t.Errorf("%d calls failed", res.failed)
	}
	if s := res.throttledShare(); s > 0.02 {
		t.Errorf("%.1f %% of calls throttled, want at most 2 %%", 100*s)
	}
	if got, want := res.rate(), 0.75*budgetRate; got < want {
		t.Errorf("%.1f calls/s succeeded, want at least %.1f (75 %% of the budget)", got, want)
	}
	if s := out.String(); s != "" {
		t.Logf("limiter logs:\n%s", s)
	}
}

// TestFleetRedisKilled: Redis dies halfway through; no call fails.
func TestFleetRedisKilled(t *testing.T) {
	r := testutil.Redis(t)
	var out logs
	res := runFleet(t, redisPods(t, r.Addr, &out), r.Kill)
	if res.failed > 0 {
		t.Errorf("%d calls failed", res.failed)
	}
	if res.succeeded == 0 {
		t.Error("no call succeeded")
	}
	t.Logf("limiter logs:\n%s", out.String())
}

// TestFleetWithoutLimiter runs the fleet with no limiter, for comparison:
// go test ./throttle -run TestFleet -v -throttle.baseline
func TestFleetWithoutLimiter(t *testing.T) {
	if !*baseline {
		t.Skip("a comparison, not a check: run with -throttle.baseline")
	}
	runFleet(t, nil, nil)
}
