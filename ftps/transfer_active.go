package ftps

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
)

// activeSource dials the client's data port (PORT, EPRT).
type activeSource struct {
	addr  *net.TCPAddr
	local net.IP
}

func (a *activeSource) open(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: a.local}}
	return d.DialContext(ctx, "tcp", a.addr.String())
}

func (a *activeSource) close() {}

var errBadAddress = errors.New("malformed address")

// parsePORT parses the RFC 959 form h1,h2,h3,h4,p1,p2.
func parsePORT(arg string) (*net.TCPAddr, error) {
	parts := strings.Split(strings.TrimSpace(arg), ",")
	if len(parts) != 6 {
		return nil, errBadAddress
	}
	var b [6]byte
	for i, p := range parts {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 8)
		if err != nil {
			return nil, errBadAddress
		}
		b[i] = byte(v)
	}
	port := int(b[4])<<8 | int(b[5])
	if port == 0 {
		return nil, errBadAddress
	}
	return &net.TCPAddr{IP: net.IPv4(b[0], b[1], b[2], b[3]), Port: port}, nil
}

// parseEPRT parses the RFC 2428 form <d>proto<d>addr<d>port<d>, where d is
// any printable ASCII character.
func parseEPRT(arg string) (*net.TCPAddr, error) {
	arg = strings.TrimSpace(arg)
	if len(arg) < 2 || arg[0] < 33 || arg[0] > 126 {
		return nil, errBadAddress
	}
	fields := strings.Split(arg, string(arg[0]))
	if len(fields) != 5 || fields[0] != "" || fields[4] != "" {
		return nil, errBadAddress
	}
	ip := net.ParseIP(fields[2])
	if ip == nil || strings.Contains(fields[2], "%") {
		return nil, errBadAddress
	}
	switch fields[1] {
	case "1":
		if ip.To4() == nil {
			return nil, errBadAddress
		}
	case "2":
		if ip.To4() != nil && !strings.Contains(fields[2], ":") {
			return nil, errBadAddress
		}
	default:
		return nil, errUnsupportedProtocol
	}
	port, err := strconv.ParseUint(fields[3], 10, 16)
	if err != nil || port == 0 {
		return nil, errBadAddress
	}
	return &net.TCPAddr{IP: ip, Port: int(port)}, nil
}

var errUnsupportedProtocol = errors.New("unsupported network protocol")

func (s *session) handlePORT(arg string) {
	addr, err := parsePORT(arg)
	s.prepareActive(addr, err)
}

func (s *session) handleEPRT(arg string) {
	addr, err := parseEPRT(arg)
	if errors.Is(err, errUnsupportedProtocol) {
		s.reply(codeBadProtocol, "Network protocol not supported, use (1,2).")
		return
	}
	s.prepareActive(addr, err)
}

// prepareActive checks an active-mode address: only the client's own IP
// and an unprivileged port, so the server can never be used to connect to
// a third party (the FTP bounce attack, RFC 2577).
func (s *session) prepareActive(addr *net.TCPAddr, err error) {
	switch {
	case s.epsvAll:
		s.reply(codeBadSequence, "EPSV ALL in effect; use EPSV.")
		return
	case !s.srv.cfg.Active.Enabled:
		s.reply(codeNotImplemented, "Active mode is disabled; use PASV or EPSV.")
		return
	case s.origin.via != nil && !s.srv.cfg.Active.AllowBehindProxy:
		// The client reached us through a load balancer: this replica
		// can rarely connect back to it.
		s.reply(codeNotImplemented, "Active mode is not available through the load balancer; use EPSV or PASV.")
		return
	case err != nil:
		s.reply(codeBadArguments, "Malformed address.")
		return
	}
	remote, _ := s.conn.RemoteAddr().(*net.TCPAddr)
	local := s.origin.socketLocal
	if remote == nil || local == nil || !addr.IP.Equal(remote.IP) {
		s.srv.warns.Warn(s.log, remoteIP(s.conn.RemoteAddr()), "refused active connection to another address", "to", addr.String())
		s.reply(codeBadArguments, "Data connections may only go to your own address.")
		return
	}
	if addr.Port < 1024 {
		s.reply(codeBadArguments, "Data port must be 1024 or above.")
		return
	}
	s.closeData()
	s.data = &activeSource{addr: addr, local: local.IP}
	s.reply(codeOK, "PORT command successful.")
}
