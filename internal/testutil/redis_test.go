package testutil

import "testing"

// TestRedis: the server answers once started, not once killed, again once
// restarted, and not while paused.
func TestRedis(t *testing.T) {
	r := Redis(t)
	if !ping(r.Addr) {
		t.Fatal("no PONG from a started server")
	}
	r.Kill()
	if ping(r.Addr) {
		t.Fatal("PONG from a killed server")
	}
	r.Restart()
	if !ping(r.Addr) {
		t.Fatal("no PONG from a restarted server")
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
