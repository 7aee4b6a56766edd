package ftps_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// eventLog is an EventSink that keeps every event.
type eventLog struct {
	mu     sync.Mutex
	events []ftps.Event
}

func (l *eventLog) Event(ev ftps.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

// lines renders the events without their variable parts.
func (l *eventLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, ev := range l.events {
		s := fmt.Sprintf("%s %s %s %s", ev.Kind, ev.User, ev.Command, ev.Path)
		if ev.To != "" {
			s += " -> " + ev.To
		}
		if ev.Kind == ftps.EventUpload || ev.Kind == ftps.EventUploadFailed || ev.Kind == ftps.EventDownload {
			s += fmt.Sprintf(" %d", ev.Bytes)
		}
		if ev.Reason != "" {
			s += " (" + ev.Reason + ")"
		}
		out = append(out, s)
	}
	return out
}

func (l *eventLog) all() []ftps.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// TestEventsOfASession: each file operation that changes or moves data,
// each failed upload and each failed login is one event with the
// session's user, address and id; listings are not events. The session's
// file system says where the path is stored.
func TestEventsOfASession(t *testing.T) {
	sink := &eventLog{}
	ts := startServer(t, func(s *setup) { s.sink = sink })
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.secure()
	c.must("USER alice", 331)
	c.must("PASS wrong", 530)
	c.login("alice", "alice-pw")
	if code, text := c.upload("STOR e.txt", c.openData(true), []byte("twelve bytes")); code != 226 {
		t.Fatalf("STOR: %d %s", code, text)
	}
	if _, code, text := c.download("RETR e.txt", c.openData(true)); code != 226 {
		t.Fatalf("RETR: %d %s", code, text)
	}
	if _, code, text := c.download("NLST", c.openData(true)); code != 226 {
		t.Fatalf("NLST: %d %s", code, text)
	}
	c.must("ALLO 100", 202)
	if code, text := c.upload("STOR short.txt", c.openData(true), []byte("five!")); code/100 != 4 {
		t.Fatalf("STOR short of ALLO: %d %s", code, text)
	}
	c.must("MKD d", 257)
	c.must("RNFR e.txt", 350)
	c.must("RNTO d/f.txt", 250)
	c.must("DELE d/f.txt", 250)
	c.must("RMD d", 250)
	c.must("QUIT", 221)

	r := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	r.secure()
	r.login("reader", "reader-pw")
	r.must("PASV", 227)
	r.must("STOR nope.txt", 550)
	r.must("QUIT", 221)

	want := []string{
		"login_failed alice PASS  (bad_credentials)",
		"upload alice STOR /e.txt 12",
		"download alice RETR /e.txt 12",
		"upload_failed alice STOR /short.txt 5 (incomplete_upload)",
		"mkdir alice MKD /d",
		"rename alice RNTO /e.txt -> /d/f.txt",
		"delete alice DELE /d/f.txt",
		"rmdir alice RMD /d",
		"upload_failed reader STOR /nope.txt 0 (refused)",
	}
	if got := sink.lines(); !slices.Equal(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	evs := sink.all()
	for _, ev := range evs {
		if !strings.HasPrefix(ev.RemoteAddr, "127.0.0.1:") || ev.Session == "" || ev.Time.IsZero() {
			t.Errorf("event without its session: %+v", ev)
		}
	}
	if evs[0].FS != nil || evs[1].FS == nil || evs[1].Session != evs[0].Session || evs[8].Session == evs[0].Session {
		t.Errorf("sessions and file systems: %+v / %+v / %+v", evs[0], evs[1], evs[8])
	}
	if loc, ok := evs[1].FS.(interface {
		Locate(string) (mapping.Location, bool)
	}).Locate(evs[1].Path); !ok || loc.Key != "alice/e.txt" || loc.Backend != "mem" {
		t.Errorf("Locate: %+v %v", loc, ok)
	}
	if evs[3].Reply == "" || evs[8].Reply != "550 Permission denied." {
		t.Errorf("replies: %q, %q", evs[3].Reply, evs[8].Reply)
	}
}

// TestEventBan: the failure that bans an address is a login_failed and
// then a ban event.
func TestEventBan(t *testing.T) {
	sink := &eventLog{}
	ts := startServer(t, func(s *setup) {
		s.sink = sink
		s.cfg.Server.LoginFailures = ftps.LoginFailuresConfig{Max: 2, Window: time.Minute, Ban: time.Minute}
	})
	c := dialRaw(t, ts.explicit, false, ts.clientTLS(t))
	c.secure()
	c.must("USER bob", 331)
	c.must("PASS wrong", 530)
	c.must("USER bob", 331)
	c.cmd("PASS wrong again")
	want := []string{
		"login_failed bob PASS  (bad_credentials)",
		"login_failed bob PASS  (bad_credentials)",
		"ban bob PASS  (login_failures)",
	}
	if got := sink.lines(); !slices.Equal(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
