package testutil

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a target (a Redis), and can hold its
// bytes (Pause) or delay them (SetDelay), like a stalled or distant server.
type Proxy struct {
	// Addr is the proxy's loopback address.
	Addr string

	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	delay  time.Duration
	conns  map[net.Conn]bool
	closed bool
}

// NewProxy starts a proxy to target, closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// Pause holds every byte until Resume.
func (p *Proxy) Pause() { p.set(func() { p.paused = true }) }

// Resume forwards the bytes held and those to come.
func (p *Proxy) Resume() { p.set(func() { p.paused = false }) }

// SetDelay delays every write each way by d (a round trip costs 2d).
func (p *Proxy) SetDelay(d time.Duration) { p.set(func() { p.delay = d }) }

// Drop closes the connections open now, as a server that died would.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func (p *Proxy) set(f func()) {
	p.mu.Lock()
	f()
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed, p.paused = true, false
	p.cond.Broadcast()
	p.mu.Unlock()
	p.ln.Close()
	p.Drop()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			u.Close()
			return
		}
		p.conns[c], p.conns[u] = true, true
		p.mu.Unlock()
		p.wg.Go(func() { p.pump(u, c) })
		p.wg.Go(func() { p.pump(c, u) })
	}
}

// pump copies from src to dst, holding or delaying each read.
func (p *Proxy) pump(dst, src net.Conn) {
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.paused {
				p.cond.Wait()
			}
			d := p.delay
			p.mu.Unlock()
			time.Sleep(d)
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
