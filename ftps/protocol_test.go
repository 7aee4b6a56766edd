package ftps_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// loggedIn returns a client on the explicit listener, secured and logged
// in as alice.
func loggedIn(t *testing.T, ts *testServer) *rawClient {
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.secure()
	c.login("alice", "alice-pw")
	return c
}

func TestPlaintextLoginRefused(t *testing.T) {
	ts := startServer(t)
	c := dialRaw(t, ts.explicit, false, nil)
	feat := c.must("FEAT", 211)
	for _, f := range []string{"AUTH TLS", "PBSZ", "PROT", "EPSV", "MLST type*;size*;modify*;perm*;", "UTF8", "REST STREAM", "SIZE", "MDTM"} {
		if !strings.Contains(feat, "\n "+f+"\n") {
			t.Errorf("FEAT lacks %q:\n%s", f, feat)
		}
	}
	c.must("USER alice", 530)
	c.must("PASS alice-pw", 503)
	c.must("PBSZ 0", 503)
	c.must("PROT P", 503)
	c.must("LIST", 530)
	c.must("AUTH KERBEROS_V4", 504)
}

func TestCommandReplies(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/file.txt", []byte("hello\n"))
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.must("AUTH TLS", 234)
	c.startTLS()
	c.must("AUTH TLS", 503)
	c.must("PROT P", 503) // before PBSZ
	c.must("PBSZ 0", 200)
	c.must("PROT C", 534)
	c.must("PROT S", 536)
	c.must("PROT P", 200)
	c.must("USER alice", 331)
	c.must("PASS alice-pw", 230)
	tests := []struct {
		cmd  string
		code int
	}{
		{"XYZZY", 502},
		{"SYST", 215},
		{"NOOP", 200},
		{"HELP", 214},
		{"STAT", 211},
		{"PWD", 257},
		{"TYPE I", 200},
		{"TYPE A", 200},
		{"TYPE E", 504},
		{"TYPE Q", 501},
		{"MODE S", 200},
		{"MODE B", 504},
		{"STRU F", 200},
		{"STRU R", 504},
		{"OPTS UTF8 ON", 200},
		{"OPTS MLST type;size;", 200},
		{"OPTS FOO", 501},
		{"ALLO 100", 202},
		{"SIZE file.txt", 213},
		{"SIZE /", 550},
		{"SIZE missing", 550},
		{"MDTM file.txt", 213},
		{"RNTO x", 503},
		{"RNFR missing", 550},
		{"REST -1", 501},
		{"REST abc", 501},
		{"CWD missing", 550},
		{"CWD file.txt", 550},
		{"DELE missing", 550},
		{"RMD missing", 550},
		{"MKD", 501},
		{"SITE UTIME 20200101000000 file.txt", 200},
		{"SITE CHMOD 644 file.txt", 502},
		{"SITE HELP", 214},
		{"ABOR", 225},
		{"EPSV 2", 522},
		{"PORT 1,2,3", 501},
		{"PORT 127,0,0,1,0,21", 501},   // privileged port
		{"PORT 10,9,8,7,200,0", 501},   // another host: bounce attack
		{"EPRT |3|1.2.3.4|5000|", 522}, // unknown protocol
		{"EPRT |1|127.0.0.2|5000|", 501},
		{"RETR", 501},
		{"LIST", 425}, // no PASV/PORT yet
		{"MLST file.txt", 250},
		{"MLST missing", 550},
		{"CCC", 534},
		{"CDUP", 250},
	}
	for _, tc := range tests {
		if code, text := c.cmd(tc.cmd); code != tc.code {
			t.Errorf("%s: want %d, got %d %q", tc.cmd, tc.code, code, text)
		}
	}
	if got := c.must("PWD", 257); !strings.HasPrefix(got, `"/"`) {
		t.Errorf("PWD after CDUP at root: %q", got)
	}
	c.must("QUIT", 221)
}

func TestPathsNeverEscape(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "bob/secret.txt", []byte("bob's"))
	ts.putObject(t, "alice/mine.txt", []byte("alice's"))
	c := loggedIn(t, ts)
	for _, p := range []string{"../bob", "/../bob", "../../bob/secret.txt", "/..//..//bob", "..\\bob"} {
		if code, _ := c.cmd("CWD " + p); code == 250 {
			if got := c.must("PWD", 257); !strings.HasPrefix(got, `"/bob"`) && !strings.HasPrefix(got, `"/"`) {
				t.Errorf("CWD %q went to %s", p, got)
			}
		}
		if code, _ := c.cmd("SIZE " + p + "/secret.txt"); code == 213 {
			t.Errorf("SIZE via %q reached bob's file", p)
		}
	}
	c.must("CWD /", 250)
	c.must("CWD ../../..", 250)
	if got := c.must("PWD", 257); !strings.HasPrefix(got, `"/"`) {
		t.Errorf("PWD = %q", got)
	}
	c.must("SIZE ../../mine.txt", 213) // ".." clamps at the user's root
	c.must("SIZE a\x00b", 553)
	dc := c.openData(true)
	data, code, _ := c.download("RETR ../bob/secret.txt", dc)
	if code == 226 || bytes.Contains(data, []byte("bob")) {
		t.Fatalf("RETR escaped: code %d data %q", code, data)
	}
}

func TestTransfersNeedProtP(t *testing.T) {
	ts := startServer(t)
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.must("AUTH TLS", 234)
	c.startTLS()
	c.login("alice", "alice-pw")
	c.must("EPSV", 229)
	c.must("LIST", 521)
}

func TestPlainListenerAllowsClearText(t *testing.T) {
	ts := startServer(t)
	c := dialRaw(t, ts.plain, false, nil)
	c.login("alice", "alice-pw")
	dc := c.openData(false)
	if code, text := c.upload("STOR clear.txt", dc, []byte("clear\n")); code != 226 {
		t.Fatalf("STOR: %d %s", code, text)
	}
	got, err := ts.readObject(t, "alice/clear.txt")
	if err != nil || string(got) != "clear\n" {
		t.Fatalf("object = %q, %v", got, err)
	}
}

func TestLoginFailures(t *testing.T) {
	ts := startServer(t)
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.secure()
	c.must("USER nobody", 331) // same answer whether or not the user exists
	c.must("PASS x", 530)
	c.must("USER alice", 331)
	c.must("PASS wrong", 530)
	c.must("USER alice", 331)
	c.send("PASS wrong")
	if code, _ := c.reply(); code != 530 {
		t.Fatalf("third failure: %d", code)
	}
	c.expect(421)
	if _, err := c.r.ReadByte(); err == nil {
		t.Fatal("connection still open after too many failures")
	}
}

func TestLongLineAndTelnet(t *testing.T) {
	ts := startServer(t)
	c := loggedIn(t, ts)
	c.send(strings.Repeat("A", 1<<20))
	c.expect(500)
	c.must("NOOP", 200)
	// ABOR as clients send it: IAC IP IAC DM before the command.
	c.send("\xff\xf4\xff\xf2ABOR")
	c.expect(225)
}

// TestRestBeyondEnd: a REST past the end is refused with 554, from what
// Open learned of the file (its size), so a RETR costs one Open and no
// Stat, whatever the offset.
func TestRestBeyondEnd(t *testing.T) {
	cb := &countingBackend{}
	ts := startServer(t, func(s *setup) {
		s.wrap = func(b backends.Backend) backends.Backend { cb.Backend = b; return cb }
	})
	ts.putObject(t, "alice/small", []byte("0123456789"))
	c := loggedIn(t, ts)
	cb.reset()
	for _, step := range []struct {
		rest string
		code int
		want string
	}{
		{"REST 11", 554, ""},
		{"REST 4", 226, "456789"},
		{"REST 10", 226, ""},
	} {
		c.must(step.rest, 350)
		dc := c.openData(true)
		data, code, _ := c.download("RETR small", dc)
		if code != step.code || string(data) != step.want {
			t.Errorf("%s, RETR: %d %q, want %d %q", step.rest, code, data, step.code, step.want)
		}
		if stats, opens := cb.reset(); stats != 0 || opens != 1 {
			t.Errorf("%s, RETR asked %d Stats and %d Opens, want 0 and 1", step.rest, stats, opens)
		}
	}
}

func TestStorToDirectoryAndPermissions(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/keep.txt", []byte("keep"))
	c := loggedIn(t, ts)
	c.must("MKD dir", 257)
	dc := c.openData(true)
	if code, _ := c.upload("STOR dir", dc, []byte("x")); code != 550 {
		t.Fatalf("STOR onto a directory: %d", code)
	}
	r := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	r.secure()
	r.login("reader", "reader-pw")
	dc = r.openData(true)
	if code, _ := r.upload("STOR new.txt", dc, []byte("x")); code != 550 {
		t.Fatalf("reader STOR: %d", code)
	}
	r.must("DELE keep.txt", 550)
	r.must("MKD d2", 550)
	r.must("RNFR keep.txt", 350)
	r.must("RNTO other.txt", 550)
	dc = r.openData(true)
	data, code, _ := r.download("RETR keep.txt", dc)
	if code != 226 || string(data) != "keep" {
		t.Fatalf("reader RETR: %d %q", code, data)
	}
	w := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	w.secure()
	w.login("writer", "writer-pw")
	dc = w.openData(true)
	if code, _ := w.upload("STOR in.csv", dc, []byte("a,b\n")); code != 226 {
		t.Fatalf("writer STOR: %d", code)
	}
	dc = w.openData(true)
	if code, _ := w.upload("STOR in.csv", dc, []byte("overwrite")); code != 550 {
		t.Fatalf("writer overwrite without permission: %d", code)
	}
	dc = w.openData(true)
	if _, code, _ := w.download("LIST", dc); code != 550 {
		t.Fatalf("writer LIST: %d", code)
	}
}

func TestAbortDuringDownload(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/big.bin", randomBytes(64<<20, 1))
	c := loggedIn(t, ts)
	dc := c.openData(true)
	c.must("RETR big.bin", 150)
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(dc, buf); err != nil {
		t.Fatal(err)
	}
	c.send("ABOR")
	codes := []int{}
	for len(codes) < 2 {
		code, _ := c.reply()
		codes = append(codes, code)
	}
	if codes[0] != 426 || codes[1] != 226 {
		t.Fatalf("ABOR replies %v, want [426 226]", codes)
	}
	dc.Close()
	c.must("NOOP", 200)
}

func TestDisconnectMidUploadLeavesNothing(t *testing.T) {
	ts := startServer(t)
	c := loggedIn(t, ts)
	dc := c.openData(true)
	c.must("STOR partial.bin", 150)
	if _, err := dc.Write(randomBytes(3<<20, 2)); err != nil {
		t.Fatal(err)
	}
	// The client vanishes: control connection first, then data.
	c.conn.Close()
	time.Sleep(200 * time.Millisecond)
	dc.Close()
	waitFor(t, func() bool { return ts.srv.Sessions() == 0 })
	if _, err := ts.bucket.Stat(t.Context(), "alice/partial.bin"); !errors.Is(err, backends.ErrNotExist) {
		t.Fatalf("partial upload visible: %v", err)
	}
	if !strings.Contains(ts.logs.String(), "upload aborted") {
		t.Error("no log line says the upload was aborted")
	}
	// The server still serves.
	c2 := loggedIn(t, ts)
	c2.must("NOOP", 200)
}

func TestIdleTimeoutAndLimits(t *testing.T) {
	ts := startServer(t, func(s *setup) {
		s.cfg.Server.IdleTimeout = 500 * time.Millisecond
		s.cfg.Server.MaxSessionsPerIP = 2
	})
	a := dialRaw(t, ts.plain, false, nil)
	dialRaw(t, ts.plain, false, nil)
	conn, err := net.Dial("tcp", ts.plain)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := conn.Read(line)
	if !strings.HasPrefix(string(line[:n]), "421 ") {
		t.Fatalf("third session from one IP: %q", line[:n])
	}
	a.expect(421) // idle timeout
}

func TestPassivePortTheftRefused(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/f.txt", []byte("private"))
	c := loggedIn(t, ts)
	text := c.must("EPSV", 229)
	port := epsvPort.FindStringSubmatch(text)[1]
	// A third party on another loopback address races to the port.
	thief, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	dc, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	data, code, _ := c.download("RETR f.txt", &lazyTLS{Conn: dc, cfg: c.tls})
	if code != 226 || string(data) != "private" {
		t.Fatalf("RETR: %d %q", code, data)
	}
	thief.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, _ := thief.Read(make([]byte, 10)); n > 0 {
		t.Fatal("the thief received data")
	}
}

func TestSessionReuseRequired(t *testing.T) {
	ts := startServer(t, func(s *setup) { s.cfg.TLS.SessionReuse = ftps.ReuseRequired })
	ts.putObject(t, "alice/f.txt", []byte("data"))
	c := loggedIn(t, ts)
	data, code, _ := c.download("RETR f.txt", c.openData(true))
	if code != 226 || string(data) != "data" {
		t.Fatalf("resuming client: %d %q", code, data)
	}
	// A data connection that does not resume (a fresh session cache) is
	// refused.
	fresh := ts.clientTLS(t)
	dc := c.openData(false)
	c.send("RETR f.txt")
	c.expect(150)
	go func() {
		tc := tlsClientConn(dc, fresh)
		tc.Handshake()
		io.Copy(io.Discard, tc)
	}()
	c.expect(425)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMLSDPermFacts(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/f.txt", []byte("x"))
	for _, tc := range []struct{ user, pass, want string }{
		{"alice", "alice-pw", "perm=adfrw;"},
		{"reader", "reader-pw", "perm=r;"},
	} {
		c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
		c.secure()
		c.login(tc.user, tc.pass)
		data, code, _ := c.download("MLSD /", c.openData(true))
		if code != 226 || !strings.Contains(string(data), tc.want+" f.txt\r\n") || !strings.Contains(string(data), "type=file;size=1;modify=") {
			t.Errorf("%s: MLSD %d %q", tc.user, code, data)
		}
		if got := c.must("MLST f.txt", 250); !strings.Contains(got, tc.want) {
			t.Errorf("%s: MLST %q", tc.user, got)
		}
	}
}

func TestListingForms(t *testing.T) {
	ts := startServer(t)
	ts.putObject(t, "alice/dir/f.txt", []byte("12345"))
	ts.putObject(t, "alice/dir/sub/g", nil)
	c := loggedIn(t, ts)
	for _, tc := range []struct{ cmd, want, not string }{
		{"LIST -la dir", " 5 ", ""},
		{"LIST -la", "dir\r\n", ""},
		{"LIST dir/f.txt", "f.txt\r\n", "sub"},
		{"NLST dir", "f.txt\r\nsub\r\n", "rw"},
		{"MLSD dir", "type=dir;", ""},
	} {
		data, code, text := c.download(tc.cmd, c.openData(true))
		if code != 226 || !strings.Contains(string(data), tc.want) || (tc.not != "" && strings.Contains(string(data), tc.not)) {
			t.Errorf("%s: %d %q\n%s", tc.cmd, code, text, data)
		}
	}
	if _, code, _ := c.download("MLSD dir/f.txt", c.openData(true)); code != 550 {
		t.Errorf("MLSD of a file: %d", code)
	}
	if _, code, _ := c.download("LIST missing", c.openData(true)); code != 550 {
		t.Errorf("LIST of a missing path: %d", code)
	}
	if got := c.must("STAT dir", 213); !strings.Contains(got, "f.txt") {
		t.Errorf("STAT dir: %q", got)
	}
}

func TestSTOUAndEPSVAll(t *testing.T) {
	ts := startServer(t)
	c := loggedIn(t, ts)
	dc := c.openData(true)
	c.send("STOU")
	code, text := c.reply()
	if code != 150 || !strings.HasPrefix(text, "FILE: ftpsbridge-") {
		t.Fatalf("STOU: %d %q", code, text)
	}
	name := strings.TrimPrefix(text, "FILE: ")
	dc.Write([]byte("unique"))
	dc.Close()
	c.expect(226)
	if got, err := ts.readObject(t, "alice/"+name); err != nil || string(got) != "unique" {
		t.Fatalf("STOU object %q: %q %v", name, got, err)
	}
	c.must("EPSV ALL", 200)
	c.must("PASV", 503)
	c.must("PORT 127,0,0,1,200,10", 503)
	c.must("EPSV", 229)
}

// PASV and EPSV replies are held back passive.reply_delay (see
// PassiveConfig.ReplyDelay). The delay is a lower bound, so this check
// cannot flake on a slow machine.
func TestPassiveReplyDelay(t *testing.T) {
	const delay = 80 * time.Millisecond
	ts := startServer(t, func(s *setup) { s.cfg.Passive.ReplyDelay = delay })
	c := dialRaw(t, ts.plain, false, nil)
	c.login("alice", "alice-pw")
	for _, tc := range []struct {
		cmd  string
		code int
	}{{"PASV", 227}, {"EPSV", 229}} {
		start := time.Now()
		c.must(tc.cmd, tc.code)
		if d := time.Since(start); d < delay {
			t.Errorf("%s answered after %v, want at least %v", tc.cmd, d, delay)
		}
	}
}
