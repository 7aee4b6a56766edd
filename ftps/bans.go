package ftps

import (
	"container/list"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxTracked bounds each table of the login guard (addresses, and user
// names), so that an attacker with many addresses or many guessed names
// cannot grow the server's memory: at most about 10 MB each. When a table
// is full the least recently seen entry is dropped.
const maxTracked = 1 << 16

// maxNameKey bounds how much of a user name is kept as a key.
const maxNameKey = 256

// loginGuard is the brute-force protection (server.login_failures). It
// counts failed logins per client address and per user name. An address
// is banned for Ban when its own failures within Window reach Max, or
// when it fails a login for a user name that has had Max failures within
// Window from anywhere: a user name under a distributed attack is never
// locked (its owner, with the right password, still gets in), but every
// address that fails on it is banned at once.
//
// IPv6 clients are counted and banned by /64, since one host usually
// owns a whole /64 and could otherwise rotate addresses freely.
type loginGuard struct {
	cfg LoginFailuresConfig
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	addrs *lru[addrRecord]
	names *lru[failureCount]
}

type addrRecord struct {
	failures    failureCount
	bannedUntil time.Time
}

// failureCount counts failures in a window that starts at the first one.
type failureCount struct {
	n     int
	since time.Time
}

func (c *failureCount) add(now time.Time, window time.Duration) int {
	if c.n == 0 || now.Sub(c.since) >= window {
		c.n, c.since = 0, now
	}
	c.n++
	return c.n
}

func newLoginGuard(cfg LoginFailuresConfig, log *slog.Logger) *loginGuard {
	return &loginGuard{
		cfg:   cfg,
		log:   log,
		now:   time.Now,
		addrs: newLRU[addrRecord](maxTracked),
		names: newLRU[failureCount](maxTracked),
	}
}

func (g *loginGuard) enabled() bool { return g != nil && g.cfg.Max > 0 }

// banned reports whether the client at addr is banned now.
func (g *loginGuard) banned(addr netip.Addr) bool {
	if !g.enabled() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	rec, ok := g.addrs.peek(guardKey(addr))
	if !ok || !g.now().Before(rec.bannedUntil) {
		return false
	}
	// Keep an active attacker's ban from being the one evicted.
	g.addrs.get(guardKey(addr))
	return true
}

// failed records a failed login from addr for user name, and reports
// whether addr is now banned. A new ban is logged once, here.
func (g *loginGuard) failed(addr netip.Addr, name string) bool {
	if !g.enabled() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	key := guardKey(addr)
	rec := g.addrs.put(key)
	if now.Before(rec.bannedUntil) {
		return true
	}
	fromAddr := rec.failures.add(now, g.cfg.Window)
	forName := 0
	if name != "" {
		forName = g.names.put(nameKey(name)).add(now, g.cfg.Window)
	}
	if fromAddr < g.cfg.Max && forName < g.cfg.Max {
		return false
	}
	rec.bannedUntil = now.Add(g.cfg.Ban)
	rec.failures = failureCount{}
	reason := "failed logins from this address"
	if fromAddr < g.cfg.Max {
		reason = "failed logins for this user name from several addresses"
	}
	g.log.Warn("address banned", "address", key, "until", rec.bannedUntil.UTC().Format(time.RFC3339),
		"reason", reason, "user", nameKey(name), "failures_from_address", fromAddr, "failures_for_user", forName)
	return true
}

// guardKey is what the guard counts and bans: an IPv4 address, or the
// /64 of an IPv6 one.
func guardKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return a.String()
}

func nameKey(name string) string {
	if len(name) > maxNameKey {
		return name[:maxNameKey]
	}
	return name
}

// addrOf returns the IP of a connection's remote address, an IPv4-mapped
// address in IPv4 form; the zero Addr if there is none.
func addrOf(a net.Addr) netip.Addr {
	if a == nil {
		return netip.Addr{}
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ip, _ := netip.ParseAddr(remoteIP(a))
	return ip.Unmap()
}

// lru is a map bounded to size entries that drops the least recently
// used one when full.
type lru[V any] struct {
	size  int
	order *list.List // of *lruEntry[V]; front is the most recent
	byKey map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](size int) *lru[V] {
	return &lru[V]{size: size, order: list.New(), byKey: make(map[string]*list.Element)}
}

// peek returns the value for key without marking it used.
func (l *lru[V]) peek(key string) (V, bool) {
	if e, ok := l.byKey[key]; ok {
		return e.Value.(*lruEntry[V]).val, true
	}
	var zero V
	return zero, false
}

// get returns the value for key, marking it used.
func (l *lru[V]) get(key string) (*V, bool) {
	e, ok := l.byKey[key]
	if !ok {
		return nil, false
	}
	l.order.MoveToFront(e)
	return &e.Value.(*lruEntry[V]).val, true
}

// put returns the value for key, adding a zero one (and dropping the
// least recently used entry if full) when there is none.
func (l *lru[V]) put(key string) *V {
	if v, ok := l.get(key); ok {
		return v
	}
	if l.order.Len() >= l.size {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.byKey, oldest.Value.(*lruEntry[V]).key)
	}
	e := l.order.PushFront(&lruEntry[V]{key: key})
	l.byKey[key] = e
	return &e.Value.(*lruEntry[V]).val
}

func (l *lru[V]) len() int { return l.order.Len() }
