package ftps

import (
	"net/netip"
	"slices"
	"time"
)

// list returns the bans in force, soonest to end first.
func (g *loginGuard) list() []BanInfo {
	if !g.enabled() {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	var out []BanInfo
	for e := g.addrs.order.Front(); e != nil; e = e.Next() {
		ent := e.Value.(*lruEntry[addrRecord])
		if now.Before(ent.val.bannedUntil) {
			out = append(out, BanInfo{Address: ent.key, Until: ent.val.bannedUntil})
		}
	}
	slices.SortFunc(out, func(a, b BanInfo) int { return a.Until.Compare(b.Until) })
	return out
}

// ban bans addr (its /64 for IPv6) for d from now.
func (g *loginGuard) ban(addr netip.Addr, d time.Duration) BanInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := guardKey(addr)
	rec := g.addrs.put(key)
	rec.bannedUntil = g.now().Add(d)
	rec.failures = failureCount{}
	return BanInfo{Address: key, Until: rec.bannedUntil}
}

// lift ends the ban on key and forgets the address's failures.
func (g *loginGuard) lift(key string) bool {
	if !g.enabled() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	rec, ok := g.addrs.get(key)
	if !ok || !g.now().Before(rec.bannedUntil) {
		return false
	}
	rec.bannedUntil = time.Time{}
	rec.failures = failureCount{}
	return true
}
