package ftps_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// dialFrom connects to addr from a given loopback address, so tests can
// play several clients.
func dialFrom(t *testing.T, local, addr string, cfg *tls.Config) *rawClient {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn), tls: cfg}
	t.Cleanup(func() { c.conn.Close() })
	c.expect(220)
	return c
}

// refusedAtConnect reports the first line a new connection from local
// gets, and checks that the server then closes it.
func refusedAtConnect(t *testing.T, local, addr string) string {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	line, _ := r.ReadString('\n')
	if _, err := r.ReadByte(); err == nil {
		t.Fatalf("connection from %s still open after %q", local, line)
	}
	return strings.TrimRight(line, "\r\n")
}

func banConfig(max int) func(*setup) {
	return func(s *setup) {
		s.cfg.Server.LoginFailures = ftps.LoginFailuresConfig{Max: max, Window: time.Minute, Ban: time.Minute}
	}
}

func TestBanAfterFailedLogins(t *testing.T) {
	ts := startServer(t, banConfig(3))
	a := dialFrom(t, "127.0.0.2", ts.explicit, ts.clientTLS(t))
	a.secure()
	a.must("USER alice", 331)
	a.must("PASS wrong", 530)
	a.must("USER nobody", 331)
	a.must("PASS wrong", 530)
	// The third failure, on another connection, bans the address.
	b := dialFrom(t, "127.0.0.2", ts.explicit, ts.clientTLS(t))
	b.secure()
	b.must("USER bob", 331)
	b.must("PASS wrong", 530)
	if text := b.expect(421); !strings.Contains(text, "Too many failed logins") {
		t.Fatalf("421 text %q", text)
	}
	// The connection opened before the ban cannot log in even with the
	// right password.
	a.must("USER alice", 331)
	a.must("PASS alice-pw", 421)
	for i := 0; i < 3; i++ {
		if line := refusedAtConnect(t, "127.0.0.2", ts.explicit); !strings.HasPrefix(line, "421 Too many failed logins") {
			t.Fatalf("banned address got %q at connect", line)
		}
	}
	// On the implicit listener the refusal comes inside TLS.
	d := tls.Dialer{NetDialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}, Config: ts.clientTLS(t)}
	conn, err := d.Dial("tcp", ts.implicit)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "421 ") {
		t.Fatalf("implicit listener: %q", line)
	}
	// Other addresses are unaffected, and the ban was logged once.
	c := dialFrom(t, "127.0.0.1", ts.explicit, ts.clientTLS(t))
	c.secure()
	c.login("alice", "alice-pw")
	if n := strings.Count(ts.logs.String(), `msg="address banned"`); n != 1 {
		t.Fatalf("%d ban log lines, want 1", n)
	}
}

// TestBanPerUserName spreads failures on one user name over several
// addresses: the one that reaches max is banned, and so is every later
// one at its first failure, while the user still logs in.
func TestBanPerUserName(t *testing.T) {
	ts := startServer(t, banConfig(3))
	fail := func(local string) int {
		c := dialFrom(t, local, ts.explicit, ts.clientTLS(t))
		c.secure()
		c.must("USER alice", 331)
		c.must("PASS guess-"+local, 530)
		c.send("NOOP")
		code, _ := c.reply()
		return code
	}
	if fail("127.0.0.3") != 200 || fail("127.0.0.4") != 200 {
		t.Fatal("banned before max failures for alice")
	}
	if code := fail("127.0.0.5"); code != 421 {
		t.Fatalf("third address: NOOP after its failure got %d, want the 421 of a ban", code)
	}
	if code := fail("127.0.0.6"); code != 421 {
		t.Fatalf("fourth address: %d, want 421 at its first failure", code)
	}
	refusedAtConnect(t, "127.0.0.6", ts.explicit)
	dialFrom(t, "127.0.0.3", ts.explicit, ts.clientTLS(t)) // not banned
	goClient(t, ts, false, "alice", "alice-pw")            // not locked out
}

func TestSessionLimit(t *testing.T) {
	ts := startServer(t, banConfig(3), func(s *setup) {
		s.users[0].MaxSessions = 1 // alice
	})
	first := loggedIn(t, ts)
	for i := 0; i < 4; i++ { // more than max: a session limit is not a failed login
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		c.secure()
		c.must("USER alice", 331)
		if text := c.must("PASS alice-pw", 530); !strings.Contains(text, "Too many sessions") {
			t.Fatalf("530 text %q", text)
		}
		c.must("NOOP", 200)
	}
	first.must("QUIT", 221)
	waitFor(t, func() bool { return ts.srv.Sessions() <= 4 })
	// The slot is free once the first session has ended.
	waitFor(t, func() bool {
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		c.secure()
		c.must("USER alice", 331)
		code, _ := c.cmd("PASS alice-pw")
		return code == 230
	})
}

// TestRevokedSessionEnds reloads the users under open sessions: a removed
// or disabled user's session ends at its next command with 421; the
// others carry on.
func TestRevokedSessionEnds(t *testing.T) {
	ts := startServer(t)
	alice := loggedIn(t, ts)
	bob := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	bob.secure()
	bob.login("bob", "bob-pw")
	reader := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	reader.secure()
	reader.login("reader", "reader-pw")
	alice.must("NOOP", 200)

	users := defaultUsers()
	users[2].Disabled = true                // reader
	users = slices.Delete(users, 0, 1)      // alice removed
	users[0].Permissions = []string{"list"} // bob remapped: keeps his open session's mounts
	ts.replaceUsers(t, users)

	if text := alice.must("PWD", 421); !strings.Contains(text, "no longer valid") {
		t.Fatalf("421 text %q", text)
	}
	if _, err := alice.r.ReadByte(); err == nil {
		t.Fatal("revoked session still open")
	}
	reader.must("NOOP", 421)
	bob.must("PWD", 257)
	if code, _ := bob.upload("STOR kept.txt", bob.openData(true), []byte("x")); code != 226 {
		t.Fatalf("bob's open session lost its permissions: %d", code)
	}
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.secure()
	c.must("USER alice", 331)
	c.must("PASS alice-pw", 530)
	if !strings.Contains(ts.logs.String(), "login revoked: user removed: permission denied") {
		t.Error("the log does not say why the session ended")
	}
}

func TestUploadMaxBytes(t *testing.T) {
	ts := startServer(t, func(s *setup) { s.users[0].UploadMaxBytes = 1 << 20 })
	c := goClient(t, ts, false, "alice", "alice-pw")
	err := c.Stor("big.bin", bytes.NewReader(randomBytes(3<<20, 5)))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 552 {
		t.Fatalf("STOR past the limit: %v, want 552", err)
	}
	if _, err := ts.bucket.Stat(t.Context(), "alice/big.bin"); !errors.Is(err, backends.ErrNotExist) {
		t.Fatalf("an upload past the limit left an object: %v", err)
	}
	if err := c.NoOp(); err != nil {
		t.Fatalf("session broken after 552: %v", err)
	}
	exact := randomBytes(1<<20, 6)
	if err := c.Stor("exact.bin", bytes.NewReader(exact)); err != nil {
		t.Fatalf("STOR at the limit: %v", err)
	}
	// Appending past the limit fails too, and leaves the file as it was.
	err = c.Append("exact.bin", strings.NewReader("x"))
	if !errors.As(err, &te) || te.Code != 552 {
		t.Fatalf("APPE past the limit: %v, want 552", err)
	}
	if got, _ := ts.readObject(t, "alice/exact.bin"); !bytes.Equal(got, exact) {
		t.Fatalf("file changed by a refused append: %d bytes", len(got))
	}
}

// TestMountsOverFTP drives a user with several mounts through the Go
// client: the root lists the mount points, each mount has its own
// permissions, and a rename between buckets is refused with a clear 550.
func TestMountsOverFTP(t *testing.T) {
	ts := startServer(t, func(s *setup) {
		s.users = append(s.users, mapping.UserConfig{Name: "acme", PasswordHash: hashOnce()["alice-pw"],
			Mounts: []mapping.MountConfig{
				{Path: "/inbound", Backend: "mem", Bucket: "drop", Prefix: "acme/in", Permissions: []string{"upload", "rename"}},
				{Path: "/outbound", Backend: "mem", Bucket: "reports", Prefix: "acme", Permissions: []string{"list", "download"}},
				{Path: "/work/a", Backend: "mem", Bucket: "drop", Prefix: "acme/a", Permissions: []string{"*"}},
				{Path: "/work/b", Backend: "mem", Bucket: "reports", Prefix: "acme-b", Permissions: []string{"*"}},
				{Path: "/work/c", Backend: "mem", Bucket: "drop", Prefix: "acme/c", Permissions: []string{"*"}},
			}})
	})
	ts.putObject(t, "reports/acme/jan.csv", []byte("jan"))
	c := goClient(t, ts, false, "acme", "alice-pw")
	entries, err := c.List("/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type != ftp.EntryTypeFolder {
			t.Errorf("%s is not a directory", e.Name)
		}
		names = append(names, e.Name)
	}
	if !slices.Equal(names, []string{"inbound", "outbound", "work"}) {
		t.Fatalf("root lists %q", names)
	}
	if got := retr(t, c, "/outbound/jan.csv", 0); string(got) != "jan" {
		t.Fatalf("download %q", got)
	}
	if err := c.Stor("/inbound/orders.xml", strings.NewReader("<o/>")); err != nil {
		t.Fatal(err)
	}
	if got, _ := ts.readObject(t, "drop/acme/in/orders.xml"); string(got) != "<o/>" {
		t.Fatalf("upload stored %q", got)
	}
	denied := []struct {
		what string
		err  error
	}{
		{"upload to read-only mount", c.Stor("/outbound/x.csv", strings.NewReader("x"))},
		{"upload at the root", c.Stor("/x.csv", strings.NewReader("x"))},
		{"list write-only mount", func() error { _, err := c.List("/inbound"); return err }()},
		{"download from write-only mount", func() error { _, err := c.Retr("/inbound/orders.xml"); return err }()},
		{"delete from read-only mount", c.Delete("/outbound/jan.csv")},
		{"remove a mount point", c.RemoveDir("/outbound")},
		{"rename a mount point", c.Rename("/work/a", "/work/z")},
	}
	for _, d := range denied {
		var te *textproto.Error
		if !errors.As(d.err, &te) || te.Code != 550 {
			t.Errorf("%s: %v, want 550", d.what, d.err)
		}
	}
	// Between mounts on one bucket a rename is a rename; between buckets
	// it is refused, and says so.
	if err := c.Stor("/work/a/f.txt", strings.NewReader("f")); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/work/a/f.txt", "/work/c/f.txt"); err != nil {
		t.Fatalf("rename within one bucket: %v", err)
	}
	err = c.Rename("/work/c/f.txt", "/work/b/f.txt")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 || !strings.Contains(te.Msg, "different mounts") {
		t.Fatalf("rename across buckets: %v", err)
	}
	if got, _ := ts.readObject(t, "drop/acme/c/f.txt"); string(got) != "f" {
		t.Fatalf("refused rename moved the file: %q", got)
	}
}

// TestUploadPatternsOverFTP: a refused file name is a 553.
func TestUploadPatternsOverFTP(t *testing.T) {
	ts := startServer(t, func(s *setup) { s.users[0].AllowedPatterns = []string{"*.csv"} })
	c := goClient(t, ts, false, "alice", "alice-pw")
	if err := c.Stor("ok.CSV", strings.NewReader("a,b")); err != nil {
		t.Fatal(err)
	}
	var te *textproto.Error
	if err := c.Stor("evil.exe", strings.NewReader("MZ")); !errors.As(err, &te) || te.Code != 553 {
		t.Fatalf("STOR evil.exe: %v, want 553", err)
	}
	if err := c.Rename("ok.CSV", "evil.exe"); !errors.As(err, &te) || te.Code != 553 {
		t.Fatalf("RNTO evil.exe: %v, want 553", err)
	}
	if r, err := c.Retr("ok.CSV"); err == nil {
		io.Copy(io.Discard, r)
		r.Close()
	} else {
		t.Fatal(err)
	}
}
