package ftps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

// proxyPolicy is a parsed proxy_protocol section.
type proxyPolicy struct {
	mode    string
	trusted []netip.Prefix
	timeout time.Duration
}

func newProxyPolicy(c ProxyProtocolConfig) proxyPolicy {
	nets, _ := parseNetworks(c.Trusted) // validated already
	return proxyPolicy{mode: c.mode(), trusted: nets, timeout: c.headerTimeout()}
}

func (p proxyPolicy) trusts(a netip.Addr) bool {
	for _, n := range p.trusted {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Why a connection was refused before it was served; logged, never sent.
var (
	errUntrustedSource = errors.New("PROXY protocol required, and the source is not a trusted load balancer")
	errNoHeader        = errors.New("PROXY protocol required, and the connection sent no header")
	errSlowHeader      = errors.New("PROXY header incomplete within proxy_protocol.header_timeout")
	errBadHeader       = errors.New("malformed PROXY header")
	errUntrustedHeader = errors.New("PROXY header from a source that is not a trusted load balancer")
)

// proxiedConn is a connection whose first bytes were a PROXY header (or
// were looked at for one): reads go through the buffer that holds what
// followed the header, and the addresses are the header's.
type proxiedConn struct {
	net.Conn
	r             io.Reader
	remote, local net.Addr
}

func (c *proxiedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *proxiedConn) RemoteAddr() net.Addr       { return c.remote }
func (c *proxiedConn) LocalAddr() net.Addr        { return c.local }

// admitted is the outcome of reading a connection's PROXY header.
type admitted struct {
	conn net.Conn // what to serve: addresses are the client's
	// via is the load balancer's address when a header named the client.
	via net.Addr
}

// readProxyHeader applies policy to a new connection. It runs in the
// connection's own goroutine, never in an accept loop, and waits at most
// the policy's timeout. sniff makes a connection from an untrusted source
// on an optional listener fail when it starts with a PROXY signature
// (control connections only: data may start with anything).
func readProxyHeader(conn net.Conn, policy proxyPolicy, sniff bool, log *slog.Logger) (admitted, error) {
	if policy.mode == ProxyOff {
		return admitted{conn: conn}, nil
	}
	if !policy.trusts(addrOf(conn.RemoteAddr())) {
		if policy.mode == ProxyRequired {
			return admitted{}, errUntrustedSource
		}
		if sniff {
			return admitted{conn: &sniffConn{Conn: conn, log: log}}, nil
		}
		return admitted{conn: conn}, nil
	}
	br := bufio.NewReaderSize(conn, 256)
	direct := admitted{conn: &proxiedConn{Conn: conn, r: br, remote: conn.RemoteAddr(), local: conn.LocalAddr()}}
	conn.SetReadDeadline(time.Now().Add(policy.timeout))
	h, err := proxyproto.Read(br)
	conn.SetReadDeadline(time.Time{})
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		if policy.mode == ProxyOptional && br.Buffered() == 0 {
			// A trusted host that speaks FTP itself waits for our
			// greeting: nothing came, so it sent no header.
			return direct, nil
		}
		return admitted{}, errSlowHeader
	case errors.Is(err, proxyproto.ErrNoProxyProtocol):
		if policy.mode == ProxyRequired {
			return admitted{}, errNoHeader
		}
		return direct, nil
	case err != nil:
		return admitted{}, fmt.Errorf("%w: %w", errBadHeader, err)
	case h.Command.IsLocal() || h.TransportProtocol == proxyproto.UNSPEC:
		// The balancer's own connection (a health check): its address
		// is the peer's.
		return direct, nil
	}
	src, dst, ok := h.TCPAddrs()
	if !ok {
		return admitted{}, fmt.Errorf("%w: not a TCP connection", errBadHeader)
	}
	return admitted{
		conn: &proxiedConn{Conn: conn, r: br, remote: unmapTCP(src), local: unmapTCP(dst)},
		via:  conn.RemoteAddr(),
	}, nil
}

func unmapTCP(a *net.TCPAddr) *net.TCPAddr {
	if ip4 := a.IP.To4(); ip4 != nil {
		return &net.TCPAddr{IP: ip4, Port: a.Port}
	}
	return a
}

// sniffConn refuses a PROXY header on its first bytes: a connection from
// a source that is not trusted may not name another client.
type sniffConn struct {
	net.Conn
	log     *slog.Logger
	checked bool
	r       io.Reader
}

var (
	sigV1 = []byte("PROXY")
	sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

func (c *sniffConn) Read(p []byte) (int, error) {
	if !c.checked {
		c.checked = true
		br := bufio.NewReaderSize(c.Conn, 256)
		c.r = br
		if looksLikeProxyHeader(br) {
			c.log.Warn("connection refused", "remote", c.RemoteAddr().String(), "reason", errUntrustedHeader.Error())
			c.r = errReader{errUntrustedHeader}
		}
	}
	return c.r.Read(p)
}

// looksLikeProxyHeader peeks as far as needed to tell a PROXY signature
// from anything else (an FTP command, a TLS ClientHello).
func looksLikeProxyHeader(br *bufio.Reader) bool {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if err != nil {
			return false
		}
		v1 := n <= len(sigV1) && bytes.Equal(b, sigV1[:n])
		v2 := n <= len(sigV2) && bytes.Equal(b, sigV2[:n])
		switch {
		case !v1 && !v2:
			return false
		case v1 && n == len(sigV1), v2 && n == len(sigV2):
			return true
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
