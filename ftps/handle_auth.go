package ftps

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// tlsRequired reports whether this listener demands TLS for login and
// data (every listener but tls: none).
func (s *session) tlsRequired() bool { return s.mode != TLSNone }

func (s *session) handleAUTH(arg string) {
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "TLS", "TLS-C", "SSL", "TLS-P":
	default:
		s.reply(codeBadParameter, "AUTH mechanism not supported; use AUTH TLS.")
		return
	}
	if s.secure {
		s.reply(codeBadSequence, "TLS is already active.")
		return
	}
	s.reply(codeAuthOK, "AUTH TLS successful; starting TLS negotiation.")
	if err := s.handshakeControl(); err != nil {
		s.log.Info("TLS handshake after AUTH failed", "err", err)
		s.quitting = true
		return
	}
	// RFC 4217 section 4: a new security context resets the login and
	// the data protection level.
	s.logout()
	s.pbsz, s.protP = false, false
}

func (s *session) handlePBSZ(arg string) {
	if !s.secure {
		s.reply(codeBadSequence, "PBSZ needs a TLS connection; send AUTH TLS first.")
		return
	}
	s.pbsz = true
	// RFC 4217 section 8: for TLS the only meaningful buffer size is 0.
	s.reply(codeOK, "PBSZ=0")
}

func (s *session) handlePROT(arg string) {
	if !s.secure {
		s.reply(codeBadSequence, "PROT needs a TLS connection; send AUTH TLS first.")
		return
	}
	if !s.pbsz {
		s.reply(codeBadSequence, "PROT needs PBSZ first.")
		return
	}
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "P":
		s.protP = true
		s.reply(codeOK, "Data channel protection level set to Private.")
	case "C":
		if s.tlsRequired() {
			s.reply(codePolicyDenied, "Policy requires protected data connections; use PROT P.")
			return
		}
		s.protP = false
		s.reply(codeOK, "Data channel protection level set to Clear.")
	case "S", "E":
		s.reply(codeProtUnsupported, "Protection level not supported; use PROT P.")
	default:
		s.reply(codeBadParameter, "Unknown protection level; use PROT P.")
	}
}

func (s *session) handleCCC(string) {
	s.reply(codePolicyDenied, "Policy forbids clearing the command channel.")
}

func (s *session) handleUSER(arg string) {
	if s.fs != nil {
		s.reply(codeBadSequence, "Already logged in.")
		return
	}
	if s.tlsRequired() && !s.secure {
		s.reply(codeNotLoggedIn, "TLS required: send AUTH TLS before USER.")
		return
	}
	s.user = strings.TrimSpace(arg)
	if len(s.peerCerts) > 0 && !s.srv.auth.PasswordRequired(s.user, s.peerCerts) {
		// RFC 4217 section 11: the certificate is sufficient.
		s.login("", true)
		return
	}
	s.reply(codeNeedPassword, "Password required for "+sanitize(s.user)+".")
}

func (s *session) handlePASS(arg string) {
	switch {
	case s.fs != nil:
		s.reply(codeBadSequence, "Already logged in.")
	case s.user == "":
		s.reply(codeBadSequence, "Send USER first.")
	default:
		s.login(arg, false)
	}
}

// login authenticates s.user; byCert means no password was asked for.
func (s *session) login(password string, byCert bool) {
	addr := addrOf(s.conn.RemoteAddr())
	if s.srv.guard.banned(addr) {
		// Banned by another connection's failures while this one was open.
		s.srv.obs.Login("banned")
		s.reply(codeUnavailable, msgBanned)
		s.quitting, s.endReason = true, "address banned"
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.srv.cfg.Server.LoginCheckTimeout)
	defer cancel()
	fs, err := s.srv.auth.Login(ctx, LoginInfo{
		User:             s.user,
		Password:         password,
		RemoteAddr:       s.conn.RemoteAddr(),
		PeerCertificates: s.peerCerts,
		Listener:         s.mode,
		TLS:              s.secure,
	})
	switch {
	case errors.Is(err, ErrSessionLimit):
		s.log.Warn("login refused: user at max_sessions", "user", s.user)
		s.srv.obs.Login("session_limit")
		s.user = ""
		s.reply(codeNotLoggedIn, msgSessionLimit)
		return
	case errors.Is(err, ErrAuthUnavailable):
		s.log.Warn("login not checked: identity provider unavailable", "user", s.user, "err", err)
		s.srv.obs.Login("unavailable")
		s.user = ""
		s.reply(codeUnavailable, msgAuthUnavailable)
		s.quitting, s.endReason = true, "identity provider unavailable"
		return
	case errors.Is(err, ErrBusy) || (errors.Is(err, context.DeadlineExceeded) && s.ctx.Err() == nil):
		// Not a wrong password: the check did not finish in time. The
		// client may retry; nothing counts towards a ban.
		s.log.Warn("login not checked: server busy", "user", s.user, "err", err)
		s.srv.obs.Login("busy")
		s.user = ""
		s.reply(codeUnavailable, msgBusy)
		s.quitting, s.endReason = true, "login busy"
		return
	case err != nil:
		s.loginFailed(addr, err)
		return
	}
	s.srv.obs.Login("ok")
	s.srv.logins.loggedIn(s.id, s.user, addr)
	s.leavePreLogin()
	s.fs = fs
	s.noteUser(s.user)
	s.cwd = cleanPath(fs.Home())
	s.log = s.log.With("user", s.user)
	if len(s.peerCerts) > 0 {
		s.log.Info("login", "tls", s.secure, "client_cert", s.peerCerts[0].Subject.String(), "password", !byCert)
	} else {
		s.log.Info("login", "tls", s.secure)
	}
	if byCert {
		s.reply(codeCertLoggedIn, "User "+sanitize(s.user)+" logged in, authorized by client certificate.")
		return
	}
	s.reply(codeLoggedIn, "User "+sanitize(s.user)+" logged in.")
}

// loginFailed answers a failed login, counts it against the client's
// address and the user name, and ends the session when the address is
// now banned or this connection has failed too often.
func (s *session) loginFailed(addr netip.Addr, err error) {
	s.failures++
	s.srv.obs.Login("failed")
	banned := false
	if errors.Is(err, backends.ErrPermission) { // not a timeout or shutdown
		banned = s.srv.guard.failed(addr, s.user)
	}
	s.log.Warn("login failed", "user", s.user, "failures", s.failures, "err", err)
	s.emit(Event{Kind: EventLoginFailed, Command: "PASS", Reason: loginFailReason(err)})
	if banned {
		s.emit(Event{Kind: EventBan, Command: "PASS", Reason: "login_failures"})
	}
	s.user = ""
	s.reply(codeNotLoggedIn, "Login incorrect.")
	switch {
	case banned:
		s.reply(codeUnavailable, msgBanned)
		s.quitting, s.endReason = true, "address banned"
	case s.failures >= maxLoginFailures:
		s.reply(codeUnavailable, "Too many failed logins; closing connection.")
		s.quitting, s.endReason = true, "too many failed logins"
	}
}

// logout ends the login, if any, closing the FileSystem when it wants to
// know (so the user's session count goes down).
func (s *session) logout() {
	if c, ok := s.fs.(io.Closer); ok {
		if err := c.Close(); err != nil {
			s.log.Warn("closing the session's file system failed", "err", err)
		}
	}
	if s.fs != nil {
		s.srv.logins.loggedOut(s.id)
	}
	s.fs, s.user = nil, ""
	s.noteUser("")
}

// revoked reports whether the login behind this session has been
// withdrawn by a configuration reload.
func (s *session) revoked() bool {
	r, ok := s.fs.(Revocable)
	if !ok {
		return false
	}
	err := r.Authorized()
	if err != nil {
		s.log.Warn("session ended: login revoked", "err", err)
	}
	return err != nil
}

func (s *session) handleACCT(string) {
	s.reply(codeNotNeeded, "ACCT not needed.")
}

func (s *session) handleREIN(string) {
	s.reply(codeNotImplemented, "REIN not implemented; reconnect instead.")
}

func (s *session) handleQUIT(string) {
	s.abortTransfer()
	s.reply(codeClosing, "Goodbye.")
	s.quitting = true
}

// sanitize makes client-supplied text safe to echo in a reply: no control
// characters that could forge reply lines.
func sanitize(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, v)
}
