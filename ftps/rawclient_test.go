package ftps_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawClient speaks the control protocol line by line, so tests can send
// exactly what a hostile or unusual client sends and check each reply.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	tls  *tls.Config
}

func dialRaw(t *testing.T, addr string, implicit bool, cfg *tls.Config) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		tc := tls.Client(conn, cfg)
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		conn = tc
	}
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn), tls: cfg}
	t.Cleanup(func() { c.conn.Close() })
	c.expect(220)
	return c
}

// reply reads one complete (possibly multi-line) reply.
func (c *rawClient) reply() (int, string) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	if len(line) < 4 {
		c.t.Fatalf("short reply %q", line)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil {
		c.t.Fatalf("bad reply %q", line)
	}
	text := strings.TrimRight(line[4:], "\r\n")
	if line[3] == '-' {
		end := line[:3] + " "
		for {
			l, err := c.r.ReadString('\n')
			if err != nil {
				c.t.Fatalf("reading multi-line reply: %v", err)
			}
			text += "\n" + strings.TrimRight(l, "\r\n")
			if strings.HasPrefix(l, end) {
				break
			}
		}
	}
	return code, text
}

func (c *rawClient) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("sending %q: %v", line, err)
	}
}

// cmd sends a command and returns its reply.
func (c *rawClient) cmd(line string) (int, string) {
	c.t.Helper()
	c.send(line)
	return c.reply()
}

func (c *rawClient) expect(code int) string {
	c.t.Helper()
	got, text := c.reply()
	if got != code {
		c.t.Fatalf("want reply %d, got %d %q", code, got, text)
	}
	return text
}

// must sends a command and fails unless the reply has the given code.
func (c *rawClient) must(line string, code int) string {
	c.t.Helper()
	c.send(line)
	got, text := c.reply()
	if got != code {
		c.t.Fatalf("%s: want %d, got %d %q", strings.SplitN(line, " ", 2)[0], code, got, text)
	}
	return text
}

// secure runs AUTH TLS, PBSZ 0 and PROT P.
func (c *rawClient) secure() {
	c.t.Helper()
	c.must("AUTH TLS", 234)
	c.startTLS()
	c.must("PBSZ 0", 200)
	c.must("PROT P", 200)
}

// startTLS handshakes on the control connection after a 234 reply.
func (c *rawClient) startTLS() {
	c.t.Helper()
	tc := tls.Client(c.conn, c.tls)
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

func tlsClientConn(conn net.Conn, cfg *tls.Config) *tls.Conn { return tls.Client(conn, cfg) }

func (c *rawClient) login(user, pass string) {
	c.t.Helper()
	c.must("USER "+user, 331)
	c.must("PASS "+pass, 230)
}

var epsvPort = regexp.MustCompile(`\(\|\|\|(\d+)\|\)`)

// openData sends EPSV and connects to the announced port; with tlsData it
// starts TLS on the data connection (the client side of RFC 4217).
func (c *rawClient) openData(tlsData bool) net.Conn {
	c.t.Helper()
	text := c.must("EPSV", 229)
	m := epsvPort.FindStringSubmatch(text)
	if m == nil {
		c.t.Fatalf("bad EPSV reply %q", text)
	}
	host, _, _ := net.SplitHostPort(c.conn.RemoteAddr().String())
	dc, err := net.DialTimeout("tcp", net.JoinHostPort(host, m[1]), 5*time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	if !tlsData {
		return dc
	}
	return &lazyTLS{Conn: dc, cfg: c.tls}
}

// openActive listens on 127.0.0.1 and sends EPRT, so the server connects
// to the client (active mode); with tlsData the client side of TLS runs
// on the accepted connection. The connection is accepted at first use.
func (c *rawClient) openActive(tlsData bool) net.Conn {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { ln.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	c.must(fmt.Sprintf("EPRT |1|127.0.0.1|%d|", port), 200)
	a := &activeConn{ln: ln}
	if tlsData {
		a.cfg = c.tls
	}
	return a
}

// activeConn is the client's end of an active-mode data connection,
// accepted from the server when first used.
type activeConn struct {
	ln   net.Listener
	cfg  *tls.Config
	conn net.Conn
	raw  net.Conn
	err  error
}

func (a *activeConn) get() (net.Conn, error) {
	if a.conn == nil && a.err == nil {
		a.ln.(*net.TCPListener).SetDeadline(time.Now().Add(15 * time.Second))
		a.raw, a.err = a.ln.Accept()
		a.ln.Close()
		if a.err == nil {
			a.conn = a.raw
			if a.cfg != nil {
				a.conn = tls.Client(a.raw, a.cfg)
			}
		}
	}
	return a.conn, a.err
}

func (a *activeConn) Read(p []byte) (int, error) {
	c, err := a.get()
	if err != nil {
		return 0, err
	}
	return c.Read(p)
}

func (a *activeConn) Write(p []byte) (int, error) {
	c, err := a.get()
	if err != nil {
		return 0, err
	}
	return c.Write(p)
}

// Close does not wait for a connection that was never accepted.
func (a *activeConn) Close() error {
	if a.conn == nil {
		return a.ln.Close()
	}
	return a.conn.Close()
}

func (a *activeConn) LocalAddr() net.Addr  { return a.ln.Addr() }
func (a *activeConn) RemoteAddr() net.Addr { return a.ln.Addr() }

func (a *activeConn) SetDeadline(t time.Time) error {
	c, err := a.get()
	if err != nil {
		return err
	}
	return c.SetDeadline(t)
}

func (a *activeConn) SetReadDeadline(t time.Time) error {
	c, err := a.get()
	if err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (a *activeConn) SetWriteDeadline(t time.Time) error {
	c, err := a.get()
	if err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// rawTCP is the TCP connection under a data connection from openData or
// openActive, to cut it without TLS's close_notify.
func rawTCP(t *testing.T, dc net.Conn) *net.TCPConn {
	t.Helper()
	switch c := dc.(type) {
	case *lazyTLS:
		return c.Conn.(*net.TCPConn)
	case *activeConn:
		if _, err := c.get(); err != nil {
			t.Fatal(err)
		}
		return c.raw.(*net.TCPConn)
	case *net.TCPConn:
		return c
	}
	t.Fatalf("no TCP connection under %T", dc)
	return nil
}

// lazyTLS starts the client handshake at first use, as real clients do
// only after the transfer command: the server handshakes after 150.
type lazyTLS struct {
	net.Conn
	cfg *tls.Config
	tc  *tls.Conn
}

func (l *lazyTLS) conn() *tls.Conn {
	if l.tc == nil {
		l.tc = tls.Client(l.Conn, l.cfg)
	}
	return l.tc
}

func (l *lazyTLS) Read(p []byte) (int, error)  { return l.conn().Read(p) }
func (l *lazyTLS) Write(p []byte) (int, error) { return l.conn().Write(p) }
func (l *lazyTLS) Close() error                { return l.conn().Close() }

// transfer sends a transfer command on an open data connection and
// returns everything the server sent over it, plus the final reply.
func (c *rawClient) download(line string, dc net.Conn) ([]byte, int, string) {
	c.t.Helper()
	c.send(line)
	code, text := c.reply()
	if code != 150 {
		dc.Close()
		return nil, code, text
	}
	dc.SetDeadline(time.Now().Add(15 * time.Second))
	data, err := io.ReadAll(dc)
	dc.Close()
	if err != nil {
		c.t.Fatalf("reading data: %v", err)
	}
	code, text = c.reply()
	return data, code, text
}

func (c *rawClient) upload(line string, dc net.Conn, data []byte) (int, string) {
	c.t.Helper()
	c.send(line)
	code, text := c.reply()
	if code != 150 {
		dc.Close()
		return code, text
	}
	dc.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := dc.Write(data); err != nil {
		c.t.Fatalf("writing data: %v", err)
	}
	if err := dc.Close(); err != nil {
		c.t.Fatalf("closing data: %v", err)
	}
	return c.reply()
}

func (c *rawClient) String() string { return fmt.Sprintf("rawClient(%s)", c.conn.RemoteAddr()) }
