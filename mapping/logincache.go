package mapping

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
	"sync"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// LoginCacheConfig is the login_cache section: how long, and for how
// many logins, verified credentials are remembered so that a repeated
// login does not pay for a bcrypt or argon2id check again.
type LoginCacheConfig struct {
	// TTL is how long a verified login is remembered; 0 turns the cache
	// off.
	TTL time.Duration `yaml:"ttl"`
	// MaxEntries bounds the cache; the least recently used entry goes
	// first.
	MaxEntries int `yaml:"max_entries"`
}

// DefaultLoginCache is the login cache used when the section is absent.
func DefaultLoginCache() LoginCacheConfig {
	return LoginCacheConfig{TTL: 15 * time.Minute, MaxEntries: 100000}
}

// maxLoginCacheTTL bounds how long a password stays good after it was
// checked: a changed password is noticed on reload anyway, but a day is
// as long as anyone should want.
const maxLoginCacheTTL = 24 * time.Hour

// Validate checks the section; field names are under login_cache.
func (c LoginCacheConfig) Validate() error {
	switch {
	case c.TTL < 0 || c.TTL > maxLoginCacheTTL:
		return fielderr.New("login_cache.ttl", "want 0 (off) to %v, got %v", maxLoginCacheTTL, c.TTL)
	case c.TTL > 0 && (c.MaxEntries < 1 || c.MaxEntries > 10_000_000):
		return fielderr.New("login_cache.max_entries", "want 1 to 10000000, got %d", c.MaxEntries)
	}
	return nil
}

// loginCache remembers verified logins. It never holds a password or an
// unkeyed hash of one: an entry is found by a keyed hash (HMAC-SHA256
// with a key made at start and never stored) of the user, certificate
// and client address, and holds a keyed hash of all of those and the
// password, compared in constant time. A failed login never enters it.
// Entries remember the generation of the user's credentials they were
// verified against (the hash text, which the user list holds anyway), so
// a password changed on reload no longer matches; Replace also drops
// them.
type loginCache struct {
	ttl  time.Duration
	max  int
	key  []byte
	now  func() time.Time
	pool sync.Pool // of hash.Hash keyed with key

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*list.Element
	lru     *list.List // of *cacheEntry, most recent first
}

type cacheEntry struct {
	id       [sha256.Size]byte // keyed hash of user, certificate, address
	proof    [sha256.Size]byte // keyed hash of those and the password
	user     string
	hashText string // the credentials it was verified against
	answer   *user  // the identity provider's user definition, if any
	expires  time.Time
}

// cacheKey is what a login is remembered by.
type cacheKey struct {
	user, password, cert string
	addr                 netip.Addr
}

func newLoginCache(c LoginCacheConfig, now func() time.Time) *loginCache {
	if c.TTL <= 0 || c.MaxEntries <= 0 {
		return nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(fmt.Sprintf("login cache key: %v", err)) // crypto/rand never fails on Linux
	}
	lc := &loginCache{ttl: c.TTL, max: c.MaxEntries, key: key, now: now,
		entries: make(map[[sha256.Size]byte]*list.Element), lru: list.New()}
	lc.pool.New = func() any { return hmac.New(sha256.New, lc.key) }
	return lc
}

// digests returns the entry's id and the proof of the password.
func (lc *loginCache) digests(k cacheKey) (id, proof [sha256.Size]byte) {
	h := lc.pool.Get().(hash.Hash)
	defer lc.pool.Put(h)
	h.Reset()
	writeField(h, "id")
	writeField(h, k.user)
	writeField(h, k.cert)
	writeField(h, k.addr.String())
	h.Sum(id[:0])
	writeField(h, k.password) // proof extends id's input with the password
	h.Sum(proof[:0])
	return id, proof
}

// writeField writes s with its length, so that fields cannot run into
// each other ("ab"+"c" differs from "a"+"bc").
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// verified reports whether k was verified against hashText within the TTL.
func (lc *loginCache) verified(k cacheKey, hashText string) bool {
	return lc.lookup(k, hashText) != nil
}

// lookup returns the live entry for k verified against hashText, or nil.
func (lc *loginCache) lookup(k cacheKey, hashText string) *cacheEntry {
	if lc == nil {
		return nil
	}
	id, proof := lc.digests(k)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	el, ok := lc.entries[id]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if !lc.now().Before(e.expires) || e.hashText != hashText {
		lc.remove(el)
		return nil
	}
	if !hmac.Equal(e.proof[:], proof[:]) {
		return nil // a wrong password: the caller checks it the slow way
	}
	lc.lru.MoveToFront(el)
	return e
}

// remember records a login that was just verified against hashText.
func (lc *loginCache) remember(k cacheKey, hashText string) {
	lc.rememberAnswer(k, hashText, nil)
}

// rememberAnswer records a verified login with the user definition an
// identity provider answered for it.
func (lc *loginCache) rememberAnswer(k cacheKey, hashText string, answer *user) {
	if lc == nil {
		return
	}
	id, proof := lc.digests(k)
	e := &cacheEntry{id: id, proof: proof, user: k.user, hashText: hashText, answer: answer,
		expires: lc.now().Add(lc.ttl)}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if el, ok := lc.entries[id]; ok {
		lc.remove(el)
	}
	lc.entries[id] = lc.lru.PushFront(e)
	for lc.lru.Len() > lc.max {
		lc.remove(lc.lru.Back())
	}
}

func (lc *loginCache) remove(el *list.Element) {
	delete(lc.entries, el.Value.(*cacheEntry).id)
	lc.lru.Remove(el)
}

// prune drops the entries whose user is gone or whose credentials
// changed under set, and expired ones. Called on every Replace.
func (lc *loginCache) prune(set *userSet) {
	if lc == nil {
		return
	}
	now := lc.now()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for el := lc.lru.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*cacheEntry)
		if usr := set.byName[e.user]; usr == nil || usr.hashText != e.hashText || !now.Before(e.expires) {
			lc.remove(el)
		}
		el = next
	}
}

// len reports the number of entries, for tests.
func (lc *loginCache) len() int {
	if lc == nil {
		return 0
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.lru.Len()
}
