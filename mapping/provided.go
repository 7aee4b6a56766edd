package mapping

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// IdentityRequest is what an identity provider is told of a login. The
// password is sent to the provider, which checks it; it is never logged.
type IdentityRequest struct {
	User     string `json:"user"`
	Password string `json:"password,omitempty"`
	// CertFingerprint (SHA-256 of the DER, hex) and CertSubject describe
	// the verified client certificate, if one was presented.
	CertFingerprint string `json:"cert_fingerprint,omitempty"`
	CertSubject     string `json:"cert_subject,omitempty"`
	ClientAddress   string `json:"client_address"`
	Listener        string `json:"listener"` // explicit, implicit or none
	Protocol        string `json:"protocol"` // ftps or ftp
}

// IdentityProvider answers logins of users the configuration does not
// hold. Identify returns the user's definition (the vocabulary of a
// users: entry, without credentials: the provider has checked them),
// ErrRefused when the provider refuses the login, or any other error when
// it could not answer (the login then fails closed with 421).
type IdentityProvider interface {
	Identify(ctx context.Context, req IdentityRequest) (*UserConfig, error)
}

// ErrRefused is returned by an IdentityProvider that refuses a login.
var ErrRefused = errors.New("identity provider refused the login")

// Identity modes: which users the provider answers for.
const (
	// IdentityFileFirst checks configured users first; the provider
	// answers for every other name.
	IdentityFileFirst = "file_first"
	// IdentityProviderOnly sends every login to the provider.
	IdentityProviderOnly = "provider_only"
)

// ValidateProvided checks a user definition from an identity provider
// with the same rules as a users: entry (mounts, backend names, home,
// permissions, limits, patterns). Credentials are the provider's business:
// password_hash, auth and certificate bindings are refused in an answer.
// The name must be the one that logged in.
func ValidateProvided(u UserConfig, login string, backendNames []string) error {
	probs := &problems{user: 0}
	switch {
	case u.Name != "" && u.Name != login:
		probs.add("name", "is %q, not the user logging in", u.Name)
	case u.PasswordHash != "" || u.Auth != "" || len(u.CertFingerprints) > 0 || len(u.CertSubjects) > 0:
		probs.add("password_hash", "credentials (password_hash, auth, cert_fingerprints, cert_subjects) are not accepted from a provider")
	}
	_, err := parseProvided(u, login, backendNames)
	return errors.Join(errors.Join(probs.errs...), err)
}

// parseProvided validates u like parseUser does, as a user who needs no
// credentials of ours.
func parseProvided(u UserConfig, login string, backendNames []string) (parsedUser, error) {
	u.Name, u.Auth = login, "certificate"
	u.PasswordHash, u.CertFingerprints, u.CertSubjects = "", nil, nil
	// parseBindings wants a binding for auth: certificate; the provider
	// vouches instead, so give it one that nothing can present.
	u.CertSubjects = []string{"CN=ftpsbridge-identity-provider"}
	p, err := parseUser(0, u, backendNames)
	p.certs = certBinding{}
	return p, err
}

// providedUser turns a provider's answer into a user with its own mounts,
// or explains why the answer is unusable.
func (u *Users) providedUser(set *userSet, uc UserConfig, login string) (*user, error) {
	stores := set.stores
	names := slices.Sorted(maps.Keys(stores))
	if err := ValidateProvided(uc, login, names); err != nil {
		return nil, fmt.Errorf("invalid answer: %w", err)
	}
	p, _ := parseProvided(uc, login, names)
	p.auth = authPassword // what the provider checked; never certificate-only here
	buckets := make(map[[2]string]backends.Bucket)
	mounts := make([]Mount, 0, len(p.mounts))
	for _, pm := range p.mounts {
		id := [2]string{pm.backend, pm.bucket}
		b, ok := buckets[id]
		if !ok {
			var err error
			if b, err = stores[pm.backend].Bucket(pm.bucket); err != nil {
				return nil, fmt.Errorf("invalid answer: %w", fielderr.New(field(0, pm.fieldOf("bucket")), "%v", err))
			}
			buckets[id] = b
		}
		mounts = append(mounts, Mount{Path: pm.path, Prefix: pm.prefix, Perm: pm.perm, Bucket: b})
	}
	tmpl, err := NewSession(p.home, mounts...)
	if err != nil {
		return nil, fmt.Errorf("invalid answer: %w", fielderr.New(field(0, "home"), "%v", err))
	}
	return &user{parsedUser: p, template: tmpl}, nil
}
