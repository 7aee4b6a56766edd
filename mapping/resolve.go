package mapping

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// MaxPathLen bounds a virtual path in bytes. Object stores cap keys at about
// 1 KiB anyway; the limit stops a client from making every check below
// walk megabytes of path.
const MaxPathLen = 4096

// Mount is one piece of a user's virtual tree: everything at or below Path
// is stored in Bucket under Prefix, with the operations Perm allows.
type Mount struct {
	// Path is the virtual mount point, absolute and clean ("/", "/inbound").
	Path string
	// Prefix is the key prefix in normalised form: no leading or trailing
	// slash, "" for the whole bucket (see NormalizePrefix).
	Prefix string
	Perm   Perm
	Bucket backends.Bucket
	// Where names the storage for events and logs (see Locate). Its Key
	// is the part of the key prefix that Bucket applies itself (a local
	// mount confined to its prefix), "" otherwise.
	Where Location
}

// CleanPath checks that a client's path is safe to interpret and returns
// it cleaned and rooted. Control characters (NUL, CR, LF, ...) are refused
// because they have no business in a file name and would let a client
// inject lines into replies and logs; backslashes because some backends
// (local disk on Windows) would take them as separators that the cleaning
// below does not see; invalid UTF-8 because object stores require UTF-8
// keys. A relative path is taken as relative to "/", so that path.Clean
// always works on a rooted path and ".." can never climb above "/".
func CleanPath(p string) (string, error) {
	if len(p) > MaxPathLen {
		return "", fmt.Errorf("path longer than %d bytes: %w", MaxPathLen, backends.ErrInvalid)
	}
	if err := checkChars(p); err != nil {
		return "", err
	}
	return path.Clean("/" + p), nil
}

// checkChars refuses the characters that no path or prefix may contain.
func checkChars(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8: %w", backends.ErrInvalid)
	}
	for _, r := range s {
		if r == '\\' {
			return fmt.Errorf("backslash in path: %w", backends.ErrInvalid)
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U in path: %w", r, backends.ErrInvalid)
		}
	}
	return nil
}

// NormalizePrefix validates a configured key prefix and returns it without
// leading or trailing slash, so "demo", "demo/" and "/demo/" are the same
// prefix. Unlike client paths, prefixes are not cleaned but refused when
// they contain ".", ".." or empty elements: an operator who wrote
// "a/../b" made a mistake that should be reported, not guessed at.
func NormalizePrefix(prefix string) (string, error) {
	if err := checkChars(prefix); err != nil {
		return "", err
	}
	p := strings.TrimPrefix(prefix, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if err := checkElements(p); err != nil {
		return "", err
	}
	return p, nil
}

// checkElements refuses the elements the storage contract forbids in a
// slash-separated key (backends.BadElement): empty, "." and "..", which
// could climb, and the names reserved for staged uploads.
func checkElements(key string) error {
	for el := range strings.SplitSeq(key, "/") {
		if reason := backends.BadElement(el); reason != "" {
			return fmt.Errorf("%q: %s: %w", el, reason, backends.ErrInvalid)
		}
	}
	return nil
}

// Key resolves virtual path vpath, which must lie at or below m.Path, to
// the backend key: the prefix joined with the path relative to the mount
// point. The mount point itself maps to the prefix ("" for an empty one).
// The result never starts or ends with a slash and never contains ".",
// ".." or empty elements.
func (m *Mount) Key(vpath string) (string, error) {
	clean, err := CleanPath(vpath)
	if err != nil {
		return "", err
	}
	rel, ok := m.rel(clean)
	if !ok {
		return "", fmt.Errorf("path %q is outside mount %q: %w", clean, m.Path, backends.ErrInvalid)
	}
	key := joinKey(m.Prefix, rel)
	// Belt and braces: the cleaning above makes these unreachable, but this
	// is the last point before a key reaches storage.
	if key != "" {
		if err := checkElements(key); err != nil {
			return "", err
		}
	}
	if !inPrefix(key, m.Prefix) {
		return "", fmt.Errorf("resolved key escaped its prefix: %w", backends.ErrInvalid)
	}
	return key, nil
}

// rel returns clean relative to the mount point, "" for the mount point
// itself, and false when clean is not at or below it.
func (m *Mount) rel(clean string) (string, bool) {
	switch {
	case m.Path == "/":
		return clean[1:], true
	case clean == m.Path:
		return "", true
	case strings.HasPrefix(clean, m.Path+"/"):
		return clean[len(m.Path)+1:], true
	}
	return "", false
}

func joinKey(prefix, rel string) string {
	switch {
	case rel == "":
		return prefix
	case prefix == "":
		return rel
	}
	return prefix + "/" + rel
}

// inPrefix reports whether key is prefix itself or lies below it.
func inPrefix(key, prefix string) bool {
	return prefix == "" || key == prefix || strings.HasPrefix(key, prefix+"/")
}

// isAncestor reports whether clean virtual path dir lies strictly above
// clean virtual path p.
func isAncestor(dir, p string) bool {
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}
