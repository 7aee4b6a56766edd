package mapping

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// distinguishedName is a subject DN as a sorted multiset of attributes.
// Two DNs are equal when they hold the same attributes, whatever their
// order: operators copy subjects from openssl ("/C=DE/O=Acme/CN=x" order)
// as often as from RFC 4514 tools ("CN=x,O=Acme,C=DE" order). A DN never
// matches a certificate with more or fewer attributes.
type distinguishedName []dnAttribute

type dnAttribute struct {
	oid   string // dotted form, "2.5.4.3"
	value string
}

func (a dnAttribute) compare(b dnAttribute) int {
	if c := strings.Compare(a.oid, b.oid); c != 0 {
		return c
	}
	return strings.Compare(a.value, b.value)
}

func (d distinguishedName) equal(o distinguishedName) bool {
	return slices.Equal(d, o)
}

// dnKeywords are the attribute names of RFC 4514 section 3 and those in
// common use by certificate tools, upper-cased.
var dnKeywords = map[string]string{
	"CN":                     "2.5.4.3",
	"SN":                     "2.5.4.4",
	"SURNAME":                "2.5.4.4",
	"SERIALNUMBER":           "2.5.4.5",
	"C":                      "2.5.4.6",
	"L":                      "2.5.4.7",
	"ST":                     "2.5.4.8",
	"S":                      "2.5.4.8",
	"STREET":                 "2.5.4.9",
	"O":                      "2.5.4.10",
	"OU":                     "2.5.4.11",
	"TITLE":                  "2.5.4.12",
	"POSTALCODE":             "2.5.4.17",
	"GN":                     "2.5.4.42",
	"GIVENNAME":              "2.5.4.42",
	"ORGANIZATIONIDENTIFIER": "2.5.4.97",
	"DC":                     "0.9.2342.19200300.100.1.25",
	"UID":                    "0.9.2342.19200300.100.1.1",
	"EMAILADDRESS":           "1.2.840.113549.1.9.1",
	"E":                      "1.2.840.113549.1.9.1",
}

// subjectOf returns the subject of c in the form parseDN produces.
func subjectOf(c *x509.Certificate) distinguishedName {
	dn := make(distinguishedName, 0, len(c.Subject.Names))
	for _, n := range c.Subject.Names {
		v, ok := n.Value.(string)
		if !ok {
			v = fmt.Sprint(n.Value)
		}
		dn = append(dn, dnAttribute{oid: n.Type.String(), value: v})
	}
	slices.SortFunc(dn, dnAttribute.compare)
	return dn
}

// parseDN parses a DN string in RFC 4514 form ("CN=acme-batch,O=Acme";
// "+" joins attributes of one RDN, which here is the same as ","), with
// backslash escapes ("\,", "\2C") and double-quoted values. A leading
// "/" selects the openssl form ("/O=Acme/CN=acme-batch").
func parseDN(s string) (distinguishedName, error) {
	seps := ",+;"
	if strings.HasPrefix(s, "/") {
		s, seps = s[1:], "/"
	}
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty subject")
	}
	var dn distinguishedName
	for rest := s; ; {
		attr, next, err := parseDNAttribute(rest, seps)
		if err != nil {
			return nil, err
		}
		dn = append(dn, attr)
		if next == "" {
			break
		}
		rest = next
	}
	slices.SortFunc(dn, dnAttribute.compare)
	return dn, nil
}

// parseDNAttribute parses "type=value" at the start of s and returns the
// text after the separator that ends it ("" at the end).
func parseDNAttribute(s, seps string) (dnAttribute, string, error) {
	typ, rest, found := strings.Cut(s, "=")
	if !found {
		return dnAttribute{}, "", fmt.Errorf("malformed subject: %q has no \"=\"", strings.TrimSpace(s))
	}
	oid, err := dnType(strings.TrimSpace(typ))
	if err != nil {
		return dnAttribute{}, "", err
	}
	value, next, err := dnValue(rest, seps)
	if err != nil {
		return dnAttribute{}, "", err
	}
	return dnAttribute{oid: oid, value: value}, next, nil
}

func dnType(t string) (string, error) {
	if oid, ok := dnKeywords[strings.ToUpper(t)]; ok {
		return oid, nil
	}
	var parts []int
	for _, p := range strings.Split(t, ".") {
		n := 0
		if p == "" || len(p) > 9 || strings.Trim(p, "0123456789") != "" {
			return "", fmt.Errorf("unknown subject attribute %q (use a name such as CN, O, OU, C or a dotted OID)", t)
		}
		fmt.Sscan(p, &n)
		parts = append(parts, n)
	}
	if len(parts) < 2 {
		return "", fmt.Errorf("unknown subject attribute %q", t)
	}
	return asn1.ObjectIdentifier(parts).String(), nil
}

// dnValue reads one attribute value up to an unescaped separator.
// Unescaped spaces around the value are not part of it.
func dnValue(s, seps string) (value, rest string, err error) {
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, "#") {
		return "", "", errors.New("hex-encoded (#...) subject values are not supported; write the value as text")
	}
	if strings.HasPrefix(s, `"`) {
		return dnQuoted(s[1:], seps)
	}
	var b strings.Builder
	trailing := 0 // unescaped spaces at the end of b
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(seps, c) >= 0:
			return dnFinish(b.String(), trailing, s[i+1:], true)
		case c == '\\':
			r, n, err := dnEscape(s[i+1:])
			if err != nil {
				return "", "", err
			}
			b.WriteString(r)
			i += n
			trailing = 0
		default:
			b.WriteByte(c)
			if c == ' ' {
				trailing++
			} else {
				trailing = 0
			}
		}
	}
	return dnFinish(b.String(), trailing, "", false)
}

// dnFinish ends a value: trailing unescaped spaces are dropped, and a
// separator must be followed by another attribute.
func dnFinish(v string, trailing int, rest string, separated bool) (string, string, error) {
	v = v[:len(v)-trailing]
	if v == "" {
		return "", "", errors.New("empty subject attribute value")
	}
	if separated && strings.TrimSpace(rest) == "" {
		return "", "", errors.New("malformed subject: nothing after the last separator")
	}
	return v, rest, nil
}

// dnEscape decodes the escape after a backslash: a special character
// or two hex digits. It returns the text and how many bytes it used.
func dnEscape(s string) (string, int, error) {
	if len(s) >= 2 {
		if b, err := hex.DecodeString(s[:2]); err == nil {
			return string(b), 2, nil
		}
	}
	if len(s) >= 1 && strings.IndexByte(`,+"\<>;=# /`, s[0]) >= 0 {
		return s[:1], 1, nil
	}
	return "", 0, errors.New(`malformed subject: "\" must escape a special character or two hex digits`)
}

// dnQuoted reads a double-quoted value (after the opening quote).
func dnQuoted(s, seps string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			r, n, err := dnEscape(s[i+1:])
			if err != nil {
				return "", "", err
			}
			b.WriteString(r)
			i += n
		case '"':
			rest := strings.TrimLeft(s[i+1:], " ")
			if rest == "" {
				return dnFinish(b.String(), 0, "", false)
			}
			if strings.IndexByte(seps, rest[0]) < 0 {
				return "", "", errors.New("malformed subject: text after a quoted value")
			}
			return dnFinish(b.String(), 0, rest[1:], true)
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", errors.New("malformed subject: unterminated quoted value")
}
