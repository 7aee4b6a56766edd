package ftps_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

func tcpAddr(ip string, port int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.ParseIP(ip).To4(), Port: port}
}

// headerV2 is the PROXY v2 header a load balancer sends for a client
// at src that connected to dst.
func headerV2(t testing.TB, src, dst *net.TCPAddr) []byte {
	t.Helper()
	b, err := proxyproto.HeaderProxyFromAddrs(2, src, dst).Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// connectFrom connects from the loopback address from, sends header first
// (when not nil), optionally starts implicit TLS, and returns the
// connection before the greeting is read.
func connectFrom(t *testing.T, addr, from string, header []byte) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if header != nil {
		if _, err := conn.Write(header); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

// proxiedClient is a control connection as a balancer at from forwards
// it for the client src.
func proxiedClient(t *testing.T, addr, from string, src *net.TCPAddr) *rawClient {
	t.Helper()
	conn := connectFrom(t, addr, from, headerV2(t, src, tcpAddr("127.0.0.50", 21)))
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	c.expect(220)
	return c
}

// closedWithoutGreeting reports whether the server closed conn without a
// word.
func closedWithoutGreeting(conn net.Conn) bool {
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, err := bufio.NewReader(conn).ReadString('\n')
	return err != nil
}

func proxySetup(st *setup) {
	trusted := []string{"127.0.0.1/32"}
	st.cfg.Listeners[0].ProxyProtocol = ftps.ProxyProtocolConfig{Mode: ftps.ProxyOptional, Trusted: trusted, HeaderTimeout: 200 * time.Millisecond}
	st.cfg.Listeners[1].ProxyProtocol = ftps.ProxyProtocolConfig{Mode: ftps.ProxyRequired, Trusted: trusted, HeaderTimeout: 500 * time.Millisecond}
	// A long timeout: a stalled header must not hold up anyone else.
	st.cfg.Listeners[2].ProxyProtocol = ftps.ProxyProtocolConfig{Mode: ftps.ProxyRequired, Trusted: trusted, HeaderTimeout: 50 * time.Second}
	st.cfg.Passive.ProxyProtocol = ftps.ProxyProtocolConfig{Mode: ftps.ProxyRequired, Trusted: trusted}
	st.cfg.Server.LoginFailures = ftps.LoginFailuresConfig{Max: 2, Window: time.Hour, Ban: time.Hour}
	st.cfg.Server.MaxSessionsPerIP = 2 // each case has a client address of its own
	carol := st.users[0]
	carol.Name, carol.AllowedIPs = "carol", []string{"127.0.0.9/32"}
	st.users = append(st.users, carol)
}

func TestProxyProtocolControl(t *testing.T) {
	ts := startServer(t, proxySetup)
	t.Run("V2NamesTheClient", func(t *testing.T) {
		c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.20", 4000))
		c.login("alice", "alice-pw")
		if text := c.must("STAT", 211); !strings.Contains(text, "Connected from 127.0.0.20") {
			t.Errorf("STAT: %q", text)
		}
		if logs := ts.logs.String(); !strings.Contains(logs, "remote=127.0.0.20:4000 via=127.0.0.1:") {
			t.Errorf("log lacks the client and the balancer:\n%s", logs)
		}
	})
	t.Run("V1NamesTheClient", func(t *testing.T) {
		conn := connectFrom(t, ts.plain, "127.0.0.1", []byte("PROXY TCP4 127.0.0.10 127.0.0.50 4001 21\r\n"))
		c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
		c.expect(220)
		if text := c.must("STAT", 211); !strings.Contains(text, "Connected from 127.0.0.10") {
			t.Errorf("STAT: %q", text)
		}
	})
	t.Run("AutoAnnouncesHeaderDestination", func(t *testing.T) {
		c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.21", 4002))
		c.login("alice", "alice-pw")
		if text := c.must("PASV", 227); !strings.Contains(text, "(127,0,0,50,") {
			t.Errorf("PASV behind the balancer: %q, want the header's destination", text)
		}
	})
	t.Run("UntrustedSourceRefused", func(t *testing.T) {
		conn := connectFrom(t, ts.plain, "127.0.0.5", headerV2(t, tcpAddr("127.0.0.9", 1), tcpAddr("127.0.0.1", 21)))
		if !closedWithoutGreeting(conn) {
			t.Fatal("a header from an untrusted source was served")
		}
	})
	t.Run("MalformedHeaderRefused", func(t *testing.T) {
		conn := connectFrom(t, ts.plain, "127.0.0.1", []byte("PROXY TCP4 nonsense\r\n"))
		if !closedWithoutGreeting(conn) {
			t.Fatal("a malformed header was served")
		}
	})
	t.Run("SlowHeaderHoldsUpNobody", func(t *testing.T) {
		connectFrom(t, ts.plain, "127.0.0.1", []byte("\r\n\r\n\x00\r")) // and nothing more
		// The greeting comes within the client's 15 s, far inside the
		// stalled connection's 50 s header timeout.
		c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.22", 4003))
		c.must("NOOP", 200)
	})
	t.Run("ImplicitReadsHeaderBeforeHandshake", func(t *testing.T) {
		conn := connectFrom(t, ts.implicit, "127.0.0.1", headerV2(t, tcpAddr("127.0.0.23", 4004), tcpAddr("127.0.0.1", 990)))
		tc := tls.Client(conn, ts.clientTLS(t))
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c := &rawClient{t: t, conn: tc, r: bufio.NewReader(tc), tls: ts.clientTLS(t)}
		c.expect(220)
		if text := c.must("STAT", 211); !strings.Contains(text, "Connected from 127.0.0.23") {
			t.Errorf("STAT: %q", text)
		}
	})
	t.Run("RequiredWithoutHeaderRefused", func(t *testing.T) {
		conn := connectFrom(t, ts.implicit, "127.0.0.1", nil)
		conn.SetDeadline(time.Now().Add(15 * time.Second))
		if err := tls.Client(conn, ts.clientTLS(t)).Handshake(); err == nil {
			t.Fatal("a connection without a header was served")
		}
	})
	t.Run("OptionalTrustedWithoutHeaderServed", func(t *testing.T) {
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		if text := c.must("STAT", 211); !strings.Contains(text, "Connected from 127.0.0.1") {
			t.Errorf("STAT: %q", text)
		}
	})
	t.Run("OptionalUntrustedHeaderRefused", func(t *testing.T) {
		conn := connectFrom(t, ts.explicit, "127.0.0.5", nil)
		c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
		c.expect(220) // served at once: an untrusted source is a direct client
		c.send("PROXY TCP4 127.0.0.9 127.0.0.1 4005 21")
		if _, err := c.r.ReadString('\n'); err == nil {
			t.Fatal("a header from an untrusted source was answered")
		}
		if !strings.Contains(ts.logs.String(), "PROXY header from a source that is not a trusted load balancer") {
			t.Error("refusal not logged")
		}
	})
	t.Run("BansTheHeaderAddress", func(t *testing.T) {
		for i := range 2 {
			c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.11", 5000+i))
			c.must("USER alice", 331)
			c.must("PASS wrong", 530)
		}
		conn := connectFrom(t, ts.plain, "127.0.0.1", headerV2(t, tcpAddr("127.0.0.11", 5003), tcpAddr("127.0.0.1", 21)))
		c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
		c.expect(421)
		other := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.12", 5004))
		other.login("alice", "alice-pw")
	})
	t.Run("SessionsPerHeaderAddress", func(t *testing.T) {
		proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.13", 1))
		proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.13", 2))
		conn := connectFrom(t, ts.plain, "127.0.0.1", headerV2(t, tcpAddr("127.0.0.13", 3), tcpAddr("127.0.0.1", 21)))
		c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
		if text := c.expect(421); !strings.Contains(text, "your address") {
			t.Errorf("421 %q", text)
		}
		proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.14", 1)).must("NOOP", 200)
	})
	t.Run("AllowedIPsByHeaderAddress", func(t *testing.T) {
		proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.9", 6000)).login("carol", "alice-pw")
		c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.15", 6001))
		c.must("USER carol", 331)
		c.must("PASS alice-pw", 530)
	})
	t.Run("ActiveRefusedBehindProxy", func(t *testing.T) {
		c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.24", 6002))
		c.login("alice", "alice-pw")
		for _, cmd := range []string{"EPRT |1|127.0.0.24|5000|", "PORT 127,0,0,24,19,136"} {
			if text := c.must(cmd, 502); !strings.Contains(text, "load balancer") {
				t.Errorf("%s: %q", cmd, text)
			}
		}
	})
}

// dataFrom opens a data connection to port from the balancer at from,
// with a PROXY header naming src (nil: no header).
func dataFrom(t *testing.T, port, from string, src *net.TCPAddr) net.Conn {
	t.Helper()
	var header []byte
	if src != nil {
		header = headerV2(t, src, tcpAddr("127.0.0.50", 50000))
	}
	return connectFrom(t, net.JoinHostPort("127.0.0.1", port), from, header)
}

// TestProxyProtocolPassive: behind the balancer a data connection is
// given to the session of the client its header names, and refused for
// any other client, without a header, or from an untrusted source.
func TestProxyProtocolPassive(t *testing.T) {
	ts := startServer(t, proxySetup)
	ts.putObject(t, "alice/hello.txt", []byte("hello"))
	c := proxiedClient(t, ts.plain, "127.0.0.1", tcpAddr("127.0.0.9", 7000))
	c.login("alice", "alice-pw")
	m := epsvPort.FindStringSubmatch(c.must("EPSV", 229))
	for name, conn := range map[string]net.Conn{
		"another client":  dataFrom(t, m[1], "127.0.0.1", tcpAddr("127.0.0.16", 7001)),
		"no header":       dataFrom(t, m[1], "127.0.0.1", nil),
		"untrusted proxy": dataFrom(t, m[1], "127.0.0.5", tcpAddr("127.0.0.9", 7002)),
	} {
		conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: data connection served", name)
		}
	}
	dc := dataFrom(t, m[1], "127.0.0.1", tcpAddr("127.0.0.9", 7003))
	data, code, text := c.download("RETR hello.txt", dc)
	if code != 226 || string(data) != "hello" {
		t.Fatalf("RETR through the balancer: %d %q, data %q", code, text, data)
	}
}

// rawFrom is a plaintext control connection from a loopback address.
func rawFrom(t *testing.T, addr, from string) *rawClient {
	t.Helper()
	conn := connectFrom(t, addr, from, nil)
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	c.expect(220)
	return c
}

// TestSharedPassivePort: one passive port serves two sessions at once
// whose clients have different addresses; each data connection reaches
// its own session, and a third address is refused.
func TestSharedPassivePort(t *testing.T) {
	ts := startServer(t, func(st *setup) {
		lo := strings.Split(st.cfg.Passive.PortRange, "-")[0]
		st.cfg.Passive.PortRange = lo + "-" + lo
	})
	ts.putObject(t, "alice/f", []byte("alice's"))
	ts.putObject(t, "bob/f", []byte("bob's"))
	alice, bob := rawFrom(t, ts.plain, "127.0.0.2"), rawFrom(t, ts.plain, "127.0.0.3")
	alice.login("alice", "alice-pw")
	bob.login("bob", "bob-pw")
	pa := epsvPort.FindStringSubmatch(alice.must("EPSV", 229))[1]
	pb := epsvPort.FindStringSubmatch(bob.must("EPSV", 229))[1]
	if pa != pb {
		t.Fatalf("ports %s and %s: want one port shared", pa, pb)
	}
	stranger := connectFrom(t, "127.0.0.1:"+pa, "127.0.0.4", nil)
	stranger.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := stranger.Read(make([]byte, 1)); err == nil {
		t.Error("a data connection from a third address was served")
	}
	if !strings.Contains(ts.logs.String(), "refused passive data connection from another address") {
		t.Error("refusal not logged")
	}
	// Bob connects first: the port is matched by address, not by order.
	for _, s := range []struct {
		c    *rawClient
		from string
		want string
	}{{bob, "127.0.0.3", "bob's"}, {alice, "127.0.0.2", "alice's"}} {
		dc := connectFrom(t, "127.0.0.1:"+pa, s.from, nil)
		data, code, text := s.c.download("RETR f", dc)
		if code != 226 || string(data) != s.want {
			t.Errorf("RETR from %s: %d %q, data %q, want %q", s.from, code, text, data, s.want)
		}
	}
}

// TestPassivePortLimits is issue 12's port exhaustion: sessions of one
// user that send EPSV and never connect may not hold every port.
func TestPassivePortLimits(t *testing.T) {
	// limited is a range of 8 ports; perUser and perIP 0 keep the
	// defaults (6 and 8).
	limited := func(perUser, perIP int) func(*setup) {
		return func(st *setup) {
			lo := strings.Split(st.cfg.Passive.PortRange, "-")[0]
			var n int
			fmt.Sscan(lo, &n)
			st.cfg.Passive.PortRange = fmt.Sprintf("%d-%d", n, n+7)
			st.cfg.Passive.MaxPortsPerUser, st.cfg.Passive.MaxPortsPerIP = perUser, perIP
			st.cfg.Server.MaxSessionsPerIP = 50
		}
	}
	login := func(t *testing.T, ts *testServer, user string) *rawClient {
		c := rawFrom(t, ts.plain, "127.0.0.1")
		c.login(user, user+"-pw")
		return c
	}
	t.Run("OneUserCannotStarveAnother", func(t *testing.T) {
		ts := startServer(t, limited(0, 0))
		granted := 0
		for range 10 {
			code, text := login(t, ts, "alice").cmd("EPSV")
			switch {
			case code == 229:
				granted++
			case code != 425 || !strings.Contains(text, "user name"):
				t.Fatalf("EPSV: %d %q, want 425 naming the user limit", code, text)
			}
		}
		if granted != 6 {
			t.Errorf("alice holds %d ports, want 6 (three quarters of 8)", granted)
		}
		login(t, ts, "bob").must("EPSV", 229)
	})
	t.Run("PerAddressLimit", func(t *testing.T) {
		ts := startServer(t, limited(2, 4))
		for _, u := range []string{"alice", "alice", "bob", "bob"} {
			login(t, ts, u).must("EPSV", 229)
		}
		if code, text := login(t, ts, "reader").cmd("EPSV"); code != 425 || !strings.Contains(text, "your address") {
			t.Fatalf("fifth port from one address: %d %q", code, text)
		}
	})
	t.Run("ReleasedByAnotherCommand", func(t *testing.T) {
		ts := startServer(t, limited(2, 0))
		first := login(t, ts, "alice")
		first.must("EPSV", 229)
		first.must("EPSV", 229) // replaces its own: still one held
		login(t, ts, "alice").must("EPSV", 229)
		third := login(t, ts, "alice")
		third.must("EPSV", 425)
		first.must("MKD d", 257)
		third.must("EPSV", 229)
		first.must("LIST", 425) // the port it had is gone
	})
	t.Run("ReleasedWhenTheConnectionArrives", func(t *testing.T) {
		ts := startServer(t, limited(2, 0))
		first := login(t, ts, "alice")
		dc := first.openData(false)
		login(t, ts, "alice").must("EPSV", 229)
		if _, code, _ := first.download("LIST", dc); code != 226 {
			t.Fatalf("LIST: %d", code)
		}
		login(t, ts, "alice").must("EPSV", 229)
	})
	t.Run("ReleasedAfterDataTimeout", func(t *testing.T) {
		ts := startServer(t, func(st *setup) { limited(2, 0)(st); st.cfg.Server.DataTimeout = time.Second })
		login(t, ts, "alice").must("EPSV", 229)
		login(t, ts, "alice").must("EPSV", 229)
		third := login(t, ts, "alice")
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, _ := third.cmd("EPSV")
			if code == 229 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("ports never released after data_timeout")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// TestPassiveAnnounce: public_host as a DNS name, passive_ip_overrides by
// client network, and a listener's own auto.
func TestPassiveAnnounce(t *testing.T) {
	ts := startServer(t, func(st *setup) {
		st.cfg.Passive.PublicHost = "localhost"
		st.cfg.Passive.PassiveIPOverrides = []ftps.IPOverride{{Networks: []string{"127.0.0.2/32"}, PublicHost: "127.0.0.77"}}
		st.cfg.Listeners[0].PublicHost = "127.0.0.66"
	})
	for _, tc := range []struct {
		name, addr, from, want string
		secure                 bool
	}{
		{"name resolved", ts.plain, "127.0.0.3", "(127,0,0,1,", false},
		{"override for a network", ts.plain, "127.0.0.2", "(127,0,0,77,", false},
		{"listener's own host", ts.explicit, "127.0.0.3", "(127,0,0,66,", true},
		{"override before listener's host", ts.explicit, "127.0.0.2", "(127,0,0,77,", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawFrom(t, tc.addr, tc.from)
			if tc.secure {
				c.tls = ts.clientTLS(t)
				c.secure()
			}
			c.login("alice", "alice-pw")
			if text := c.must("PASV", 227); !strings.Contains(text, tc.want) {
				t.Errorf("PASV: %q, want %s", text, tc.want)
			}
			c.must("EPSV", 229)
		})
	}
}

func TestBalancingConfigValidate(t *testing.T) {
	base := func() ftps.Config {
		c := ftps.DefaultConfig()
		c.Listeners = []ftps.ListenerConfig{{Address: "127.0.0.1:2121", TLS: ftps.TLSExplicit}}
		return c
	}
	good := base()
	good.Listeners[0].ProxyProtocol = ftps.ProxyProtocolConfig{Mode: ftps.ProxyRequired, Trusted: []string{"10.0.0.0/8", "192.0.2.7"}}
	good.Listeners[0].PublicHost = ftps.PublicHostAuto
	good.Passive.PublicHost = "ftp.example.com"
	good.Passive.PassiveIPOverrides = []ftps.IPOverride{{Networks: []string{"10.0.0.0/8"}, PublicHost: "10.1.2.3"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(c *ftps.Config){
		"listeners.0.proxy_protocol.mode":         func(c *ftps.Config) { c.Listeners[0].ProxyProtocol.Mode = "sometimes" },
		"listeners.0.proxy_protocol.trusted":      func(c *ftps.Config) { c.Listeners[0].ProxyProtocol.Mode = ftps.ProxyOptional },
		"passive.proxy_protocol.trusted":          func(c *ftps.Config) { c.Passive.ProxyProtocol.Trusted = []string{"10.0.0.0/33"} },
		"passive.proxy_protocol.header_timeout":   func(c *ftps.Config) { c.Passive.ProxyProtocol.HeaderTimeout = time.Hour },
		"listeners.0.public_host":                 func(c *ftps.Config) { c.Listeners[0].PublicHost = "2001:db8::1" },
		"passive.passive_ip_overrides.0.networks": func(c *ftps.Config) { c.Passive.PassiveIPOverrides = []ftps.IPOverride{{PublicHost: "10.0.0.1"}} },
		"passive.passive_ip_overrides.0.public_host": func(c *ftps.Config) {
			c.Passive.PassiveIPOverrides = []ftps.IPOverride{{Networks: []string{"10.0.0.0/8"}}}
		},
		"passive.max_ports_per_user": func(c *ftps.Config) { c.Passive.MaxPortsPerUser = -1 },
		"passive.max_ports_per_ip":   func(c *ftps.Config) { c.Passive.MaxPortsPerIP = -1 },
	}
	for key, mutate := range bad {
		t.Run(key, func(t *testing.T) {
			c := base()
			mutate(&c)
			if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), key) {
				t.Errorf("got %v, want an error naming %s", err, key)
			}
		})
	}
}
