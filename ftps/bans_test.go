package ftps

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func testGuard(max int) (*loginGuard, *fakeClock, *bytes.Buffer) {
	var logs bytes.Buffer
	g := newLoginGuard(LoginFailuresConfig{Max: max, Window: time.Minute, Ban: 10 * time.Minute},
		slog.New(slog.NewTextHandler(&logs, nil)))
	clock := &fakeClock{t: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	g.now = clock.now
	return g, clock, &logs
}

func TestGuardPerAddress(t *testing.T) {
	g, clock, logs := testGuard(3)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	// Failures spread wider than the window never ban.
	for i := 0; i < 5; i++ {
		if g.failed(a, fmt.Sprint("u", i)) {
			t.Fatalf("banned after %d failures a window apart", i+1)
		}
		if i%2 == 1 {
			clock.advance(time.Minute)
		}
	}
	clock.advance(time.Minute)
	g.failed(a, "x")
	g.failed(a, "y")
	if g.banned(a) {
		t.Fatal("banned before max")
	}
	if !g.failed(a, "z") || !g.banned(a) {
		t.Fatal("not banned at max")
	}
	if g.banned(b) {
		t.Fatal("another address banned")
	}
	// Further failures and connects during the ban log nothing more.
	g.failed(a, "x")
	g.banned(a)
	if n := strings.Count(logs.String(), "address banned"); n != 1 {
		t.Fatalf("%d ban log lines, want 1:\n%s", n, logs)
	}
	clock.advance(10*time.Minute - time.Second)
	if !g.banned(a) {
		t.Fatal("ban ended early")
	}
	clock.advance(time.Second)
	if g.banned(a) {
		t.Fatal("ban did not end")
	}
	// The count starts over after a ban.
	if g.failed(a, "x") {
		t.Fatal("banned again at the first failure after the ban")
	}
}

func TestGuardPerUserName(t *testing.T) {
	g, _, logs := testGuard(3)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }
	// Three addresses fail once each on one name: the third is banned,
	// and every later address at its first failure on that name.
	if g.failed(addr(1), "alice") || g.failed(addr(2), "alice") {
		t.Fatal("banned too early")
	}
	if !g.failed(addr(3), "alice") {
		t.Fatal("third address failing on alice not banned")
	}
	if !g.failed(addr(4), "alice") {
		t.Fatal("fourth address failing on alice not banned at once")
	}
	if g.banned(addr(1)) || g.banned(addr(2)) {
		t.Fatal("addresses below max were banned")
	}
	if g.failed(addr(5), "bob") {
		t.Fatal("a failure on another name banned")
	}
	if !strings.Contains(logs.String(), "several addresses") {
		t.Errorf("ban reason not logged:\n%s", logs)
	}
}

func TestGuardIPv6ByPrefix(t *testing.T) {
	g, _, _ := testGuard(2)
	g.failed(netip.MustParseAddr("2001:db8:1:2::1"), "x")
	g.failed(netip.MustParseAddr("2001:db8:1:2:ffff::9"), "y")
	if !g.banned(netip.MustParseAddr("2001:db8:1:2::77")) {
		t.Fatal("the /64 is not banned")
	}
	if g.banned(netip.MustParseAddr("2001:db8:1:3::1")) {
		t.Fatal("another /64 is banned")
	}
	if guardKey(netip.MustParseAddr("::ffff:192.0.2.1")) != "192.0.2.1" {
		t.Fatal("IPv4-mapped address not unmapped")
	}
}

func TestGuardDisabled(t *testing.T) {
	g, _, _ := testGuard(0)
	a := netip.MustParseAddr("192.0.2.1")
	for i := 0; i < 10; i++ {
		if g.failed(a, "x") || g.banned(a) {
			t.Fatal("disabled guard banned")
		}
	}
	if g.addrs.len() != 0 {
		t.Fatal("disabled guard tracked addresses")
	}
	var nilGuard *loginGuard
	if nilGuard.banned(a) {
		t.Fatal("nil guard banned")
	}
}

// TestGuardBounded floods the guard with addresses and names: its tables
// stay at their bound, dropping the least recently seen entries, and an
// attacker who keeps connecting keeps their ban.
func TestGuardBounded(t *testing.T) {
	g, _, _ := testGuard(1)
	g.addrs, g.names = newLRU[addrRecord](100), newLRU[failureCount](100)
	attacker := netip.MustParseAddr("203.0.113.1")
	g.failed(attacker, "root")
	for i := 0; i < 1000; i++ {
		g.failed(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), fmt.Sprint("name", i))
		if i%50 == 0 && !g.banned(attacker) {
			t.Fatalf("attacker's ban evicted after %d other addresses", i)
		}
	}
	if g.addrs.len() != 100 || g.names.len() != 100 {
		t.Fatalf("tables hold %d addresses and %d names, want 100 each", g.addrs.len(), g.names.len())
	}
	if !g.banned(netip.AddrFrom4([4]byte{10, 0, 3, 231})) {
		t.Fatal("the most recent address is not banned")
	}
	if g.banned(netip.AddrFrom4([4]byte{10, 0, 0, 1})) {
		t.Fatal("an old entry survived the flood")
	}
	// A long name is kept only in part.
	g.failed(netip.MustParseAddr("203.0.113.2"), strings.Repeat("n", 10000))
	if _, ok := g.names.peek(strings.Repeat("n", maxNameKey)); !ok {
		t.Fatal("long name not truncated to its key")
	}
}

func TestLoginFailuresConfig(t *testing.T) {
	for _, tc := range []struct {
		lf   LoginFailuresConfig
		want string
	}{
		{LoginFailuresConfig{Max: 5, Window: time.Minute, Ban: time.Hour}, ""},
		{LoginFailuresConfig{}, ""},
		{LoginFailuresConfig{Max: -1}, "server.login_failures.max"},
		{LoginFailuresConfig{Max: 5, Ban: time.Hour}, "server.login_failures.window"},
		{LoginFailuresConfig{Max: 5, Window: time.Minute}, "server.login_failures.ban"},
	} {
		err := tc.lf.validate()
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.lf, err, tc.want)
		}
	}
}
