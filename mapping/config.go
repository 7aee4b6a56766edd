package mapping

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// UserConfig is one entry of the users section of config.yaml (or of the
// users_file). The keys are the operators' contract.
type UserConfig struct {
	Name string `yaml:"name"`
	// PasswordHash is a bcrypt or argon2id hash; required unless Auth is
	// "certificate", and refused then.
	PasswordHash string `yaml:"password_hash"`
	// Auth is "password" (the default), "certificate" or
	// "certificate+password".
	Auth string `yaml:"auth"`
	// CertFingerprints binds client certificates by the SHA-256 of their
	// DER encoding, in hex; case, colons and spaces do not matter.
	CertFingerprints []string `yaml:"cert_fingerprints"`
	// CertSubjects binds client certificates by subject DN
	// ("CN=acme-batch,O=Acme", every attribute, any order) or by one
	// subject alternative name ("DNS:batch.acme.example",
	// "email:ops@acme.example", "URI:spiffe://acme/batch").
	CertSubjects []string `yaml:"cert_subjects"`

	// Backend, Bucket, Prefix and Permissions are the shorthand for a
	// single mount at "/"; they cannot be combined with Mounts.
	Backend     string   `yaml:"backend"`
	Bucket      string   `yaml:"bucket"`
	Prefix      string   `yaml:"prefix"`
	Permissions []string `yaml:"permissions"`
	// Mounts make up the user's virtual tree.
	Mounts []MountConfig `yaml:"mounts"`

	Home     string `yaml:"home"` // virtual start directory, default "/"
	Disabled bool   `yaml:"disabled"`
	// ExpiresAt ends the account: RFC 3339 ("2027-01-31T18:00:00Z") or a
	// date ("2027-01-31", meaning 00:00 UTC that day). Empty: never.
	ExpiresAt string `yaml:"expires_at"`
	// AllowedIPs restricts the addresses the user may log in from (CIDRs
	// or single addresses). Empty: anywhere.
	AllowedIPs []string `yaml:"allowed_ips"`
	// MaxSessions bounds the user's concurrent sessions; 0: no bound
	// beyond the server's own limits.
	MaxSessions int `yaml:"max_sessions"`
	// UploadMaxBytes bounds the size of one stored file (bytes, or with a
	// unit: 100MiB); 0: no bound.
	UploadMaxBytes backends.Size `yaml:"upload_max_bytes"`
	// AllowedPatterns, when set, are the only file names (shell patterns
	// on the base name, case-insensitive) that may be uploaded or renamed
	// to. DeniedPatterns are never allowed, and win over AllowedPatterns.
	AllowedPatterns []string `yaml:"allowed_patterns"`
	DeniedPatterns  []string `yaml:"denied_patterns"`
}

// MountConfig is one entry of a user's mounts: the virtual directory Path
// shows the objects of Bucket on Backend under Prefix, with Permissions.
type MountConfig struct {
	Path        string   `yaml:"path"`
	Backend     string   `yaml:"backend"`
	Bucket      string   `yaml:"bucket"`
	Prefix      string   `yaml:"prefix"`
	Permissions []string `yaml:"permissions"`
}

// NeedsCertificate reports whether the user can only log in with a client
// certificate, so that the server must be configured to ask for one.
func (u UserConfig) NeedsCertificate() bool {
	m, err := parseAuth(u.Auth)
	return err == nil && m.needsCert()
}

// NeedsPassword reports whether the user's auth mode takes a password
// (so a password_hash belongs with it).
func (u UserConfig) NeedsPassword() bool {
	m, err := parseAuth(u.Auth)
	return err == nil && m.needsPassword()
}

// maxNameLen bounds user names; FTP clients and logs cope badly with more.
const maxNameLen = 256

// ValidateUsers checks the users section against the configured backend
// names. It reports every problem it finds, each as a *fielderr.Error
// naming the key ("users.3.prefix", "users.0.mounts.1.path"), joined with
// errors.Join.
func ValidateUsers(users []UserConfig, backendNames []string) error {
	var errs []error
	first := make(map[string]int, len(users))
	for i, u := range users {
		if j, dup := first[u.Name]; dup && u.Name != "" {
			errs = append(errs, fielderr.New(field(i, "name"), "duplicate user name %q (also users.%d)", u.Name, j))
		} else {
			first[u.Name] = i
		}
		if _, err := parseUser(i, u, backendNames); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func field(i int, key string) string { return fmt.Sprintf("users.%d.%s", i, key) }

// parsedUser is a validated UserConfig, before buckets are resolved.
type parsedUser struct {
	name     string
	auth     authMode
	hash     verifier // nil for certificate-only users
	hashText string   // to notice a changed password on reload
	certs    certBinding
	mounts   []parsedMount
	home     string
	disabled bool
	policy   policy
}

// problems collects the errors of one user, each naming its key.
type problems struct {
	user int
	errs []error
}

func (p *problems) add(key, format string, args ...any) {
	p.errs = append(p.errs, fielderr.New(field(p.user, key), format, args...))
}

// parseUser validates user i, returning all its problems joined.
func parseUser(i int, u UserConfig, backendNames []string) (parsedUser, error) {
	p := parsedUser{name: u.Name, disabled: u.Disabled, hashText: u.PasswordHash}
	probs := &problems{user: i}
	if err := checkName(u.Name); err != nil {
		probs.add("name", "%v", err)
	}
	var err error
	if p.auth, err = parseAuth(u.Auth); err != nil {
		probs.add("auth", "%v", err)
	}
	p.hash = parseCredentials(probs, u, p.auth)
	p.certs = parseBindings(probs, u)
	p.mounts = parseMounts(probs, u, backendNames)
	if p.home, err = checkHome(u.Home); err != nil {
		probs.add("home", "%v", err)
	} else if len(p.mounts) > 0 && !homeInMounts(p.home, p.mounts) {
		probs.add("home", "%q is not inside any mount (home must lie in or above a mount path)", p.home)
	}
	p.policy = parsePolicy(probs, u)
	return p, errors.Join(probs.errs...)
}

// parseCredentials checks the password hash against the auth mode.
func parseCredentials(probs *problems, u UserConfig, auth authMode) verifier {
	if !auth.needsPassword() {
		if u.PasswordHash != "" {
			probs.add("password_hash", "not used with auth: %s; remove it", auth)
		}
		return nil
	}
	h, err := parseHash(u.PasswordHash)
	if err != nil {
		probs.add("password_hash", "%v", err)
	}
	return h
}

func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("required")
	case len(name) > maxNameLen:
		return fmt.Errorf("longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return errors.New("invalid UTF-8")
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("must not contain whitespace or control characters")
	}
	return nil
}

// parsePerms parses the permissions list at key (".permissions" of a user
// or of one of its mounts).
func parsePerms(probs *problems, key string, names []string) Perm {
	if len(names) == 0 {
		probs.add(key, "at least one permission required (%s, or \"*\" for all)", allPermNames())
		return 0
	}
	var perm Perm
	for j, n := range names {
		p, err := ParsePerm([]string{n})
		if err != nil {
			probs.add(fmt.Sprintf("%s.%d", key, j), "%v", err)
		}
		perm |= p
	}
	return perm
}

// checkHome validates the virtual start directory. Like prefixes, and
// unlike client paths, it is refused rather than cleaned when it has
// ".", ".." or empty elements.
func checkHome(home string) (string, error) {
	if home == "" {
		return "/", nil
	}
	return checkVirtualPath(home)
}

// checkVirtualPath validates an operator's virtual path (a home or a
// mount point) and returns it in clean form.
func checkVirtualPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", errors.New("must be an absolute virtual path such as \"/\" or \"/inbound\"")
	}
	if err := checkChars(p); err != nil {
		return "", err
	}
	rel := strings.TrimSuffix(p[1:], "/")
	if rel == "" {
		return "/", nil
	}
	if err := checkElements(rel); err != nil {
		return "", err
	}
	return path.Clean(p), nil
}

// homeInMounts reports whether home lies in a mount, or above one (a
// virtual directory that lists mount points).
func homeInMounts(home string, mounts []parsedMount) bool {
	for _, m := range mounts {
		if m.path == home || isAncestor(m.path, home) || isAncestor(home, m.path) {
			return true
		}
	}
	return false
}
