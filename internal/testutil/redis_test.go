package testutil

import (
	"strings"
	"testing"
	"time"
)

// TestRedis: the server answers once started, not once killed, again once
// restarted, and not while paused; whichever server runs.
func TestRedis(t *testing.T) {
	r := Redis(t)
	if !ping(r.Addr) {
		t.Fatal("no PONG from a started server")
	}
	if _, err := command(r.Addr, "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	r.Kill()
	if ping(r.Addr) {
		t.Fatal("PONG from a killed server")
	}
	r.Restart()
	if !ping(r.Addr) {
		t.Fatal("no PONG from a restarted server")
	}
	if v, err := command(r.Addr, "GET", "k"); err != nil || v != "" {
		t.Fatalf("a restarted server holds k=%q (%v), want it empty", v, err)
	}
	r.Pause()
	if ping(r.Addr) {
		t.Fatal("PONG from a paused server")
	}
	r.Resume()
	if !ping(r.Addr) {
		t.Fatal("no PONG from a resumed server")
	}
}

// TestProxyDelay: a delayed proxy adds its delay each way.
func TestProxyDelay(t *testing.T) {
	r := Redis(t)
	p := NewProxy(t, r.Addr)
	p.SetDelay(40 * time.Millisecond)
	start := time.Now()
	if !ping(p.Addr) {
		t.Fatal("no PONG through the proxy")
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("PING through a proxy delaying 40 ms each way took %v, want at least 80ms", d)
	}
}

// TestRedisCluster: three masters serve every slot.
func TestRedisCluster(t *testing.T) {
	addrs := RedisCluster(t)
	if len(addrs) != 3 {
		t.Fatalf("%d nodes, want 3", len(addrs))
	}
	for _, a := range addrs {
		if info, err := command(a, "CLUSTER", "INFO"); err != nil || !strings.Contains(info, "cluster_slots_assigned:16384") {
			t.Errorf("%s: CLUSTER INFO %q, %v", a, info, err)
		}
	}
}
