package mapping

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// identitySource is an identity provider as Users uses it: the provider,
// which users it answers for, and the cache of its answers (with the
// login cache's rules: keyed hashes only, never a refusal or failure).
type identitySource struct {
	provider IdentityProvider
	mode     string
	cache    *loginCache
	flights  flights
}

// identityHashText marks cache entries made from a provider's answer.
const identityHashText = "identity-provider"

// SetIdentityProvider makes p answer logins of users the configuration
// does not hold (mode IdentityFileFirst) or of every user (mode
// IdentityProviderOnly). Answers are remembered for cacheTTL (0: asked
// every login), up to maxEntries. Call it before serving.
func (u *Users) SetIdentityProvider(p IdentityProvider, mode string, cacheTTL time.Duration, maxEntries int) {
	u.idp = &identitySource{provider: p, mode: mode,
		cache: newLoginCache(LoginCacheConfig{TTL: cacheTTL, MaxEntries: maxEntries}, u.now)}
}

// loginProvided logs in a user the identity provider defines.
func (u *Users) loginProvided(ctx context.Context, set *userSet, info ftps.LoginInfo) (ftps.FileSystem, error) {
	var leaf *x509.Certificate
	if len(info.PeerCertificates) > 0 {
		leaf = info.PeerCertificates[0]
	}
	ip := info.ClientIP()
	k := keyOf(info.User, info.Password, fingerprintOrNone(leaf), ip)
	usr, err := u.identify(ctx, set, info, k, leaf)
	if err != nil {
		return nil, err
	}
	if reason := usr.refusal(u.now(), ip); reason != "" {
		return nil, fmt.Errorf("%w: %s", errLoginFailed, reason)
	}
	if !u.acquire(usr) {
		return nil, ftps.ErrSessionLimit
	}
	s := u.open(usr, ip, leaf)
	s.acct.provided = usr
	return s, nil
}

// identify returns the provider's user for the login, from the cache
// when the same credentials were answered within cache_ttl. Concurrent
// logins with the same credentials share one request.
func (u *Users) identify(ctx context.Context, set *userSet, info ftps.LoginInfo, k cacheKey, leaf *x509.Certificate) (*user, error) {
	src := u.idp
	if e := src.cache.lookup(k, identityHashText); e != nil {
		return e.answer, nil
	}
	if src.cache != nil {
		_, proof := src.cache.digests(k)
		wait, lead := src.flights.join(proof)
		if !lead {
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, busy(ctx)
			}
			if e := src.cache.lookup(k, identityHashText); e != nil {
				return e.answer, nil
			}
		} else {
			defer src.flights.done(proof)
		}
	}
	req := IdentityRequest{User: info.User, Password: info.Password, ClientAddress: k.addr.String(),
		Listener: info.Listener, Protocol: "ftp"}
	if info.TLS {
		req.Protocol = "ftps"
	}
	if leaf != nil {
		req.CertFingerprint, req.CertSubject = FingerprintOf(leaf), leaf.Subject.String()
	}
	uc, err := src.provider.Identify(ctx, req)
	switch {
	case errors.Is(err, ErrRefused):
		return nil, fmt.Errorf("%w: %w", errLoginFailed, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ftps.ErrAuthUnavailable, err)
	}
	usr, err := u.providedUser(set, *uc, info.User)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ftps.ErrAuthUnavailable, err)
	}
	src.cache.rememberAnswer(k, identityHashText, usr)
	return usr, nil
}
