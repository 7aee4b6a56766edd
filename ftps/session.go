package ftps

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// maxLine caps a command line. RFC 959 sets no limit, but paths beyond a
// few KiB are not real: the cap keeps a hostile client from growing memory.
const maxLine = 8192

// maxLoginFailures ends a session after this many bad passwords.
const maxLoginFailures = 3

// session is one control connection and its state (RFC 959 section 5.4).
type session struct {
	hashAlgo string // the algorithm OPTS HASH selected ("" is SHA-256)
	srv      *Server
	id       uint64
	mode     string // listener TLS mode
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	tlsCfg   *tls.Config
	start    time.Time

	conn   net.Conn // the control connection, *tls.Conn once secured
	reader *bufio.Reader
	wmu    sync.Mutex // serialises replies from the loop and transfers
	writer *bufio.Writer

	secure    bool // control connection is TLS
	pbsz      bool // PBSZ received after AUTH
	protP     bool // data connections use TLS
	peerCerts []*x509.Certificate
	user      string
	fs        FileSystem
	cwd       string
	failures  int
	restAt    int64
	renameSrc string
	pre       preLogin
	ascii     bool
	epsvAll   bool
	mlstFacts map[string]bool
	allo      int64
	quitting  bool
	// endReason says, for the log, why a session that is quitting ends
	// ("" for QUIT).
	endReason string

	origin   origin     // listener, load balancer, socket address
	data     dataSource // the prepared data connection (PASV/PORT)
	tmu      sync.Mutex
	transfer *transfer // the running transfer, if any

	live liveState // what the operator console reads (registry.go)
}

func newSession(srv *Server, conn net.Conn, mode string, id uint64) *session {
	ctx, cancel := context.WithCancel(srv.baseCtx)
	s := &session{
		srv:       srv,
		id:        id,
		mode:      mode,
		ctx:       ctx,
		cancel:    cancel,
		tlsCfg:    sessionTLS(srv.tlsCfg.Load(), id, srv.logins),
		start:     time.Now(),
		conn:      conn,
		cwd:       "/",
		mlstFacts: map[string]bool{"type": true, "size": true, "modify": true, "perm": true},
	}
	s.log = srv.log.With("session", id, "remote", conn.RemoteAddr().String())
	s.setConn(conn)
	return s
}

func (s *session) setConn(c net.Conn) {
	s.conn = c
	s.reader = bufio.NewReaderSize(c, 4096)
	s.writer = bufio.NewWriterSize(c, 4096)
}

type lineResult struct {
	line string
	err  error
}

// serve runs the session until QUIT, an error, idle timeout or shutdown.
// A panic in any handler ends this session only.
func (s *session) serve() {
	s.log.Info("session start", "listener", s.mode)
	reason := "quit"
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in session; closing it", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.reply(codeUnavailable, "Internal error; closing connection.")
			reason = "panic"
		}
		s.close()
		s.log.Info("session end", "reason", reason, "duration", time.Since(s.start).Round(time.Millisecond))
	}()
	if s.mode == TLSImplicit {
		if err := s.handshakeControl(); err != nil {
			s.log.Info("implicit TLS handshake failed", "err", err)
			reason = "tls handshake failed"
			return
		}
	}
	s.reply(codeReady, s.srv.cfg.Server.Banner)
	s.startLoginClock()
	reason = s.loop()
}

// loop reads commands one at a time. The reader goroutine reads a line
// only when asked, so the loop can swap the connection for TLS after AUTH
// without racing it, yet ABOR can still be read while a transfer runs.
func (s *session) loop() string {
	lines := make(chan lineResult)
	next := make(chan struct{})
	go s.readLines(lines, next)
	defer close(next)
	for {
		next <- struct{}{}
		var res lineResult
		select {
		case res = <-lines:
		case <-s.srv.closing:
			s.waitTransfer()
			s.reply(codeUnavailable, "Server shutting down; closing connection.")
			return "shutdown"
		case <-s.ctx.Done():
			return "cancelled"
		case <-s.loginExpired():
			s.reply(codeUnavailable, msgLoginTimeout)
			return "login timeout"
		case <-s.kicked():
			return s.endKicked()
		}
		if res.err != nil {
			if s.lineTooLong(res.err) {
				continue
			}
			return s.readFailure(res.err)
		}
		if quit := s.dispatch(res.line); quit {
			return cmp.Or(s.endReason, "quit")
		}
	}
}

func (s *session) readFailure(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		s.reply(codeUnavailable, "Idle timeout; closing connection.")
		return "idle timeout"
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		s.abortTransfer()
		return "client disconnected"
	}
	s.abortTransfer()
	return "read error"
}

// readLines serves loop: one line per request on next.
func (s *session) readLines(lines chan<- lineResult, next <-chan struct{}) {
	for range next {
		if !s.transferRunning() {
			s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.Server.IdleTimeout))
		}
		line, err := s.readLine()
		select {
		case lines <- lineResult{line, err}:
		case <-s.ctx.Done():
			return
		}
	}
}

// readLine returns one command line without its CRLF. A line longer than
// maxLine is consumed and discarded, and reported as errLineTooLong, so
// memory stays bounded whatever the client sends.
func (s *session) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := s.reader.ReadSlice('\n')
		if len(buf)+len(chunk) <= maxLine {
			buf = append(buf, chunk...)
		} else {
			if err == nil {
				return "", errLineTooLong
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				// Keep discarding until the end of the line.
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = s.reader.ReadSlice('\n')
				}
				if err == nil {
					return "", errLineTooLong
				}
			}
			return "", err
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return "", err
		}
		return string(stripTelnet(strings.TrimRight(string(buf), "\r\n"))), nil
	}
}

var errLineTooLong = errors.New("command line too long")

// stripTelnet removes Telnet commands (RFC 854) that clients send around
// ABOR: IAC IP, IAC DM (the urgent byte itself may be dropped by the
// kernel), and option negotiation. IAC IAC stands for a literal 0xFF.
func stripTelnet(line string) string {
	// Bytes, not runes: ContainsAny would decode "\xff" as U+FFFD and
	// match any invalid UTF-8 instead.
	if strings.IndexByte(line, 0xff) < 0 && strings.IndexByte(line, 0xf2) < 0 {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != 0xff {
			if c == 0xf2 && b.Len() == 0 { // a DM left before the command
				continue
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(line) {
			break
		}
		switch op := line[i+1]; {
		case op == 0xff: // escaped literal 0xFF
			b.WriteByte(0xff)
			i++
		case op >= 0xfb && op <= 0xfe: // WILL, WONT, DO, DONT + option
			i += 2
		case op >= 0xf0: // IP, DM, AO, ...
			i++
		default:
			// A lone IAC whose DM went out of band and was dropped.
		}
	}
	return b.String()
}

// reply sends one reply; text containing newlines becomes a multi-line
// reply in the RFC 959 form (code-hyphen first line, code-space last).
func (s *session) reply(code int, text string) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.Server.DataTimeout))
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		switch {
		case i == len(lines)-1:
			fmt.Fprintf(s.writer, "%d %s\r\n", code, l)
		case i == 0:
			fmt.Fprintf(s.writer, "%d-%s\r\n", code, l)
		default:
			// Inner lines must not look like a final reply line.
			fmt.Fprintf(s.writer, " %s\r\n", strings.TrimLeft(l, " "))
		}
	}
	if err := s.writer.Flush(); err != nil {
		s.log.Debug("reply write failed", "err", err)
	}
}

// replyErr logs err and sends the reply errorReply chooses for it.
func (s *session) replyErr(op, path string, err error) {
	code, msg := errorReply(err)
	level := slog.LevelInfo
	if code == codeLocalError {
		level = slog.LevelWarn
	}
	s.log.Log(s.ctx, level, "command failed", "command", op, "path", path, "code", code, "err", err)
	s.reply(code, msg)
}

// handshakeControl secures the control connection (AUTH TLS, or at once
// on an implicit listener).
func (s *session) handshakeControl() error {
	tc := tls.Server(s.conn, s.tlsCfg)
	tc.SetDeadline(time.Now().Add(s.srv.cfg.Server.DataTimeout))
	if err := tc.HandshakeContext(s.ctx); err != nil {
		return err
	}
	tc.SetDeadline(time.Time{})
	s.setConn(tc)
	s.secure = true
	s.peerCerts = tc.ConnectionState().PeerCertificates
	if s.mode == TLSImplicit {
		// Implicit FTPS protects data by default; clients that send
		// PBSZ/PROT P anyway are answered as usual.
		s.pbsz, s.protP = true, true
	}
	return nil
}

// close ends the session: any transfer is aborted (never committed), the
// data listener and control connection are closed.
func (s *session) close() {
	s.leavePreLogin()
	s.abortTransfer()
	s.logout()
	s.cancel()
	s.closeData()
	if tc, ok := s.conn.(*tls.Conn); ok {
		tc.SetWriteDeadline(time.Now().Add(time.Second))
		tc.CloseWrite()
	}
	s.conn.Close()
}
