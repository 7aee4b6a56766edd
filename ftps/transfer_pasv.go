package ftps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
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
type passiveSource struct {
	l        net.Listener
	clientIP net.IP
	s        *session
}

func (p *passiveSource) open(ctx context.Context) (net.Conn, error) {
	stop := context.AfterFunc(ctx, func() { p.l.Close() })
	defer stop()
	for {
		conn, err := p.l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("waiting for passive data connection: %w", ctx.Err())
			}
			return nil, err
		}
		ta, ok := conn.RemoteAddr().(*net.TCPAddr)
		if ok && ta.IP.Equal(p.clientIP) {
			return conn, nil
		}
		p.s.log.Warn("refused passive data connection from another address", "from", conn.RemoteAddr().String())
		conn.Close()
	}
}

func (p *passiveSource) close() { p.l.Close() }

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
	s.data = &passiveSource{l: l, clientIP: remote.IP, s: s}
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
	s.reply(codeExtPassive, fmt.Sprintf("Entering Extended Passive Mode (|||%d|).", port))
}
