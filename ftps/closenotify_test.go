package ftps_test

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestClientsCloseNotify records which real clients end an upload's TLS
// data connection with close_notify, the fact behind the default of
// tls.upload_without_close_notify (commit) and the README's table. If a
// client's behaviour changes, this test says so.
func TestClientsCloseNotify(t *testing.T) {
	const warning = "upload ended without TLS close_notify"
	data := randomBytes(1<<20, 3)
	src := filepath.Join(t.TempDir(), "up.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		client      string
		sendsNotify bool
		upload      func(t *testing.T, ts *testServer)
	}{
		{"curl", true, func(t *testing.T, ts *testServer) {
			curl := testenv.Tool(t, "curl")
			if out, err := run(t, nil, curl, "-sS", "--fail", "--ssl-reqd", "--cacert", ts.certFile,
				"--user", "alice:alice-pw", "-T", src, "ftp://"+ts.explicit+"/cn.bin"); err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
		}},
		{"lftp", true, func(t *testing.T, ts *testServer) {
			lftpScript(t, ts, "ftp://"+ts.explicit, "put "+src+" -o cn.bin")
		}},
		{"jlaffaye/ftp", true, func(t *testing.T, ts *testServer) {
			c := goClient(t, ts, false, "alice", "alice-pw")
			if err := c.Stor("cn.bin", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.client, func(t *testing.T) {
			ts := startServer(t)
			tc.upload(t, ts)
			got, err := ts.readObject(t, "alice/cn.bin")
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("uploaded object: %d bytes, %v", len(got), err)
			}
			sent := !strings.Contains(ts.logs.String(), warning)
			t.Logf("%s sends close_notify at the end of an upload: %v", tc.client, sent)
			if sent != tc.sendsNotify {
				t.Errorf("%s sends close_notify: %v, the README says %v", tc.client, sent, tc.sendsNotify)
			}
		})
	}
}

// uploadWithoutCloseNotify sends data over a TLS data connection and then
// drops the TCP connection without a close_notify, as a cut link does.
func uploadWithoutCloseNotify(t *testing.T, c *rawClient, name string, data []byte) (int, string) {
	t.Helper()
	dc := c.openData(false)
	c.send("STOR " + name)
	c.expect(150)
	tc := tls.Client(dc, c.tls)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := tc.Write(data); err != nil {
		t.Fatal(err)
	}
	dc.Close() // the raw connection: no close_notify
	return c.reply()
}

func TestUploadWithoutCloseNotify(t *testing.T) {
	data := randomBytes(256<<10, 4)
	t.Run("commit-by-default", func(t *testing.T) {
		ts := startServer(t)
		c := loggedIn(t, ts)
		if code, text := uploadWithoutCloseNotify(t, c, "cut.bin", data); code != 226 {
			t.Fatalf("upload without close_notify under the default policy: %d %s, want 226", code, text)
		}
		if got, err := ts.readObject(t, "alice/cut.bin"); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("object: %d bytes, %v", len(got), err)
		}
		if !strings.Contains(ts.logs.String(), "upload ended without TLS close_notify") {
			t.Error("no warning logged for an upload without close_notify")
		}
	})
	t.Run("abort-when-configured", func(t *testing.T) {
		ts := startServer(t, func(s *setup) { s.cfg.TLS.UploadWithoutCloseNotify = ftps.UncleanAbort })
		c := loggedIn(t, ts)
		code, text := uploadWithoutCloseNotify(t, c, "cut.bin", data)
		if code != 451 || !strings.Contains(text, "close_notify") {
			t.Fatalf("upload without close_notify under abort: %d %s, want 451 naming close_notify", code, text)
		}
		if _, err := ts.readObject(t, "alice/cut.bin"); err == nil {
			t.Fatal("a possibly truncated upload was stored")
		}
		c.must("NOOP", 200)
	})
	t.Run("allo-mismatch-aborts", func(t *testing.T) {
		ts := startServer(t)
		c := loggedIn(t, ts)
		c.must("ALLO 1000", 202)
		dc := c.openData(true)
		code, text := c.upload("STOR short.bin", dc, data[:999])
		if code != 451 || !strings.Contains(text, "ALLO") {
			t.Fatalf("999 bytes after ALLO 1000: %d %s, want 451 naming ALLO", code, text)
		}
		if _, err := ts.readObject(t, "alice/short.bin"); err == nil {
			t.Fatal("an upload shorter than its ALLO was stored")
		}
	})
}
