package mapping

import (
	"context"
	"crypto/x509"
	"fmt"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// errLoginFailed is wrapped by every failed login, so neither the client
// nor anything that echoes errors to it can tell an unknown user from a
// wrong password or a disabled account. The reason after it is for the
// server's log only.
var errLoginFailed = fmt.Errorf("login incorrect: %w", backends.ErrPermission)

// Users authenticates the configured virtual users and opens their
// sessions. It implements ftps.Authenticator and is safe for concurrent
// use, including Login concurrent with Replace.
type Users struct {
	set atomic.Pointer[userSet]
	// slots bounds how many password hashes are checked at once, so a
	// flood of login attempts queues instead of starving transfers of CPU
	// (or, with argon2id, of memory).
	slots chan struct{}
	// onVerify, if set, is called with every verifier a login checks; a
	// test hook to prove that unknown users cost a hash check too.
	onVerify func(verifier)
	now      func() time.Time
	// cache remembers verified logins (nil: off); flights joins
	// concurrent checks of the same credentials.
	cache   *loginCache
	flights flights
	// idp, if set, answers for users the configuration does not hold.
	idp *identitySource

	mu sync.Mutex
	// active counts open sessions by user name. It outlives reloads, so
	// max_sessions holds across them.
	active map[string]int
}

// userSet is one immutable generation of the user list.
type userSet struct {
	byName map[string]*user
	// dummy is checked instead of a real hash when there is none to
	// check: the user is unknown, or logs in by certificate only.
	dummy verifier
	// stores are the backends by name, for users an identity provider
	// defines.
	stores map[string]backends.Backend
}

type user struct {
	parsedUser
	// template holds the user's mounts and home; each login copies it.
	template *Session
}

// New validates users against stores (backend name to backend) and
// returns the authenticator for them.
func New(users []UserConfig, stores map[string]backends.Backend) (*Users, error) {
	u := &Users{
		slots:  make(chan struct{}, runtime.GOMAXPROCS(0)),
		now:    time.Now,
		active: make(map[string]int),
	}
	u.cache = newLoginCache(DefaultLoginCache(), u.now)
	if err := u.Replace(users, stores); err != nil {
		return nil, err
	}
	return u, nil
}

// Replace validates a new user list and swaps it in atomically, as on
// SIGHUP. On error the old list stays in force. New logins see the new
// list. Sessions already logged in keep the mounts they started with, but
// end at their next command if their user was removed, disabled or
// expired, lost their address from allowed_ips, or had their password,
// auth mode or certificate binding changed (see Session.Authorized).
func (u *Users) Replace(users []UserConfig, stores map[string]backends.Backend) error {
	set, err := buildSet(users, stores)
	if err != nil {
		return err
	}
	u.set.Store(set)
	u.cache.prune(set)
	return nil
}

func buildSet(users []UserConfig, stores map[string]backends.Backend) (*userSet, error) {
	names := slices.Sorted(maps.Keys(stores))
	if err := ValidateUsers(users, names); err != nil {
		return nil, err
	}
	buckets := bucketHandles{stores: stores, byID: make(map[bucketID]backends.Bucket)}
	set := &userSet{byName: make(map[string]*user, len(users)), stores: stores}
	var hashes []verifier
	for i, uc := range users {
		p, _ := parseUser(i, uc, names) // validated above
		mounts := make([]Mount, 0, len(p.mounts))
		for _, pm := range p.mounts {
			m, err := buckets.mount(i, pm)
			if err != nil {
				return nil, err
			}
			// A confined local mount's handle applies the prefix itself
			// (m.Prefix is then ""): events still name the whole key.
			m.Where = Location{Backend: pm.backend, Bucket: pm.bucket}
			if m.Prefix == "" {
				m.Where.Key = pm.prefix
			}
			mounts = append(mounts, m)
		}
		tmpl, err := NewSession(p.home, mounts...)
		if err != nil {
			return nil, fielderr.New(field(i, "home"), "%v", err)
		}
		set.byName[p.name] = &user{parsedUser: p, template: tmpl}
		if p.hash != nil {
			hashes = append(hashes, p.hash)
		}
	}
	var err error
	if set.dummy, err = dummyLike(typicalHash(hashes)); err != nil {
		return nil, fmt.Errorf("making dummy password hash: %w", err)
	}
	return set, nil
}

// typicalHash returns a hash with the parameters most users have (the
// first such in config order on a tie), so that probing for unknown
// users costs what a typical wrong password does.
func typicalHash(hashes []verifier) verifier {
	if len(hashes) == 0 {
		return &bcryptHash{cost: HashCost}
	}
	count := make(map[string]int)
	best := hashes[0]
	for _, h := range hashes {
		count[h.params()]++
		if count[h.params()] > count[best.params()] {
			best = h
		}
	}
	return best
}

// Login checks the credentials and opens the user's session. Every
// failure wraps the same error (backends.ErrPermission) after the same
// work: one password check, against a dummy hash of the typical cost when
// the user is unknown or has no password. A client certificate, if
// presented, must be bound to the user, whatever the user's auth mode.
// A user at max_sessions gets ftps.ErrSessionLimit.
func (u *Users) Login(ctx context.Context, info ftps.LoginInfo) (ftps.FileSystem, error) {
	set := u.set.Load()
	if set == nil {
		return nil, errLoginFailed
	}
	usr := set.byName[info.User]
	if u.idp != nil && (usr == nil || u.idp.mode == IdentityProviderOnly) {
		return u.loginProvided(ctx, set, info)
	}
	var leaf *x509.Certificate
	if len(info.PeerCertificates) > 0 {
		leaf = info.PeerCertificates[0]
	}
	ip := info.ClientIP()
	reason, err := u.authenticate(ctx, set, usr, keyOf(info.User, info.Password, fingerprintOrNone(leaf), ip), leaf)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		reason = usr.refusal(u.now(), ip)
	}
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", errLoginFailed, reason)
	}
	if !u.acquire(usr) {
		return nil, ftps.ErrSessionLimit
	}
	return u.open(usr, ip, leaf), nil
}

// authenticate returns why the credentials fail, or "" if they are good.
func (u *Users) authenticate(ctx context.Context, set *userSet, usr *user, k cacheKey, leaf *x509.Certificate) (string, error) {
	certOK := usr != nil && usr.certs.matches(leaf)
	if usr != nil && usr.auth == authCertificate && certOK {
		return "", nil
	}
	v := set.dummy
	if usr != nil && usr.hash != nil {
		v = usr.hash
	}
	ok, err := u.checkPassword(ctx, usr, v, k)
	if err != nil {
		return "", err
	}
	switch {
	case usr == nil:
		return "unknown user", nil
	case usr.auth.needsCert() && leaf == nil:
		return "no client certificate presented", nil
	case leaf != nil && !certOK:
		return "client certificate " + FingerprintOf(leaf) + " is not bound to this user", nil
	case usr.hash == nil || !ok:
		return "wrong password", nil
	}
	return "", nil
}

// refusal says why an authenticated user may not use the account now
// from ip, or "" if they may.
func (usr *user) refusal(now time.Time, ip netip.Addr) string {
	switch {
	case usr.disabled:
		return "account disabled"
	case usr.policy.expired(now):
		return "account expired"
	case !usr.policy.ipAllowed(ip):
		return "address " + ip.String() + " not in allowed_ips"
	}
	return ""
}

func (u *Users) verify(ctx context.Context, v verifier, password string) (bool, error) {
	if u.slots != nil {
		// The slots form a FIFO queue: blocked senders on a channel are
		// served in arrival order. A login already out of time does not
		// take one from a login that still has time.
		if ctx.Err() != nil {
			return false, busy(ctx)
		}
		select {
		case u.slots <- struct{}{}:
		case <-ctx.Done():
			return false, busy(ctx)
		}
		defer func() { <-u.slots }()
	}
	if u.onVerify != nil {
		u.onVerify(v)
	}
	return v.verify(password), nil
}

// acquire counts a new session of usr, unless it is at max_sessions.
func (u *Users) acquire(usr *user) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if max := usr.policy.maxSessions; max > 0 && u.active[usr.name] >= max {
		return false
	}
	u.active[usr.name]++
	return true
}

func (u *Users) release(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.active[name]--; u.active[name] <= 0 {
		delete(u.active, name)
	}
}

// open makes a logged-in session from the user's template.
func (u *Users) open(usr *user, ip netip.Addr, leaf *x509.Certificate) *Session {
	s := *usr.template
	s.rules = usr.policy.upload
	s.acct = &account{users: u, name: usr.name, ip: ip, leaf: leaf, auth: usr.auth, hashText: usr.hashText}
	return &s
}

// account ties a logged-in Session to its user, for Authorized and Close.
type account struct {
	users    *Users
	name     string
	ip       netip.Addr
	leaf     *x509.Certificate
	auth     authMode
	hashText string
	closed   atomic.Bool
	// provided is the definition an identity provider gave, for a user
	// the configuration does not hold.
	provided *user
}

// recheck says why the session's login no longer stands under the
// current user list, or returns nil.
func (u *Users) recheck(a *account) error {
	set := u.set.Load()
	usr := set.byName[a.name]
	var reason string
	switch {
	case a.provided != nil:
		reason = a.provided.refusal(u.now(), a.ip)
	case usr == nil:
		reason = "user removed"
	case usr.hashText != a.hashText || usr.auth != a.auth:
		reason = "credentials changed"
	case a.leaf != nil && !usr.certs.matches(a.leaf):
		reason = "client certificate no longer bound"
	default:
		reason = usr.refusal(u.now(), a.ip)
	}
	if reason != "" {
		return fmt.Errorf("login revoked: %s: %w", reason, backends.ErrPermission)
	}
	return nil
}

// PasswordRequired reports whether user must send PASS after USER: false
// only for a certificate-only user whose bound certificate was presented.
// It reveals nothing about other names: unknown users, and known ones
// without their certificate, are asked for a password like anyone else.
func (u *Users) PasswordRequired(user string, certs []*x509.Certificate) bool {
	set := u.set.Load()
	if set == nil || len(certs) == 0 {
		return true
	}
	usr := set.byName[user]
	return usr == nil || usr.auth != authCertificate || !usr.certs.matches(certs[0])
}
