package ftps

import (
	"errors"
	"strconv"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Kinds of Event.
const (
	EventUpload       = "upload"        // a file was committed (226 sent)
	EventUploadFailed = "upload_failed" // an upload was refused, aborted or cut: nothing stored
	EventDownload     = "download"      // a RETR finished (226 sent)
	EventDelete       = "delete"
	EventRename       = "rename"
	EventMkdir        = "mkdir"
	EventRmdir        = "rmdir"
	EventLoginFailed  = "login_failed"
	EventBan          = "ban" // an address was banned for failed logins
)

// Event is one thing a session did that somebody outside the server may
// want to act on: a file arrived, a login failed. Unlike Observer's counts
// it says who and what. It speaks of virtual paths only; FS lets the sink
// ask the session's file system where a path is stored, so the front end
// stays ignorant of buckets.
type Event struct {
	Kind    string
	Time    time.Time // when the action ended
	Session string    // the session id, as logged ("session" attribute)
	User    string    // the login name; for login_failed, the name tried
	// RemoteAddr is the client's address, host:port, of the control
	// connection (after the PROXY protocol, if any).
	RemoteAddr string
	Command    string // the FTP command: STOR, RETR, DELE, RNTO, PASS, ...
	Path       string // the virtual path; for rename, the source
	To         string // for rename, the target
	Bytes      int64  // data bytes moved, for transfers
	// Checksums are the digests of an upload computed on its stream, by
	// algorithm name ("SHA-256": hex), when the server records them.
	Checksums map[string]string
	Duration  time.Duration
	// Reason says why, for upload_failed ("aborted", "connection_lost",
	// "refused", ...), login_failed and ban. Reply is the reply the client
	// got (code and text from the reply table, never an internal error).
	Reason string
	Reply  string
	// FS is the session's file system (nil before login). A sink may ask
	// it, by type assertion, where Path is stored.
	FS FileSystem
}

// EventSink receives Events. Event is called on the session's goroutine
// and must not block: a sink queues and delivers on its own time.
type EventSink interface {
	Event(Event)
}

// SetEventSink makes e receive the sessions' events. Call it before
// serving; without it events go nowhere.
func (s *Server) SetEventSink(e EventSink) { s.events = e }

type noEvents struct{}

func (noEvents) Event(Event) {}

// emit fills in what the session knows and hands ev to the sink.
func (s *session) emit(ev Event) {
	ev.Time = time.Now().UTC()
	ev.Session = strconv.FormatUint(s.id, 10)
	if ev.User == "" {
		ev.User = s.user
	}
	ev.RemoteAddr = s.conn.RemoteAddr().String()
	if ev.FS == nil {
		ev.FS = s.fs
	}
	s.srv.events.Event(ev)
}

// emitTransfer reports the end of a data transfer: uploads succeed or
// fail, finished downloads are reported; listings are not events.
func (s *session) emitTransfer(job transferJob, result string, bytes int64, took time.Duration, code int, msg string) {
	ev := Event{Command: job.verb, Path: job.path, Bytes: bytes, Duration: took}
	switch {
	case job.upload && result == "ok":
		ev.Kind = EventUpload
		if job.checksums != nil {
			ev.Checksums = job.checksums()
		}
	case job.upload:
		ev.Kind, ev.Reason = EventUploadFailed, result
		ev.Reply = strconv.Itoa(code) + " " + msg
	case job.verb == "RETR" && result == "ok":
		ev.Kind = EventDownload
	default:
		return
	}
	s.emit(ev)
}

// emitRefused reports an upload refused before any data moved (550 for
// permissions, 553 for a name, ...).
func (s *session) emitRefused(verb, p string, err error) {
	code, msg := errorReply(err)
	s.emit(Event{Kind: EventUploadFailed, Command: verb, Path: p, Reason: "refused",
		Reply: strconv.Itoa(code) + " " + msg})
}

// loginFailReason says why a login failed, in a word.
func loginFailReason(err error) string {
	if errors.Is(err, backends.ErrPermission) {
		return "bad_credentials"
	}
	return "error" // a timeout, a shutdown, a store that did not answer
}

// checksumsOf gives an upload event the digests its recorder computed on
// the stream, if digests are recorded (server.hash.record).
func checksumsOf(rec *recorder) func() map[string]string {
	if rec == nil {
		return nil
	}
	return rec.sums
}
