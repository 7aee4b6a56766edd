package mapping

import (
	"context"
	"crypto/x509"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// errLoginFailed is the one error every failed login returns, so neither
// the client nor anything that echoes errors to it can tell an unknown
// user from a wrong password or a disabled account.
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
}

// userSet is one immutable generation of the user list.
type userSet struct {
	byName map[string]*user
	// dummy is checked instead of a real hash when the user is unknown.
	dummy verifier
}

type user struct {
	hash     verifier
	disabled bool
	session  *Session // template, copied for each login
}

// New validates users against stores (backend name to backend) and
// returns the authenticator for them.
func New(users []UserConfig, stores map[string]backends.Backend) (*Users, error) {
	u := &Users{slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if err := u.Replace(users, stores); err != nil {
		return nil, err
	}
	return u, nil
}

// Replace validates a new user list and swaps it in atomically, as on
// SIGHUP. On error the old list stays in force. Sessions already logged in
// keep the mounts they started with.
func (u *Users) Replace(users []UserConfig, stores map[string]backends.Backend) error {
	set, err := buildSet(users, stores)
	if err != nil {
		return err
	}
	u.set.Store(set)
	return nil
}

func buildSet(users []UserConfig, stores map[string]backends.Backend) (*userSet, error) {
	names := slices.Sorted(maps.Keys(stores))
	if err := ValidateUsers(users, names); err != nil {
		return nil, err
	}
	// One handle per backend and bucket, so that mounts on the same bucket
	// share it and may rename between each other.
	type bucketID struct{ backend, bucket string }
	buckets := make(map[bucketID]backends.Bucket)
	set := &userSet{byName: make(map[string]*user, len(users))}
	hashes := make([]verifier, 0, len(users))
	for i, uc := range users {
		p, _ := parseUser(i, uc, names) // validated above
		id := bucketID{uc.Backend, uc.Bucket}
		b, ok := buckets[id]
		if !ok {
			be := stores[uc.Backend]
			if be == nil {
				return nil, fielderr.New(field(i, "backend"), "backend %q is not available", uc.Backend)
			}
			var err error
			if b, err = be.Bucket(uc.Bucket); err != nil {
				return nil, fielderr.New(field(i, "bucket"), "%v", err)
			}
			buckets[id] = b
		}
		s, err := NewSession(p.home, Mount{Path: "/", Prefix: p.prefix, Perm: p.perm, Bucket: b})
		if err != nil {
			return nil, fielderr.New(field(i, "home"), "%v", err)
		}
		set.byName[p.name] = &user{hash: p.hash, disabled: p.disabled, session: s}
		hashes = append(hashes, p.hash)
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

// Login checks the password and opens the user's session. Every failure
// returns the same error wrapping backends.ErrPermission, after the same
// work: an unknown user's password is checked against a dummy hash of
// the typical cost, a disabled user's against the real one.
func (u *Users) Login(ctx context.Context, info ftps.LoginInfo) (ftps.FileSystem, error) {
	set := u.set.Load()
	if set == nil {
		return nil, errLoginFailed
	}
	usr, found := set.byName[info.User]
	v := set.dummy
	if found {
		v = usr.hash
	}
	ok, err := u.verify(ctx, v, info.Password)
	if err != nil {
		return nil, err
	}
	if !found || !ok || usr.disabled {
		return nil, errLoginFailed
	}
	s := *usr.session
	return &s, nil
}

func (u *Users) verify(ctx context.Context, v verifier, password string) (bool, error) {
	if u.slots != nil {
		select {
		case u.slots <- struct{}{}:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		defer func() { <-u.slots }()
	}
	if u.onVerify != nil {
		u.onVerify(v)
	}
	return v.verify(password), nil
}

// PasswordRequired reports whether user must send PASS. It is always true
// for now: certificate-only accounts come later.
func (u *Users) PasswordRequired(user string, certs []*x509.Certificate) bool {
	return true
}
