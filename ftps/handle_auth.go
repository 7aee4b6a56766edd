package ftps

import (
	"context"
	"strings"
	"time"
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
	s.user, s.fs, s.pbsz, s.protP = "", nil, false, false
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
	if !s.srv.auth.PasswordRequired(s.user, s.peerCerts) {
		s.login("")
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
		s.login(arg)
	}
}

func (s *session) login(password string) {
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	fs, err := s.srv.auth.Login(ctx, LoginInfo{
		User:             s.user,
		Password:         password,
		RemoteAddr:       s.conn.RemoteAddr(),
		PeerCertificates: s.peerCerts,
	})
	if err != nil {
		s.failures++
		s.log.Warn("login failed", "user", s.user, "failures", s.failures, "err", err)
		s.user = ""
		s.reply(codeNotLoggedIn, "Login incorrect.")
		if s.failures >= maxLoginFailures {
			s.reply(codeUnavailable, "Too many failed logins; closing connection.")
			s.quitting = true
		}
		return
	}
	s.fs = fs
	s.cwd = cleanPath(fs.Home())
	s.log = s.log.With("user", s.user)
	s.log.Info("login", "tls", s.secure)
	s.reply(codeLoggedIn, "User "+sanitize(s.user)+" logged in.")
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
