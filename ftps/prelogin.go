package ftps

import (
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// DefaultLoginTimeout is server.login_timeout when config.yaml omits it.
const DefaultLoginTimeout = time.Minute

// msgLoginTimeout and msgTooManyPreLogin are the 421 texts for a session
// that did not log in in time and for one refused because too many
// sessions have not logged in yet.
const (
	msgLoginTimeout    = "Login timeout; closing connection."
	msgTooManyPreLogin = "Too many connections not yet logged in; try again later."
)

// validateLogin checks server.login_timeout and
// server.max_unauthenticated_sessions.
func (s ServerConfig) validateLogin() error {
	if s.LoginTimeout <= 0 {
		return fielderr.New("server.login_timeout", "must be positive")
	}
	if n := s.MaxUnauthenticatedSessions; n < 0 || n > s.MaxSessions {
		return fielderr.New("server.max_unauthenticated_sessions",
			"want 0 (half of max_sessions) to max_sessions (%d), got %d", s.MaxSessions, n)
	}
	return nil
}

// maxPreLogin is how many sessions may be open at once without having
// logged in: server.max_unauthenticated_sessions, or half of max_sessions
// (at least 1) when that is 0. The rest of max_sessions stays for clients
// that log in, so a flood of connections that never do cannot fill it.
func (s ServerConfig) maxPreLogin() int {
	if s.MaxUnauthenticatedSessions > 0 {
		return s.MaxUnauthenticatedSessions
	}
	return max(1, s.MaxSessions/2)
}

// preLogin is a session's state until it logs in: the login clock, and
// whether it still holds a place among the server's pre-login sessions.
// Every session starts there (startSession counts it); it leaves once, at
// its first successful login or when it ends.
type preLogin struct {
	timer *time.Timer
	left  bool
}

// startLoginClock starts the login timeout. Commands before login,
// NOOP included, do not extend it.
func (s *session) startLoginClock() {
	s.pre.timer = time.NewTimer(s.srv.cfg.Server.LoginTimeout)
}

// loginExpired is the channel the loop waits on for the login timeout;
// nil (never ready) once the session has logged in.
func (s *session) loginExpired() <-chan time.Time {
	if s.pre.left || s.pre.timer == nil {
		return nil
	}
	return s.pre.timer.C
}

// leavePreLogin stops the login clock and frees the session's pre-login
// place. It is called at login and at the session's end; only the first
// call counts.
func (s *session) leavePreLogin() {
	if s.pre.left {
		return
	}
	s.pre.left = true
	if s.pre.timer != nil {
		s.pre.timer.Stop()
	}
	s.srv.mu.Lock()
	s.srv.preLogin--
	s.srv.mu.Unlock()
}
