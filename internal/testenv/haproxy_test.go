package testenv

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestHAProxyForwardsWithProxyV2 checks the starter against the real
// haproxy: a client bound to 127.0.0.3 reaches a server through it, and
// the connection opens with a PROXY v2 header.
func TestHAProxyForwardsWithProxyV2(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	front := FreeAddr(t)
	StartHAProxy(t, []HAFrontend{{Name: "ftp", Bind: front, Servers: []string{backend.Addr().String()}, SendProxyV2: true}})

	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn, err := backend.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	head := make([]byte, 16+12)
	if _, err := io.ReadFull(conn, head); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(head[:12], []byte("\r\n\r\n\x00\r\nQUIT\n")) || head[12] != 0x21 || head[13] != 0x11 {
		t.Fatalf("no PROXY v2 TCP4 header: % x", head[:16])
	}
	if src := net.IP(head[16:20]); !src.Equal(net.IPv4(127, 0, 0, 3)) {
		t.Errorf("header source %v, want 127.0.0.3", src)
	}
}
