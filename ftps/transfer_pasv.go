package ftps

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
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

// passiveSource waits for the client's data connection on its
// reservation. The pool gives it only a connection from the control
// connection's client address: anyone else who races to the port is
// refused (no data-port theft).
//
// It accepts as soon as the client connects, not when the transfer
// command arrives, and under PROT P answers the TLS handshake at once:
// curl starts the handshake right after connecting and, until it is
// answered, leaves the control connection unread (a second of waiting
// per transfer). Clients that start TLS only after 150 are served the
// same way, a round trip later.
type passiveSource struct {
	res *reservation
	s   *session

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

func (p *passiveSource) start(secure bool, cfg *tls.Config, handshakeTimeout, wait time.Duration) {
	p.ready = make(chan accepted, 1)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		r := accepted{}
		r.conn, r.err = p.accept(ctx, wait)
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

var errNoDataConn = errors.New("no data connection within data_timeout; passive port released")

// accept waits for the client's connection; after wait the port goes
// back to the pool (a session that never connects must not hold it).
func (p *passiveSource) accept(ctx context.Context, wait time.Duration) (net.Conn, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case conn := <-p.res.conn:
		return conn, nil
	case <-timer.C:
		p.res.release()
		p.s.log.Info("passive port released", "port", p.res.portNumber(), "reason", "no data connection within data_timeout")
		return nil, errNoDataConn
	case <-ctx.Done():
		return nil, ctx.Err()
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
	p.res.release()
}

// preparePassive reserves a passive port on the address this socket
// was reached at (the replica's own, behind a load balancer) for a data
// connection from the client's address, replacing any earlier prepared
// connection. It returns the port.
func (s *session) preparePassive() (int, bool) {
	s.closeData()
	local := s.origin.socketLocal
	remote, _ := s.conn.RemoteAddr().(*net.TCPAddr)
	if local == nil || remote == nil {
		s.reply(codeCantOpenData, "Cannot open passive connection.")
		return 0, false
	}
	bind, _ := netip.AddrFromSlice(local.IP)
	res, err := s.srv.ports.reserve(bind.Unmap(), addrOf(remote), s.user)
	if err != nil {
		s.log.Warn("no passive port", "reason", err.Error())
		s.reply(codeCantOpenData, passiveReply(err))
		return 0, false
	}
	p := &passiveSource{res: res, s: s}
	cfg := s.srv.cfg.Server
	p.start(s.protP, s.tlsCfg, cfg.IdleTimeout+cfg.DataTimeout, cfg.DataTimeout)
	s.data = p
	return res.portNumber(), true
}

func (s *session) handlePASV(string) {
	if s.epsvAll {
		s.reply(codeBadSequence, "EPSV ALL in effect; use EPSV.")
		return
	}
	ip := s.announceIP()
	if ip == nil {
		// PASV can only express IPv4 (RFC 2428 section 1).
		s.reply(codeCantOpenData, "PASV needs IPv4; use EPSV.")
		return
	}
	port, ok := s.preparePassive()
	if !ok {
		return
	}
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
	port, ok := s.preparePassive()
	if !ok {
		return
	}
	time.Sleep(s.srv.cfg.Passive.ReplyDelay) // see PassiveConfig.ReplyDelay
	s.reply(codeExtPassive, fmt.Sprintf("Entering Extended Passive Mode (|||%d|).", port))
}
