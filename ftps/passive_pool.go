package ftps

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// passivePool hands out passive ports. One listener serves a port
// however many sessions wait on it, as long as their clients have
// different addresses: a data connection is given to the session whose
// client has the connection's address (the PROXY header's, behind a
// load balancer), and refused when no session of that address waits
// there. So a replica behind a balancer needs tens of ports, not one per
// session.
//
// A port is held (reserved) from PASV/EPSV until the data connection
// arrives, the session moves on, or data_timeout passes; one user and
// one client address may hold only so many at once, so nobody can take
// the range from everyone else (issue 12). A listener with nobody waiting
// is closed.
type passivePool struct {
	lo, hi         int
	perUser, perIP int
	policy         proxyPolicy
	log            *slog.Logger
	// warns rate-limits the refusals a client can cause in bulk.
	warns *logThrottle

	mu    sync.Mutex
	next  int
	ports map[portKey]*sharedPort
	users map[string]int
	ips   map[netip.Addr]int
}

type portKey struct {
	ip   netip.Addr
	port int
}

// sharedPort is one passive listener and the sessions waiting on it, by
// client address.
type sharedPort struct {
	key     portKey
	l       net.Listener
	waiting map[netip.Addr]*reservation
}

// reservation is one session's claim on a port for one data connection.
type reservation struct {
	pool   *passivePool
	port   *sharedPort
	client netip.Addr
	user   string
	conn   chan net.Conn // receives the data connection, once
	done   bool          // guarded by pool.mu
}

// Why a port was not reserved; passiveReply words each for the client.
var (
	errNoPassivePort = errors.New("no free passive port")
	errUserPortLimit = errors.New("passive.max_ports_per_user reached")
	errIPPortLimit   = errors.New("passive.max_ports_per_ip reached")
)

func newPassivePool(cfg PassiveConfig, log *slog.Logger) *passivePool {
	lo, hi, _ := ParsePortRange(cfg.PortRange)
	perUser, perIP := cfg.portLimits()
	return &passivePool{
		lo: lo, hi: hi, next: lo, perUser: perUser, perIP: perIP,
		policy: newProxyPolicy(cfg.ProxyProtocol), log: log,
		ports: map[portKey]*sharedPort{}, users: map[string]int{}, ips: map[netip.Addr]int{},
	}
}

// reserve claims a port on bind for one data connection from client.
// Ports rotate, so that a port just released is not offered again at
// once to a late connection of the session before.
func (p *passivePool) reserve(bind, client netip.Addr, user string) (*reservation, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.users[user] >= p.perUser:
		return nil, errUserPortLimit
	case p.ips[client] >= p.perIP:
		return nil, errIPPortLimit
	}
	for range p.hi - p.lo + 1 {
		port := p.next
		if p.next++; p.next > p.hi {
			p.next = p.lo
		}
		key := portKey{bind, port}
		sp := p.ports[key]
		if sp == nil {
			l, err := net.Listen("tcp", net.JoinHostPort(bind.String(), strconv.Itoa(port)))
			if err != nil {
				continue // taken by another process
			}
			sp = &sharedPort{key: key, l: l, waiting: map[netip.Addr]*reservation{}}
			p.ports[key] = sp
			go p.acceptLoop(sp)
		} else if sp.waiting[client] != nil {
			continue // this client already waits here
		}
		r := &reservation{pool: p, port: sp, client: client, user: user, conn: make(chan net.Conn, 1)}
		sp.waiting[client] = r
		p.users[user]++
		p.ips[client]++
		return r, nil
	}
	return nil, errNoPassivePort
}

func (r *reservation) portNumber() int { return r.port.key.port }

// release gives the port back; a data connection delivered but not yet
// taken is closed.
func (r *reservation) release() {
	r.pool.mu.Lock()
	r.pool.releaseLocked(r)
	r.pool.mu.Unlock()
	select {
	case c := <-r.conn:
		c.Close()
	default:
	}
}

func (p *passivePool) releaseLocked(r *reservation) {
	if r.done {
		return
	}
	r.done = true
	sp := r.port
	if sp.waiting[r.client] == r {
		delete(sp.waiting, r.client)
	}
	decrement(p.users, r.user)
	decrement(p.ips, r.client)
	if len(sp.waiting) == 0 {
		sp.l.Close()
		if p.ports[sp.key] == sp {
			delete(p.ports, sp.key)
		}
	}
}

func decrement[K comparable](m map[K]int, k K) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// acceptLoop hands each connection to its own goroutine at once: a slow
// PROXY header never holds up the next connection.
func (p *passivePool) acceptLoop(sp *sharedPort) {
	var backoff time.Duration
	for {
		c, err := sp.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		go p.dispatch(sp, c)
	}
}

// dispatch reads the PROXY header if configured, then gives the
// connection to the session of its client's address waiting on this
// port, or refuses it.
func (p *passivePool) dispatch(sp *sharedPort, c net.Conn) {
	a, err := readProxyHeader(c, p.policy, false, p.log)
	if err != nil {
		p.warns.Warn(p.log, remoteIP(c.RemoteAddr()), "refused passive data connection", "from", c.RemoteAddr().String(), "port", sp.key.port, "reason", err.Error())
		c.Close()
		return
	}
	client := addrOf(a.conn.RemoteAddr())
	p.mu.Lock()
	r := sp.waiting[client]
	if r != nil {
		p.releaseLocked(r)
		r.conn <- a.conn // buffered, and only ever one delivery
	}
	p.mu.Unlock()
	if r == nil {
		p.warns.Warn(p.log, remoteIP(a.conn.RemoteAddr()), "refused passive data connection from another address",
			"from", a.conn.RemoteAddr().String(), "port", sp.key.port)
		a.conn.Close()
	}
}

// passiveReply is the 425 text for a port that could not be reserved.
func passiveReply(err error) string {
	switch {
	case errors.Is(err, errUserPortLimit):
		return "Too many passive ports held by your user name at once; finish or close your other sessions' pending transfers."
	case errors.Is(err, errIPPortLimit):
		return "Too many passive ports held from your address at once; finish or close pending transfers first."
	}
	return "No passive port available; try again later."
}

// keepsPassive are the commands a client may send between PASV/EPSV and
// the transfer that uses the port (curl: TYPE, SIZE, REST); the transfer
// commands use it. Any other command releases a waiting port.
var keepsPassive = map[string]bool{
	"TYPE": true, "MODE": true, "STRU": true, "REST": true, "SIZE": true, "MDTM": true,
	"ALLO": true, "NOOP": true, "STAT": true, "OPTS": true, "PBSZ": true, "PROT": true,
	"FEAT": true, "SYST": true, "HELP": true, "PWD": true, "XPWD": true, "CWD": true,
	"XCWD": true, "CDUP": true, "XCUP": true, "MLST": true,
	"RETR": true, "STOR": true, "STOU": true, "APPE": true, "LIST": true, "NLST": true, "MLSD": true,
	"PASV": true, "EPSV": true, "PORT": true, "EPRT": true, "ABOR": true, "QUIT": true,
}

// dropUnusedPassive releases a prepared passive connection when the
// session moves on to a command that does not use it.
func (s *session) dropUnusedPassive(verb string) {
	if _, ok := s.data.(*passiveSource); ok && !keepsPassive[verb] {
		s.closeData()
	}
}
