package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Failed console logins: an address that fails maxFailures times within
// failureWindow is refused for banTime, as the FTP side does.
const (
	maxFailures   = 5
	failureWindow = 15 * time.Minute
	banTime       = 15 * time.Minute
	maxTokens     = 10000 // bounds memory whatever logs in
)

// login is one signed-in console session: a random token the server
// remembers (nothing to forge, revoked by forgetting it), with the CSRF
// token the pages' forms must carry.
type login struct {
	name, role string
	csrf       string
	expires    time.Time
}

// authStore checks passwords, hands out tokens and throttles failures.
type authStore struct {
	accounts map[string]Account
	ttl      time.Duration
	now      func() time.Time
	dummy    []byte // compared for unknown names, so timing tells nothing

	mu       sync.Mutex
	tokens   map[string]*login
	failures map[netip.Addr]*failures
}

type failures struct {
	n           int
	since       time.Time
	bannedUntil time.Time
}

func newAuthStore(cfg Config) *authStore {
	a := &authStore{
		accounts: map[string]Account{}, ttl: cfg.TokenTTL, now: time.Now,
		tokens: map[string]*login{}, failures: map[netip.Addr]*failures{},
	}
	for _, acc := range cfg.Accounts {
		a.accounts[acc.Name] = acc
	}
	a.dummy, _ = bcrypt.GenerateFromPassword([]byte("dummy password"), bcrypt.DefaultCost)
	return a
}

// banned reports whether addr may not try to log in now.
func (a *authStore) banned(addr netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[addr]
	return f != nil && a.now().Before(f.bannedUntil)
}

// check verifies a password and returns a new token and its login, or
// nil.
func (a *authStore) check(addr netip.Addr, name, password string) (string, *login) {
	acc, ok := a.accounts[name]
	hash := []byte(acc.PasswordHash)
	if !ok {
		hash = a.dummy
	}
	good := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && ok
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if !good {
		f := a.failures[addr]
		if f == nil {
			if len(a.failures) >= maxTokens {
				clear(a.failures)
			}
			f = &failures{}
			a.failures[addr] = f
		}
		if f.n == 0 || now.Sub(f.since) > failureWindow {
			f.n, f.since = 0, now
		}
		if f.n++; f.n >= maxFailures {
			f.bannedUntil, f.n = now.Add(banTime), 0
		}
		return "", nil
	}
	delete(a.failures, addr)
	a.expire(now)
	if len(a.tokens) >= maxTokens {
		return "", nil
	}
	l := &login{name: name, role: acc.Role, csrf: randomToken(), expires: now.Add(a.ttl)}
	token := randomToken()
	a.tokens[token] = l
	return token, l
}

// lookup returns the live login for token, or nil.
func (a *authStore) lookup(token string) *login {
	if token == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.tokens[token]
	if l == nil {
		return nil
	}
	if !a.now().Before(l.expires) {
		delete(a.tokens, token)
		return nil
	}
	return l
}

func (a *authStore) logout(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tokens, token)
}

func (a *authStore) expire(now time.Time) {
	for t, l := range a.tokens {
		if !now.Before(l.expires) {
			delete(a.tokens, t)
		}
	}
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sameToken compares secrets in constant time.
func sameToken(a, b string) bool {
	return len(a) > 0 && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
