package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// RequireRedisEnv names the environment variable that, when set, makes a
// missing redis-server fail the tests instead of running them against an
// embedded Redis (.ci/run sets it).
const RequireRedisEnv = "CLARIFAIAUTH_REQUIRE_REDIS"

// RedisServer is a Redis started for one test by Redis: a redis-server
// process, or where none is installed an embedded miniredis behind a proxy.
type RedisServer struct {
	// Addr is the server's loopback address, host:port.
	Addr string

	t    testing.TB
	path string // redis-server; empty for miniredis
	dir  string

	mini  *miniredis.Miniredis
	proxy *Proxy

	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed when proc has exited
}

// redisStartTimeout bounds how long Redis waits for the server to answer.
const redisStartTimeout = 10 * time.Second

// Redis starts a Redis for the test, stopped when it ends, and logs which
// one: redis-server on a free loopback port, with no persistence, or where
// redis-server is not installed an embedded miniredis, unless
// RequireRedisEnv is set, which makes that a failure.
func Redis(t testing.TB) *RedisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireRedisEnv) != "" {
			t.Fatalf("redis-server is not installed, and %s is set: %v", RequireRedisEnv, err)
		}
		return miniRedis(t)
	}
	r := &RedisServer{t: t, path: path, dir: t.TempDir()}
	t.Cleanup(r.Kill)
	// Another process can take the free port between choosing and binding
	// it: try a few ports.
	var last error
	for range 5 {
		r.Addr = freeAddr(t)
		if last = r.start(r.args()); last == nil {
			t.Logf("Redis: redis-server (%s) at %s", path, r.Addr)
			return r
		}
	}
	t.Fatalf("redis-server did not start: %v", last)
	return nil
}

// miniRedis starts an embedded Redis behind a proxy, which can pause it.
func miniRedis(t testing.TB) *RedisServer {
	t.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		t.Fatalf("miniredis did not start: %v", err)
	}
	r := &RedisServer{t: t, mini: m}
	r.proxy = NewProxy(t, m.Addr())
	r.Addr = r.proxy.Addr
	t.Cleanup(m.Close)
	t.Logf("Redis: embedded miniredis at %s (redis-server is not installed; set %s to require it)", r.Addr, RequireRedisEnv)
	return r
}

// Real reports whether r is a redis-server process.
func (r *RedisServer) Real() bool { return r.mini == nil }

// Kill stops the server at once, as a crash would: commands fail until
// Restart.
func (r *RedisServer) Kill() {
	if r.mini != nil {
		r.mini.Close()
		r.proxy.Drop()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return
	}
	_ = r.proc.Kill()
	<-r.exited
	r.proc = nil
}

// Restart starts a killed server again, empty, on the same address.
func (r *RedisServer) Restart() {
	r.t.Helper()
	if r.mini != nil {
		if err := r.mini.Restart(); err != nil {
			r.t.Fatalf("miniredis did not restart: %v", err)
		}
		r.mini.FlushAll()
		return
	}
	if err := r.start(r.args()); err != nil {
		r.t.Fatalf("redis-server did not restart: %v", err)
	}
}

// Pause freezes the server: it accepts connections but answers nothing,
// like a server stalled by load, until Resume.
func (r *RedisServer) Pause() {
	if r.mini != nil {
		r.proxy.Pause()
		return
	}
	r.signal(syscall.SIGSTOP)
}

// Resume lets a paused server answer again.
func (r *RedisServer) Resume() {
	if r.mini != nil {
		r.proxy.Resume()
		return
	}
	r.signal(syscall.SIGCONT)
}

func (r *RedisServer) signal(s syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		_ = r.proc.Signal(s)
	}
}

func (r *RedisServer) args() []string {
	host, port, _ := net.SplitHostPort(r.Addr)
	return []string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--daemonize", "no", "--logfile", ""}
}

// start runs redis-server with args and waits until it answers PING at
// r.Addr.
func (r *RedisServer) start(args []string) error {
	out := &syncWriter{w: new(strings.Builder)}
	cmd := exec.Command(r.path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(redisStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("%v: %s", waitErr, Clip(out.String(), 2000))
		default:
		}
		if ping(r.Addr) {
			r.mu.Lock()
			r.proc, r.exited = cmd.Process, exited
			r.mu.Unlock()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("no answer to PING within " + redisStartTimeout.String())
}

// RedisCluster starts a Redis Cluster of three masters (redis-server
// processes, slots split in three) and returns their addresses. It skips
// the test when redis-server is not installed, unless RequireRedisEnv is
// set, which makes that a failure: miniredis has no cluster.
func RedisCluster(t testing.TB) []string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireRedisEnv) != "" {
			t.Fatalf("redis-server is not installed, and %s is set: %v", RequireRedisEnv, err)
		}
		t.Skipf("a Redis Cluster needs redis-server, which is not installed (set %s to make this a failure)", RequireRedisEnv)
	}
	var nodes []*RedisServer
	for i := range 3 {
		r := &RedisServer{t: t, path: path, dir: t.TempDir()}
		t.Cleanup(r.Kill)
		var last error
		for range 5 {
			r.Addr = freeAddr(t)
			if last = r.start(append(r.args(), "--cluster-enabled", "yes",
				"--cluster-config-file", r.dir+"/nodes.conf")); last == nil {
				break
			}
		}
		if last != nil {
			t.Fatalf("cluster node %d did not start: %v", i, last)
		}
		nodes = append(nodes, r)
	}
	const slots = 16384
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
		lo, hi := i*slots/len(nodes), (i+1)*slots/len(nodes)-1
		if _, err := command(n.Addr, "CLUSTER", "ADDSLOTSRANGE", fmt.Sprint(lo), fmt.Sprint(hi)); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
		}
		if i > 0 {
			host, port, _ := net.SplitHostPort(n.Addr)
			if _, err := command(nodes[0].Addr, "CLUSTER", "MEET", host, port); err != nil {
				t.Fatalf("CLUSTER MEET: %v", err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range nodes {
		for {
			info, err := command(n.Addr, "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cluster is not ok after 20 s: %q, %v", info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("Redis: a cluster of three redis-server masters at %v", addrs)
	return addrs
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// command sends one command to the Redis at addr and returns its reply: a
// simple string, error or a bulk string.
func command(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	rd := bufio.NewReader(c)
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "-"):
		return "", errors.New(line[1:])
	case strings.HasPrefix(line, "$"):
		var n int
		fmt.Sscan(line[1:], &n)
		if n < 0 {
			return "", nil // nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return strings.TrimPrefix(line, "+"), nil
}

// ping reports whether a Redis server at addr answers PING.
func ping(addr string) bool {
	s, err := command(addr, "PING")
	return err == nil && s == "PONG"
}

// syncWriter is a strings.Builder safe for the writes of a process's
// stdout and stderr and a concurrent read.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
