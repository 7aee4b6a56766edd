package ftps

import "time"

// Observer receives the server's countable events, for metrics. The
// methods are called on the session's goroutine, so they must be quick and
// safe for concurrent use. Labels are short snake_case words.
type Observer interface {
	// SessionOpened and SessionClosed bracket every accepted session.
	SessionOpened()
	SessionClosed()
	// ConnectionRefused counts a connection answered 421 at once:
	// "banned", "max_sessions", "max_sessions_per_ip",
	// "max_unauthenticated_sessions" or "shutting_down".
	ConnectionRefused(reason string)
	// Login counts a login attempt: "ok", "failed", "session_limit",
	// "busy" (not checked in time; answered 421), "unavailable" (the
	// identity provider gave no usable answer; 421) or "banned" (the
	// address was banned while the session was open).
	Login(result string)
	// Transfer counts a finished data transfer (STOR, RETR, LIST, ...)
	// with its result ("ok", "aborted", "connection_lost",
	// "storage_error", ...), the bytes moved and how long it took.
	Transfer(command, result string, bytes int64, d time.Duration)
}

// SetObserver makes o receive the server's events. Call it before
// serving; without it events go nowhere.
func (s *Server) SetObserver(o Observer) { s.obs = o }

type noObserver struct{}

func (noObserver) SessionOpened()                                {}
func (noObserver) SessionClosed()                                {}
func (noObserver) ConnectionRefused(string)                      {}
func (noObserver) Login(string)                                  {}
func (noObserver) Transfer(string, string, int64, time.Duration) {}
