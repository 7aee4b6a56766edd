package ftps

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// addrConn gives a pipe the addresses of a TCP connection from a
// trusted balancer.
type addrConn struct {
	net.Conn
	remote, local net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }
func (c addrConn) LocalAddr() net.Addr  { return c.local }

// FuzzProxyHeader feeds arbitrary first bytes to the header reader (the
// library's parser and our handling of its answers) and to the sniffer
// of untrusted connections: neither may panic, and an accepted header
// must leave usable addresses.
func FuzzProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 127.0.0.9 127.0.0.1 4000 21\r\nUSER a\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\x7f\x00\x00\x09\x7f\x00\x00\x01\x0f\xa0\x00\x15"))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"))
	f.Add([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x13\x00\x0c\x7f\x00\x00\x09\x7f\x00\x00\x01\x0f\xa0\x00\x15"))
	f.Add([]byte("USER alice\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	policies := []proxyPolicy{
		newProxyPolicy(ProxyProtocolConfig{Mode: ProxyRequired, Trusted: []string{"127.0.0.1/32"}, HeaderTimeout: time.Second}),
		newProxyPolicy(ProxyProtocolConfig{Mode: ProxyOptional, Trusted: []string{"127.0.0.1/32"}, HeaderTimeout: time.Second}),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, policy := range policies {
			server, client := net.Pipe()
			go func() { client.Write(data); client.Close() }()
			conn := addrConn{server, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 21}}
			a, err := readProxyHeader(conn, policy, true, log)
			if err == nil {
				_ = a.conn.RemoteAddr().String()
				_ = a.conn.LocalAddr().String()
				io.Copy(io.Discard, a.conn)
			}
			server.Close()
		}
		untrusted, peer := net.Pipe()
		defer untrusted.Close()
		go func() { peer.Write(data); peer.Close() }()
		io.Copy(io.Discard, &sniffConn{Conn: untrusted, log: log})
	})
}
