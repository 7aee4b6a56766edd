package mapping

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// policy holds a user's account restrictions.
type policy struct {
	expires     time.Time // zero: never
	allowed     []netip.Prefix
	maxSessions int
	upload      uploadRules
}

// uploadRules restrict what a user may store. The zero value allows all.
type uploadRules struct {
	maxBytes int64    // 0: no limit
	allow    []string // lower-cased patterns; empty: any name
	deny     []string
}

func parsePolicy(probs *problems, u UserConfig) policy {
	var p policy
	if u.ExpiresAt != "" {
		t, err := parseExpiry(u.ExpiresAt)
		if err != nil {
			probs.add("expires_at", "%v", err)
		}
		p.expires = t
	}
	for j, s := range u.AllowedIPs {
		pfx, err := parseAllowedIP(s)
		if err != nil {
			probs.add(fmt.Sprintf("allowed_ips.%d", j), "%v", err)
			continue
		}
		p.allowed = append(p.allowed, pfx)
	}
	if u.MaxSessions < 0 {
		probs.add("max_sessions", "must not be negative (0 means no per-user limit)")
	}
	p.maxSessions = u.MaxSessions
	if u.UploadMaxBytes < 0 {
		probs.add("upload_max_bytes", "must not be negative (0 means no limit)")
	}
	p.upload.maxBytes = int64(u.UploadMaxBytes)
	p.upload.allow = parsePatterns(probs, "allowed_patterns", u.AllowedPatterns)
	p.upload.deny = parsePatterns(probs, "denied_patterns", u.DeniedPatterns)
	return p
}

// parseExpiry accepts RFC 3339, or a bare date meaning 00:00 UTC.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want a date (2027-01-31, meaning 00:00 UTC) or an RFC 3339 time (2027-01-31T18:00:00+01:00), got %q", s)
}

// parseAllowedIP accepts a CIDR or a single address. A CIDR with host
// bits set ("10.1.2.3/8") is refused as the likely typo it is.
func parseAllowedIP(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("want a CIDR such as 192.0.2.0/24 or an address, got %q", s)
		}
		if p.Addr().Is4In6() {
			return netip.Prefix{}, fmt.Errorf("%q: write IPv4 ranges in IPv4 form", s)
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("want a CIDR such as 192.0.2.0/24 or an address, got %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parsePatterns(probs *problems, key string, pats []string) []string {
	var out []string
	for j, p := range pats {
		switch _, err := path.Match(p, ""); {
		case p == "":
			probs.add(fmt.Sprintf("%s.%d", key, j), "empty pattern")
		case strings.Contains(p, "/"):
			probs.add(fmt.Sprintf("%s.%d", key, j), "%q: patterns match file names, so they cannot contain \"/\"", p)
		case err != nil:
			probs.add(fmt.Sprintf("%s.%d", key, j), "%q is not a valid pattern (*, ? and [a-z] are supported)", p)
		default:
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

// expired reports whether the account has expired at now.
func (p *policy) expired(now time.Time) bool {
	return !p.expires.IsZero() && !now.Before(p.expires)
}

// ipAllowed reports whether a client at addr may use the account.
func (p *policy) ipAllowed(addr netip.Addr) bool {
	if len(p.allowed) == 0 {
		return true
	}
	for _, pfx := range p.allowed {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}

var errNameNotAllowed = errors.New("file name not allowed for upload")

// checkFileName refuses a file name the rules do not allow to be stored.
// Patterns match the base name, case-insensitively, so "*.csv" allows
// "REPORT.CSV" and "*.exe" denies "setup.EXE".
func (r uploadRules) checkFileName(vpath string) error {
	if len(r.allow) == 0 && len(r.deny) == 0 {
		return nil
	}
	name := strings.ToLower(path.Base(vpath))
	for _, p := range r.deny {
		if ok, _ := path.Match(p, name); ok {
			return fmt.Errorf("%w (denied pattern %q): %w", errNameNotAllowed, p, backends.ErrInvalid)
		}
	}
	if len(r.allow) == 0 {
		return nil
	}
	for _, p := range r.allow {
		if ok, _ := path.Match(p, name); ok {
			return nil
		}
	}
	return fmt.Errorf("%w (matches no allowed pattern): %w", errNameNotAllowed, backends.ErrInvalid)
}
