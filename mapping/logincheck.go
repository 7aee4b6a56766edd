package mapping

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net/netip"
	"sync"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// flights lets concurrent logins with the same credentials wait for one
// password check instead of each queueing for its own: rclone and lftp
// open several control connections at once, and a partner's batch jobs
// log in at the same second.
type flights struct {
	mu      sync.Mutex
	running map[[sha256.Size]byte]chan struct{}
}

// join returns a channel closed when the check of id ends, and whether
// the caller leads (must check, then call done).
func (f *flights) join(id [sha256.Size]byte) (wait chan struct{}, lead bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.running[id]; ok {
		return c, false
	}
	if f.running == nil {
		f.running = make(map[[sha256.Size]byte]chan struct{})
	}
	c := make(chan struct{})
	f.running[id] = c
	return c, true
}

func (f *flights) done(id [sha256.Size]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.running[id])
	delete(f.running, id)
}

// checkPassword verifies password for usr (nil: unknown, checked against
// the dummy v), using the login cache when it can. A correct password is
// remembered; a wrong one never is.
func (u *Users) checkPassword(ctx context.Context, usr *user, v verifier, k cacheKey) (bool, error) {
	if usr == nil || usr.hash == nil || u.cache == nil {
		return u.verify(ctx, v, k.password)
	}
	if u.cache.verified(k, usr.hashText) {
		return true, nil
	}
	_, proof := u.cache.digests(k)
	wait, lead := u.flights.join(proof)
	if !lead {
		select {
		case <-wait:
		case <-ctx.Done():
			return false, busy(ctx)
		}
		if u.cache.verified(k, usr.hashText) {
			return true, nil
		}
		// The other check failed (or the user changed meanwhile): this
		// login pays for its own, so failures cost the same as ever.
		return u.verify(ctx, v, k.password)
	}
	defer u.flights.done(proof)
	ok, err := u.verify(ctx, v, k.password)
	if ok && err == nil {
		u.cache.remember(k, usr.hashText)
	}
	return ok, err
}

// busy is the error of a login whose check did not finish in time: the
// front end answers 421, and it does not count as a failed login.
func busy(ctx context.Context) error {
	return fmt.Errorf("%w: waiting for a password check: %w", ftps.ErrBusy, context.Cause(ctx))
}

// keyOf is what the login cache remembers a login by.
func keyOf(user, password, cert string, addr netip.Addr) cacheKey {
	return cacheKey{user: user, password: password, cert: cert, addr: addr}
}

func fingerprintOrNone(leaf *x509.Certificate) string {
	if leaf == nil {
		return ""
	}
	return FingerprintOf(leaf)
}

// SetLoginCache replaces the login cache with one configured by c (a TTL
// of 0 turns it off). Call it before serving.
func (u *Users) SetLoginCache(c LoginCacheConfig) {
	u.cache = newLoginCache(c, u.now)
}
