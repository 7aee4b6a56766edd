package ftps

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// recentTransfers is how many finished transfers the registry keeps for
// the operator console.
const recentTransfers = 200

// SessionInfo is a snapshot of one open session, for the operator
// console. It holds nothing secret: no password, no storage location.
type SessionInfo struct {
	ID       uint64    `json:"id"`
	User     string    `json:"user"` // "" before login
	Remote   string    `json:"remote"`
	Listener string    `json:"listener"`
	Since    time.Time `json:"since"`
	// Command is the verb of the last command (never its argument: PASS).
	Command   string        `json:"command"`
	CommandAt time.Time     `json:"command_at"`
	Transfer  *TransferInfo `json:"transfer,omitempty"`
}

// TransferInfo is a running transfer.
type TransferInfo struct {
	Command string    `json:"command"`
	Path    string    `json:"path"` // the virtual path the client sees
	Upload  bool      `json:"upload"`
	Started time.Time `json:"started"`
	Bytes   int64     `json:"bytes"`
	// Size is the expected total: the ALLO of an upload, the file's size
	// for a download (minus a REST offset); 0 when unknown.
	Size int64 `json:"size"`
}

// FinishedTransfer is one transfer of the recent-transfers ring.
type FinishedTransfer struct {
	Session  uint64        `json:"session"`
	User     string        `json:"user"`
	Remote   string        `json:"remote"`
	Command  string        `json:"command"`
	Path     string        `json:"path"`
	Result   string        `json:"result"` // "ok", "aborted", "connection lost", ...
	Bytes    int64         `json:"bytes"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
}

// registry knows the open sessions and the last finished transfers. Its
// zero value is ready; Server holds one.
type registry struct {
	mu     sync.Mutex
	live   map[uint64]*session
	recent []FinishedTransfer // ring of recentTransfers
	next   int                // where the next finished transfer goes
}

// liveState is what another goroutine may read of a session while it
// runs: the session's own fields belong to its goroutine.
type liveState struct {
	user      atomic.Pointer[string]
	command   atomic.Pointer[string]
	commandAt atomic.Int64 // unix nanoseconds
	kick      chan struct{}
	kickOnce  sync.Once
	remote    string // set before the session is registered
}

func (r *registry) add(s *session) {
	s.live.kick = make(chan struct{})
	s.live.remote = s.conn.RemoteAddr().String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live == nil {
		r.live = make(map[uint64]*session)
	}
	r.live[s.id] = s
}

func (r *registry) remove(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.live, id)
}

func (r *registry) finished(f FinishedTransfer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) < recentTransfers {
		r.recent = append(r.recent, f)
		return
	}
	r.recent[r.next] = f
	r.next = (r.next + 1) % recentTransfers
}

// noteCommand records the verb being run, for the console.
func (s *session) noteCommand(verb string) {
	if len(verb) > 8 || verb == "" {
		verb = "?"
	}
	s.live.command.Store(&verb)
	s.live.commandAt.Store(time.Now().UnixNano())
}

// noteUser records the logged-in user ("" after logout).
func (s *session) noteUser(name string) { s.live.user.Store(&name) }

// kicked is closed when an operator ends the session.
func (s *session) kicked() <-chan struct{} { return s.live.kick }

// noteTransfer fills in what the console shows of a transfer as it
// starts: the expected size of an upload (ALLO) or of a download (what
// its Open learned: no request of its own).
func (s *session) noteTransfer(t *transfer, job transferJob) {
	t.started = time.Now()
	t.upload = job.upload
	t.size.Store(job.size)
}

// recordFinished puts a finished transfer in the recent ring.
func (s *session) recordFinished(t *transfer, result string, took time.Duration) {
	s.srv.reg.finished(FinishedTransfer{
		Session: s.id, User: loadString(&s.live.user), Remote: s.live.remote,
		Command: t.verb, Path: t.path, Result: result, Bytes: t.bytes.Load(),
		Started: t.started, Duration: took,
	})
}

func loadString(p *atomic.Pointer[string]) string {
	if v := p.Load(); v != nil {
		return *v
	}
	return ""
}

// ActiveSessions returns a snapshot of the open sessions, oldest first.
func (s *Server) ActiveSessions() []SessionInfo {
	s.reg.mu.Lock()
	live := make([]*session, 0, len(s.reg.live))
	for _, ss := range s.reg.live {
		live = append(live, ss)
	}
	s.reg.mu.Unlock()
	out := make([]SessionInfo, 0, len(live))
	for _, ss := range live {
		info := SessionInfo{
			ID: ss.id, User: loadString(&ss.live.user), Remote: ss.live.remote,
			Listener: ss.mode, Since: ss.start, Command: loadString(&ss.live.command),
		}
		if at := ss.live.commandAt.Load(); at != 0 {
			info.CommandAt = time.Unix(0, at)
		}
		if t := ss.currentTransfer(); t != nil {
			info.Transfer = &TransferInfo{
				Command: t.verb, Path: t.path, Upload: t.upload, Started: t.started,
				Bytes: t.bytes.Load(), Size: t.size.Load(),
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return int(a.ID) - int(b.ID) })
	return out
}

// RecentTransfers returns the last finished transfers, newest first.
func (s *Server) RecentTransfers() []FinishedTransfer {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	out := make([]FinishedTransfer, 0, len(s.reg.recent))
	for i := range s.reg.recent {
		// Walk back from the newest.
		j := (s.reg.next - 1 - i + 2*len(s.reg.recent)) % len(s.reg.recent)
		out = append(out, s.reg.recent[j])
	}
	return out
}

// Kick ends session id: a running transfer is aborted (426, nothing
// half-written is committed), then the client is told 421 and the
// connection closed. It reports whether the session was open.
func (s *Server) Kick(id uint64) bool {
	s.reg.mu.Lock()
	ss := s.reg.live[id]
	s.reg.mu.Unlock()
	if ss == nil {
		return false
	}
	ss.live.kickOnce.Do(func() { close(ss.live.kick) })
	// Abort a running transfer here rather than when the session loop
	// gets to it: an upload whose client finishes in between must not be
	// committed once the operator has been told the session is ended.
	if t := ss.currentTransfer(); t != nil {
		t.abort()
	}
	return true
}

// endKicked is the session loop's answer to Kick.
func (s *session) endKicked() string {
	s.abortTransfer()
	s.reply(codeUnavailable, msgKicked)
	return "ended by operator"
}

const msgKicked = "Session ended by the server operator."

// BanInfo is one banned address (an IPv4 address or an IPv6 /64).
type BanInfo struct {
	Address string    `json:"address"`
	Until   time.Time `json:"until"`
}

// ErrBansOff is returned by Ban when server.login_failures is disabled.
var ErrBansOff = errors.New("bans are off (server.login_failures.max is 0)")

// Bans lists the addresses banned now.
func (s *Server) Bans() []BanInfo { return s.guard.list() }

// Ban bans addr for d, as failed logins would; open sessions from it
// are not ended (Kick them).
func (s *Server) Ban(addr netip.Addr, d time.Duration) (BanInfo, error) {
	if !s.guard.enabled() {
		return BanInfo{}, ErrBansOff
	}
	return s.guard.ban(addr, d), nil
}

// Unban lifts the ban on an address as Bans lists it (an IPv4 address
// or an IPv6 /64). It reports whether there was one.
func (s *Server) Unban(key string) bool { return s.guard.lift(key) }

// GetCertificate returns the server's current certificate (the one
// ReloadTLS last loaded), for another TLS listener of the same host: the
// operator console's.
func (s *Server) GetCertificate(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := s.tlsCfg.Load()
	if c.GetCertificate != nil {
		return c.GetCertificate(hi)
	}
	if len(c.Certificates) == 0 {
		return nil, errors.New("no certificate")
	}
	return &c.Certificates[0], nil
}
