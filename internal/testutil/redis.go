package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RedisServer is a redis-server process started for one test by Redis.
type RedisServer struct {
	// Addr is the server's loopback address, host:port.
	Addr string

	t    testing.TB
	path string
	dir  string

	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed when proc has exited
}

// redisStartTimeout bounds how long Redis waits for the server to answer.
const redisStartTimeout = 10 * time.Second

// Redis starts redis-server on a free loopback port, with no persistence,
// in a temporary directory, and kills it when the test ends. It fails the
// test (it never skips it) when redis-server is missing or does not start.
func Redis(t testing.TB) *RedisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("this test needs redis-server, which is not installed (.ci/run installs it): %v", err)
	}
	r := &RedisServer{t: t, path: path, dir: t.TempDir()}
	t.Cleanup(r.Kill)
	// Another process can take the free port between choosing and binding
	// it: try a few ports.
	var last error
	for range 5 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.Addr = l.Addr().String()
		l.Close()
		if last = r.start(); last == nil {
			return r
		}
	}
	t.Fatalf("redis-server did not start: %v", last)
	return nil
}

// Kill stops the server at once (SIGKILL), as a crash would: commands fail
// to connect until Restart.
func (r *RedisServer) Kill() {
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
	if err := r.start(); err != nil {
		r.t.Fatalf("redis-server did not restart: %v", err)
	}
}

// Pause freezes the server (SIGSTOP): it accepts connections but answers
// nothing, like a server stalled by load, until Resume.
func (r *RedisServer) Pause() { r.signal(syscall.SIGSTOP) }

// Resume lets a paused server answer again.
func (r *RedisServer) Resume() { r.signal(syscall.SIGCONT) }

func (r *RedisServer) signal(s syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		_ = r.proc.Signal(s)
	}
}

// start runs redis-server on r.Addr and waits until it answers PING.
func (r *RedisServer) start() error {
	host, port, _ := net.SplitHostPort(r.Addr)
	out := &syncWriter{w: new(strings.Builder)}
	cmd := exec.Command(r.path,
		"--bind", host, "--port", port,
		"--save", "", "--appendonly", "no",
		"--dir", r.dir, "--daemonize", "no", "--logfile", "")
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

// ping reports whether a Redis server at addr answers PING.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
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
