package ftps_test

import (
	"io"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// TestSessionReuseSharedCache is how rclone and goftp connect: several
// control connections share one TLS session cache, so a data connection
// offers the ticket of whichever connection handshook last. With
// session_reuse: required that is accepted when the other connection is
// the same user from the same address, and refused for anyone else.
func TestSessionReuseSharedCache(t *testing.T) {
	ts := startServer(t, func(s *setup) { s.cfg.TLS.SessionReuse = ftps.ReuseRequired })
	ts.putObject(t, "alice/f.txt", []byte("data"))
	shared := ts.clientTLS(t) // one ClientSessionCache for every connection
	a := dialRaw(t, ts.explicit, false, shared)
	a.secure()
	a.login("alice", "alice-pw")

	// other handshakes last, so the shared cache holds its ticket when a
	// opens its next data connection.
	accepted := func(t *testing.T) {
		t.Helper()
		data, code, text := a.download("RETR f.txt", a.openData(true))
		if code != 226 || string(data) != "data" {
			t.Fatalf("RETR with the other connection's ticket: %d %s %q", code, text, data)
		}
	}
	refused := func(t *testing.T) {
		t.Helper()
		dc := a.openData(false)
		a.send("RETR f.txt")
		a.expect(150)
		done := make(chan struct{})
		go func() {
			defer close(done)
			tc := tlsClientConn(dc, shared)
			tc.Handshake()
			io.Copy(io.Discard, tc)
		}()
		a.expect(425)
		// The refused connection may still put a ticket of a's into the
		// shared cache: let it, before the next case handshakes.
		<-done
	}
	t.Run("same user same address", func(t *testing.T) {
		b := dialRaw(t, ts.explicit, false, shared)
		b.secure()
		b.login("alice", "alice-pw")
		accepted(t)
	})
	t.Run("same user, both connections busy at once", func(t *testing.T) {
		b := dialRaw(t, ts.explicit, false, shared)
		b.secure()
		b.login("alice", "alice-pw")
		done := make(chan string, 1)
		go func() {
			// b's own data connection, concurrently with a's.
			data, code, _ := b.download("RETR f.txt", b.openData(true))
			if code != 226 || string(data) != "data" {
				done <- "b's RETR failed"
				return
			}
			done <- ""
		}()
		accepted(t)
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	})
	t.Run("other user", func(t *testing.T) {
		b := dialRaw(t, ts.explicit, false, shared)
		b.secure()
		b.login("bob", "bob-pw")
		refused(t)
	})
	t.Run("other address", func(t *testing.T) {
		b := dialFrom(t, "127.0.0.2", ts.explicit, shared)
		b.secure()
		b.login("alice", "alice-pw")
		refused(t)
	})
	t.Run("not logged in", func(t *testing.T) {
		b := dialRaw(t, ts.explicit, false, shared)
		b.secure()
		b.must("NOOP", 200)
		refused(t)
	})
	if !strings.Contains(ts.logs.String(), "data_remote=") {
		t.Error("refused data connection not logged with data_remote")
	}
}
