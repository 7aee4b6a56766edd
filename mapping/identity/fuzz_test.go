package identity

import (
	"slices"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// FuzzDecodeAnswer feeds hostile provider answers to the decoder and the
// validator: neither may panic, and an answer either fails or validates.
func FuzzDecodeAnswer(f *testing.F) {
	for _, seed := range []string{
		goodUser,
		`{"refuse": true}`,
		`{"user": {"mounts": [{"path": "/../x", "backend": "mem", "permissions": ["list"]}]}}`,
		`{"user": {"backend": "mem", "prefix": "a/../../b", "permissions": ["*"], "home": "/x"}}`,
		`{"user": {"backend": "mem", "upload_max_bytes": "9EiB", "expires_at": "2027-01-31"}}`,
		`{"user": {"backend": "mem", "allowed_ips": ["::1/200"], "max_sessions": -1}}`,
		`{"user": null}`, `[]`, `"x"`, `{"user": {"user": {}}}`, `{"user": {"mounts": 3}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		uc, err := decodeAnswer(body)
		if err != nil {
			if uc != nil {
				t.Fatal("an error with a user")
			}
			return
		}
		if mapping.ValidateProvided(*uc, "acme", []string{"mem"}) != nil {
			return
		}
		// Whatever validates stays inside its prefixes and has no
		// credentials of its own.
		prefixes := []string{uc.Prefix}
		paths := []string{uc.Home}
		for _, m := range uc.Mounts {
			prefixes, paths = append(prefixes, m.Prefix), append(paths, m.Path)
		}
		for _, s := range append(prefixes, paths...) {
			if slices.Contains(strings.Split(s, "/"), "..") {
				t.Fatalf("validated answer with %q", s)
			}
		}
		if uc.PasswordHash != "" || uc.Auth != "" || len(uc.CertFingerprints)+len(uc.CertSubjects) > 0 {
			t.Fatal("validated answer with credentials")
		}
	})
}
