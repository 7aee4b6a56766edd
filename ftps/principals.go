package ftps

import (
	"net/netip"
	"sync"
	"time"
)

// principals remembers who logged in on each control connection, so
// that with session_reuse: required a data connection may resume a TLS
// session issued to another control connection of the same user from
// the same client address. rclone and github.com/secsy/goftp keep one TLS
// session cache for all their control connections, so their data
// connections offer whichever ticket came last. A ticket of anyone else
// (another user, another address, a connection that never logged in)
// still falls back to a full handshake, which required refuses.
type principals struct {
	mu   sync.Mutex
	byID map[uint64]principal
	now  func() time.Time
}

type principal struct {
	user string
	addr netip.Addr
	// ended is when the control connection logged out or closed; zero
	// while it is logged in. Its tickets stay good for principalGrace, as
	// the client may still hold them in its shared cache.
	ended time.Time
}

const (
	// principalGrace is how long the tickets of an ended control
	// connection still vouch for its user and address.
	principalGrace = time.Hour
	// maxPrincipals bounds the ended connections remembered.
	maxPrincipals = 100_000
)

func newPrincipals() *principals {
	return &principals{byID: make(map[uint64]principal), now: time.Now}
}

// loggedIn records that control connection id is now user from addr.
func (p *principals) loggedIn(id uint64, user string, addr netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.byID) >= maxPrincipals {
		p.pruneLocked()
	}
	p.byID[id] = principal{user: user, addr: addr}
}

// loggedOut records that control connection id no longer has a login.
func (p *principals) loggedOut(id uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr, ok := p.byID[id]; ok && pr.ended.IsZero() {
		pr.ended = p.now()
		p.byID[id] = pr
	}
}

// pruneLocked drops ended connections past their grace, and if still
// full, every ended one.
func (p *principals) pruneLocked() {
	now := p.now()
	for id, pr := range p.byID {
		if !pr.ended.IsZero() && now.Sub(pr.ended) > principalGrace {
			delete(p.byID, id)
		}
	}
	if len(p.byID) < maxPrincipals {
		return
	}
	for id, pr := range p.byID {
		if !pr.ended.IsZero() {
			delete(p.byID, id)
		}
	}
}

// samePrincipal reports whether a ticket issued to control connection
// issuer may resume a data connection of control connection id: id is
// logged in now, and issuer is (or recently was) the same user from the
// same address.
func (p *principals) samePrincipal(id, issuer uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, ok := p.byID[id]
	if !ok || !cur.ended.IsZero() {
		return false
	}
	other, ok := p.byID[issuer]
	if !ok || (!other.ended.IsZero() && p.now().Sub(other.ended) > principalGrace) {
		return false
	}
	return other.user == cur.user && other.addr == cur.addr
}
