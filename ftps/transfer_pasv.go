package ftps

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dataSource is a prepared data connection: a passive listener waiting
// for the client, or an active address to dial.
type dataSource interface {
	open(ctx context.Context) (net.Conn, error)
	close()
}

// portPool hands out passive ports from the configured range, rotating
// so that a port just closed is not offered again at once.
type portPool struct {
	lo, hi int
	mu     sync.Mutex
	next   int
}

func newPortPool(lo, hi int) *portPool { return &portPool{lo: lo, hi: hi, next: lo} }

var errNoPassivePort = errors.New("no free passive port")

// listen opens a listener on ip at the first free port of the range.
func (p *portPool) listen(ip net.IP) (net.Listener, error) {
	n := p.hi - p.lo + 1
	for i := 0; i < n; i++ {
		p.mu.Lock()
		port := p.next
		if p.next++; p.next > p.hi {
			p.next = p.lo
		}
		p.mu.Unlock()
		l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
		if err == nil {
			return l, nil
		}
	}
	return nil, errNoPassivePort
}

// passiveSource accepts the client's data connection. Only a connection
// from the control connection's own IP is taken: anyone else who races
// to the port is refused (no data-port theft).
//
// It accepts as soon as the client connects, not when the transfer
// command arrives, and under PROT P answers the TLS handshake at once:
// curl starts the handshake right after connecting and, until it is
// answered, leaves the control connection unread (a second of waiting
// per transfer). Clients that start TLS only after 150 are served the
// same way, a round trip later.
type passiveSource struct {
	l        net.Listener
	clientIP net.IP
	s        *session

	ready  chan accepted // the accepted connection, once
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
}

// accepted is what the accepting goroutine hands over.
type accepted struct {
	conn net.Conn // the raw connection, or nil with err
	tls  *earlyTLS
	err  error
}

// earlyTLS is a data connection whose TLS handshake is already done.
type earlyTLS struct {
	*tls.Conn
	watch *eofWatch
}

func (p *passiveSource) start(secure bool, cfg *tls.Config, handshakeTimeout time.Duration) {
	p.ready = make(chan accepted, 1)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		r := accepted{}
		r.conn, r.err = p.accept()
		if r.err == nil && secure {
			watch := &eofWatch{Conn: r.conn}
			tc := tls.Server(watch, cfg)
			hctx, done := context.WithTimeout(ctx, handshakeTimeout)
			if err := tc.HandshakeContext(hctx); err != nil {
				r.conn.Close()
				r = accepted{err: err}
			} else {
				r.tls = &earlyTLS{Conn: tc, watch: watch}
			}
			done()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			if r.conn != nil {
				r.conn.Close()
			}
			return
		}
		p.ready <- r
	}()
}

// accept waits for the client's connection, refusing other addresses.
func (p *passiveSource) accept() (net.Conn, error) {
	for {
		conn, err := p.l.Accept()
		if err != nil {
			return nil, err
		}
		ta, ok := conn.RemoteAddr().(*net.TCPAddr)
		if ok && ta.IP.Equal(p.clientIP) {
			return conn, nil
		}
		p.s.srv.warns.Warn(p.s.log, remoteIP(conn.RemoteAddr()), "refused passive data connection from another address", "from", conn.RemoteAddr().String())
		conn.Close()
	}
}

func (p *passiveSource) open(ctx context.Context) (net.Conn, error) {
	select {
	case r := <-p.ready:
		if r.err != nil {
			return nil, r.err
		}
		if r.tls != nil {
			return r.tls, nil
		}
		return r.conn, nil
	case <-ctx.Done():
		p.close()
		return nil, fmt.Errorf("waiting for passive data connection: %w", ctx.Err())
	}
}

func (p *passiveSource) close() {
	p.mu.Lock()
	p.closed = true
	select {
	case r := <-p.ready:
		if r.conn != nil {
			r.conn.Close()
		}
	default:
	}
	p.mu.Unlock()
	p.cancel()
	p.l.Close()
}

// preparePassive opens a passive listener on the address the client
// reached us at, replacing any earlier prepared connection.
func (s *session) preparePassive() (net.Listener, bool) {
	s.closeData()
	local, _ := s.conn.LocalAddr().(*net.TCPAddr)
	remote, _ := s.conn.RemoteAddr().(*net.TCPAddr)
	if local == nil || remote == nil {
		s.reply(codeCantOpenData, "Cannot open passive connection.")
		return nil, false
	}
	l, err := s.srv.ports.listen(local.IP)
	if err != nil {
		s.log.Warn("passive listen failed", "err", err)
		s.reply(codeCantOpenData, "No passive port available; try again later.")
		return nil, false
	}
	p := &passiveSource{l: l, clientIP: remote.IP, s: s}
	p.start(s.protP, s.tlsCfg, s.srv.cfg.Server.IdleTimeout+s.srv.cfg.Server.DataTimeout)
	s.data = p
	return l, true
}

func (s *session) handlePASV(string) {
	if s.epsvAll {
		s.reply(codeBadSequence, "EPSV ALL in effect; use EPSV.")
		return
	}
	ip := net.ParseIP(s.srv.cfg.Passive.PublicHost).To4()
	if ip == nil {
		if local, ok := s.conn.LocalAddr().(*net.TCPAddr); ok {
			ip = local.IP.To4()
		}
	}
	if ip == nil {
		// PASV can only express IPv4 (RFC 2428 section 1).
		s.reply(codeCantOpenData, "PASV needs IPv4; use EPSV.")
		return
	}
	l, ok := s.preparePassive()
	if !ok {
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	time.Sleep(s.srv.cfg.Passive.ReplyDelay) // see PassiveConfig.ReplyDelay
	s.reply(codePassive, fmt.Sprintf("Entering Passive Mode (%d,%d,%d,%d,%d,%d).",
		ip[0], ip[1], ip[2], ip[3], port>>8, port&0xff))
}

// handleEPSV implements RFC 2428 section 3, including EPSV ALL and the
// network-protocol argument.
func (s *session) handleEPSV(arg string) {
	arg = strings.TrimSpace(arg)
	if strings.EqualFold(arg, "ALL") {
		s.epsvAll = true
		s.reply(codeOK, "EPSV ALL ok.")
		return
	}
	if arg != "" {
		want := "1"
		if local, ok := s.conn.LocalAddr().(*net.TCPAddr); ok && local.IP.To4() == nil {
			want = "2"
		}
		if arg != want {
			s.reply(codeBadProtocol, "Network protocol not supported, use ("+want+").")
			return
		}
	}
	l, ok := s.preparePassive()
	if !ok {
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	time.Sleep(s.srv.cfg.Passive.ReplyDelay) // see PassiveConfig.ReplyDelay
	s.reply(codeExtPassive, fmt.Sprintf("Entering Extended Passive Mode (|||%d|).", port))
}
