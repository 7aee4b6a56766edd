package mapping

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// UserConfig is one entry of the users section of config.yaml. The keys
// are the operators' contract. Backend, Bucket, Prefix and Permissions are
// the shorthand for a single mount at "/".
type UserConfig struct {
	Name         string   `yaml:"name"`
	PasswordHash string   `yaml:"password_hash"`
	Backend      string   `yaml:"backend"`
	Bucket       string   `yaml:"bucket"`
	Prefix       string   `yaml:"prefix"`
	Permissions  []string `yaml:"permissions"`
	Home         string   `yaml:"home"` // virtual start directory, default "/"
	Disabled     bool     `yaml:"disabled"`
}

// maxNameLen bounds user names; FTP clients and logs cope badly with more.
const maxNameLen = 256

// ValidateUsers checks the users section against the configured backend
// names. It reports every problem it finds, each as a *fielderr.Error
// naming the key ("users.3.prefix"), joined with errors.Join.
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
	hash     verifier
	prefix   string
	perm     Perm
	home     string
	disabled bool
}

// parseUser validates user i, returning all its problems joined.
func parseUser(i int, u UserConfig, backendNames []string) (parsedUser, error) {
	p := parsedUser{name: u.Name, disabled: u.Disabled}
	var errs []error
	fail := func(key, format string, args ...any) {
		errs = append(errs, fielderr.New(field(i, key), format, args...))
	}
	if err := checkName(u.Name); err != nil {
		fail("name", "%v", err)
	}
	var err error
	if p.hash, err = parseHash(u.PasswordHash); err != nil {
		fail("password_hash", "%v", err)
	}
	if !slices.Contains(backendNames, u.Backend) {
		fail("backend", "unknown backend %q (configured: %s)", u.Backend, strings.Join(backendNames, ", "))
	}
	if p.prefix, err = NormalizePrefix(u.Prefix); err != nil {
		fail("prefix", "must be a relative slash-separated key prefix without \".\", \"..\" or empty elements: %v", err)
	}
	errs = append(errs, parsePerms(i, u.Permissions, &p.perm)...)
	if p.home, err = checkHome(u.Home); err != nil {
		fail("home", "%v", err)
	}
	return p, errors.Join(errs...)
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

func parsePerms(i int, names []string, perm *Perm) []error {
	if len(names) == 0 {
		return []error{fielderr.New(field(i, "permissions"),
			"at least one permission required (%s, or \"*\" for all)", allPermNames())}
	}
	var errs []error
	for j, n := range names {
		p, err := ParsePerm([]string{n})
		if err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("users.%d.permissions.%d", i, j), "%v", err))
		}
		*perm |= p
	}
	return errs
}

// checkHome validates the virtual start directory. Like prefixes, and
// unlike client paths, it is refused rather than cleaned when it has
// ".", ".." or empty elements.
func checkHome(home string) (string, error) {
	if home == "" {
		return "/", nil
	}
	if !strings.HasPrefix(home, "/") {
		return "", errors.New("must be an absolute virtual path such as \"/\" or \"/inbound\"")
	}
	if err := checkChars(home); err != nil {
		return "", err
	}
	rel := strings.TrimSuffix(home[1:], "/")
	if rel == "" {
		return "/", nil
	}
	if err := checkElements(rel); err != nil {
		return "", err
	}
	return path.Clean(home), nil
}
