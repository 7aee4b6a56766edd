package ftps_test

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// goClient logs in with github.com/jlaffaye/ftp over explicit or implicit
// TLS.
func goClient(t testing.TB, ts *testServer, implicit bool, user, pass string) *ftp.ServerConn {
	t.Helper()
	cfg := ts.clientTLS(t)
	opts := []ftp.DialOption{ftp.DialWithTimeout(10 * time.Second)}
	addr := ts.explicit
	if implicit {
		addr = ts.implicit
		opts = append(opts, ftp.DialWithTLS(cfg))
	} else {
		opts = append(opts, ftp.DialWithExplicitTLS(cfg))
	}
	c, err := ftp.Dial(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	if err := c.Login(user, pass); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGoClientRoundTrip(t *testing.T) {
	for _, mode := range []struct {
		name     string
		implicit bool
	}{{"explicit", false}, {"implicit", true}} {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t)
			c := goClient(t, ts, mode.implicit, "alice", "alice-pw")
			testRoundTrip(t, ts, c)
		})
	}
}

func testRoundTrip(t *testing.T, ts *testServer, c *ftp.ServerConn) {
	data := randomBytes(5<<20+123, 7)
	if err := c.MakeDir("in box"); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangeDir("in box"); err != nil {
		t.Fatal(err)
	}
	if dir, err := c.CurrentDir(); err != nil || dir != "/in box" {
		t.Fatalf("PWD = %q, %v", dir, err)
	}
	if err := c.Stor("données é.bin", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	stored, err := ts.readObject(t, "alice/in box/données é.bin")
	if err != nil || !bytes.Equal(stored, data) {
		t.Fatalf("stored object differs (%d bytes, %v)", len(stored), err)
	}
	if n, err := c.FileSize("données é.bin"); err != nil || n != int64(len(data)) {
		t.Fatalf("SIZE = %d, %v", n, err)
	}
	if mt, err := c.GetTime("données é.bin"); err != nil || time.Since(mt) > time.Minute {
		t.Fatalf("MDTM = %v, %v", mt, err)
	}
	got := retr(t, c, "données é.bin", 0)
	if !bytes.Equal(got, data) {
		t.Fatal("RETR differs")
	}
	if got := retr(t, c, "données é.bin", 5<<20); !bytes.Equal(got, data[5<<20:]) {
		t.Fatal("RETR with REST differs")
	}
	entries, err := c.List(".")
	if err != nil || len(entries) != 1 || entries[0].Name != "données é.bin" ||
		entries[0].Size != uint64(len(data)) || entries[0].Time.IsZero() {
		t.Fatalf("List = %+v, %v", entries, err)
	}
	if err := c.Append("données é.bin", strings.NewReader("tail")); err != nil {
		t.Fatal(err)
	}
	if got := retr(t, c, "données é.bin", uint64(len(data))); string(got) != "tail" {
		t.Fatalf("after APPE the tail is %q", got)
	}
	if err := c.Rename("données é.bin", "/renamed.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangeDirToParent(); err != nil {
		t.Fatal(err)
	}
	names, err := c.NameList("/")
	sort.Strings(names)
	if err != nil || strings.Join(names, ",") != "in box,renamed.bin" {
		t.Fatalf("NLST = %q, %v", names, err)
	}
	if err := c.RemoveDir("in box"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("renamed.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("renamed.bin"); err == nil {
		t.Fatal("second DELE succeeded")
	}
}

func retr(t *testing.T, c *ftp.ServerConn, name string, offset uint64) []byte {
	t.Helper()
	r, err := c.RetrFrom(name, offset)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoClientResumeUpload(t *testing.T) {
	ts := startServer(t)
	c := goClient(t, ts, false, "alice", "alice-pw")
	data := randomBytes(3<<20, 3)
	if err := c.Stor("r.bin", bytes.NewReader(data[:1<<20])); err != nil {
		t.Fatal(err)
	}
	if err := c.StorFrom("r.bin", bytes.NewReader(data[1<<20:]), 1<<20); err != nil {
		t.Fatal(err)
	}
	got, err := ts.readObject(t, "alice/r.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("resumed upload differs: %d bytes, %v", len(got), err)
	}
}

func TestGoClientASCII(t *testing.T) {
	ts := startServer(t)
	c := goClient(t, ts, false, "alice", "alice-pw")
	if err := c.Type(ftp.TransferTypeASCII); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("t.txt", strings.NewReader("one\r\ntwo\r\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := ts.readObject(t, "alice/t.txt"); string(got) != "one\ntwo\n" {
		t.Fatalf("stored %q", got)
	}
	if got := retr(t, c, "t.txt", 0); string(got) != "one\r\ntwo\r\n" {
		t.Fatalf("ASCII RETR %q", got)
	}
}

func TestGoClientLargeListing(t *testing.T) {
	ts := startServer(t)
	for i := 0; i < 2500; i++ {
		ts.putObject(t, fmt.Sprintf("alice/many/f%04d", i), []byte{byte(i)})
	}
	ts.putObject(t, "alice/many/sub/x", nil)
	c := goClient(t, ts, false, "alice", "alice-pw")
	entries, err := c.List("/many")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2501 {
		t.Fatalf("%d entries", len(entries))
	}
	dirs := 0
	for _, e := range entries {
		if e.Type == ftp.EntryTypeFolder {
			dirs++
		}
		if e.Time.IsZero() {
			t.Fatalf("zero time on %q", e.Name)
		}
	}
	if dirs != 1 {
		t.Fatalf("%d directories", dirs)
	}
}

func TestGoClientIsolation(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "bob/secret", []byte("bob"))
	c := goClient(t, ts, false, "alice", "alice-pw")
	for _, p := range []string{"/bob/secret", "../bob/secret", "../../secret", "/../bob/secret"} {
		if r, err := c.Retr(p); err == nil {
			b, _ := io.ReadAll(r)
			r.Close()
			t.Fatalf("alice read %q: %q", p, b)
		}
		if err := c.Delete(p); err == nil {
			t.Fatalf("alice deleted %q", p)
		}
	}
	if err := c.Stor("../bob/secret", strings.NewReader("overwritten")); err != nil {
		t.Fatal(err) // lands in alice's own prefix, as "/bob/secret"
	}
	if got, _ := ts.readObject(t, "bob/secret"); string(got) != "bob" {
		t.Fatalf("bob's object changed to %q", got)
	}
	if got, _ := ts.readObject(t, "alice/bob/secret"); string(got) != "overwritten" {
		t.Fatalf("alice's upload landed elsewhere: %q", got)
	}
}
