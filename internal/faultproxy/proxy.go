// Package faultproxy is a TCP proxy on loopback that breaks connections on
// demand, for tests that put a real store behind a bad network: cut a
// connection after some bytes, stall it, or delay every chunk.
//
// Faults apply per connection and per direction, counted from the
// connection's start, so small requests (an abort, a HEAD) can pass while
// large transfers on the same proxy break: the situation of a real
// flaky link, and the one where cleanup must still work.
package faultproxy

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault describes what happens to connections opened from now on.
type Fault struct {
	// CutUpAfter and CutDownAfter reset a connection once that many bytes
	// went towards the store (up) or back to the client (down); 0 never.
	CutUpAfter, CutDownAfter int64
	// StallUpAfter stops forwarding towards the store after that many
	// bytes, without closing anything; 0 never.
	StallUpAfter int64
	// StallDownAfter stops forwarding back to the client after that many
	// bytes, without closing anything; 0 never.
	StallDownAfter int64
	// Delay is added before forwarding each chunk.
	Delay time.Duration
	// Times limits the cuts and stalls to that many; 0 means no limit.
	Times int
}

// Proxy forwards 127.0.0.1:port to a target address.
type Proxy struct {
	Addr   string
	target string
	l      net.Listener

	mu    sync.Mutex
	fault Fault
	hits  int
	// gen is closed by each Set, releasing the stalls of the previous
	// fault.
	gen   chan struct{}
	conns map[net.Conn]bool
	cut   atomic.Int64
}

// Start listens on a free loopback port and forwards to target; the test's
// cleanup closes it.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l, conns: map[net.Conn]bool{}, gen: make(chan struct{})}
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Set replaces the fault, closing every open connection so that the
// client's pooled connections cannot bypass it: the new fault applies to
// every connection from now on.
func (p *Proxy) Set(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault, p.hits = f, 0
	close(p.gen)
	p.gen = make(chan struct{})
	for c := range p.conns {
		c.Close()
	}
}

// Heal removes all faults and closes the connections open now (so that
// stalled ones end and clients reconnect through a clean proxy).
func (p *Proxy) Heal() { p.Set(Fault{}) }

// take reports whether one more cut or stall is allowed under f.Times.
func (p *Proxy) take(f Fault) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.Times > 0 && p.hits >= f.Times {
		return false
	}
	p.hits++
	return true
}

// Cuts returns how many connections the proxy has cut or stalled so far.
func (p *Proxy) Cuts() int64 { return p.cut.Load() }

func (p *Proxy) Close() {
	p.l.Close()
	p.Heal()
}

func (p *Proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	f, gen := p.fault, p.gen
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, client)
		delete(p.conns, server)
		p.mu.Unlock()
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client, f, gen, f.CutUpAfter, f.StallUpAfter) }()
	go func() { defer wg.Done(); p.pipe(client, server, f, gen, f.CutDownAfter, f.StallDownAfter) }()
	wg.Wait()
}

// pipe copies src to dst applying the faults; on return both ends are
// closed (a cut is a reset, as when a link drops).
func (p *Proxy) pipe(dst, src net.Conn, f Fault, gen chan struct{}, cutAfter, stallAfter int64) {
	defer func() {
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		dst.Close()
		src.Close()
	}()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		m, err := src.Read(buf)
		if m > 0 {
			if f.Delay > 0 {
				time.Sleep(f.Delay)
			}
			chunk := buf[:m]
			if cutAfter > 0 && n < cutAfter && n+int64(m) >= cutAfter && p.take(f) {
				dst.Write(chunk[:cutAfter-n])
				p.cut.Add(1)
				return
			}
			if stallAfter > 0 && n < stallAfter && n+int64(m) >= stallAfter && p.take(f) {
				dst.Write(chunk[:stallAfter-n])
				p.cut.Add(1)
				// Stop reading, so the sender's window fills and it
				// blocks, as behind a dead link, until the next Set.
				<-gen
				return
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
			n += int64(m)
		}
		if err != nil {
			return
		}
	}
}
