package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// mountUser is a valid user with two mounts and no shorthand keys.
func mountUser(t *testing.T) UserConfig {
	return UserConfig{
		Name:         "acme",
		PasswordHash: testBcrypt(t, "pw"),
		Mounts: []MountConfig{
			{Path: "/inbound", Backend: "mem", Bucket: "drop", Prefix: "acme/", Permissions: []string{"upload"}},
			{Path: "/outbound", Backend: "s3", Bucket: "reports", Prefix: "acme/", Permissions: []string{"list", "download"}},
		},
	}
}

const testFingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

func TestValidateUserKeys(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(u *UserConfig)
		wantField string // "" means valid
	}{
		{"valid", func(u *UserConfig) {}, ""},
		{"home in a mount", func(u *UserConfig) { u.Home = "/inbound/today" }, ""},
		{"home above mounts", func(u *UserConfig) { u.Home = "/" }, ""},
		{"home outside mounts", func(u *UserConfig) { u.Home = "/elsewhere" }, "users.0.home"},
		{"mount with shorthand backend", func(u *UserConfig) { u.Backend = "mem" }, "users.0.backend"},
		{"mount with shorthand permissions", func(u *UserConfig) { u.Permissions = []string{"list"} }, "users.0.permissions"},
		{"mount unknown backend", func(u *UserConfig) { u.Mounts[1].Backend = "gcs" }, "users.0.mounts.1.backend"},
		{"mount relative path", func(u *UserConfig) { u.Mounts[1].Path = "outbound" }, "users.0.mounts.1.path"},
		{"mount path dotdot", func(u *UserConfig) { u.Mounts[1].Path = "/a/../outbound" }, "users.0.mounts.1.path"},
		{"mount bad prefix", func(u *UserConfig) { u.Mounts[0].Prefix = "../x" }, "users.0.mounts.0.prefix"},
		{"mount no permissions", func(u *UserConfig) { u.Mounts[0].Permissions = nil }, "users.0.mounts.0.permissions"},
		{"mount bad permission", func(u *UserConfig) { u.Mounts[0].Permissions = []string{"write"} }, "users.0.mounts.0.permissions.0"},
		{"same mount path", func(u *UserConfig) { u.Mounts[1].Path = "/inbound/" }, "users.0.mounts.1.path"},
		{"nested mount path", func(u *UserConfig) { u.Mounts[1].Path = "/inbound/sub" }, "users.0.mounts.1.path"},
		{"root mount beside another", func(u *UserConfig) { u.Mounts[1].Path = "/" }, "users.0.mounts.1.path"},
		{"same storage", func(u *UserConfig) { u.Mounts[1].Backend, u.Mounts[1].Bucket = "mem", "drop" }, "users.0.mounts.1.prefix"},
		{"nested storage", func(u *UserConfig) {
			u.Mounts[1].Backend, u.Mounts[1].Bucket, u.Mounts[1].Prefix = "mem", "drop", "acme/out"
		}, "users.0.mounts.1.prefix"},
		{"whole bucket and a prefix", func(u *UserConfig) {
			u.Mounts[1].Backend, u.Mounts[1].Bucket, u.Mounts[1].Prefix = "mem", "drop", ""
		}, "users.0.mounts.1.prefix"},
		{"sibling prefixes in one bucket", func(u *UserConfig) {
			u.Mounts[0].Prefix = "acme/in"
			u.Mounts[1].Backend, u.Mounts[1].Bucket, u.Mounts[1].Prefix = "mem", "drop", "acme/out"
		}, ""},
		{"prefix sharing a name start", func(u *UserConfig) {
			u.Mounts[1].Backend, u.Mounts[1].Bucket, u.Mounts[1].Prefix = "mem", "drop", "acme2"
		}, ""},

		{"unknown auth", func(u *UserConfig) { u.Auth = "cert" }, "users.0.auth"},
		{"certificate with fingerprint", func(u *UserConfig) {
			u.Auth, u.PasswordHash, u.CertFingerprints = "certificate", "", []string{testFingerprint}
		}, ""},
		{"certificate with a password hash", func(u *UserConfig) {
			u.Auth, u.CertFingerprints = "certificate", []string{testFingerprint}
		}, "users.0.password_hash"},
		{"certificate without binding", func(u *UserConfig) { u.Auth, u.PasswordHash = "certificate", "" }, "users.0.auth"},
		{"certificate+password without binding", func(u *UserConfig) { u.Auth = "certificate+password" }, "users.0.auth"},
		{"certificate+password without hash", func(u *UserConfig) {
			u.Auth, u.PasswordHash, u.CertSubjects = "certificate+password", "", []string{"CN=x"}
		}, "users.0.password_hash"},
		{"fingerprint lower case no colons", func(u *UserConfig) {
			u.CertFingerprints = []string{strings.ToLower(strings.ReplaceAll(testFingerprint, ":", ""))}
		}, ""},
		{"fingerprint too short", func(u *UserConfig) { u.CertFingerprints = []string{"AB:CD"} }, "users.0.cert_fingerprints.0"},
		{"fingerprint not hex", func(u *UserConfig) {
			u.CertFingerprints = []string{strings.Replace(testFingerprint, "AB", "XY", 1)}
		}, "users.0.cert_fingerprints.0"},
		{"subjects", func(u *UserConfig) {
			u.CertSubjects = []string{"CN=acme-batch,O=Acme", "/C=DE/O=Acme/CN=x", "DNS:batch.acme.example",
				"email:ops@acme.example", "URI:spiffe://acme/batch", `CN=a\,b + OU="x, y"`}
		}, ""},
		{"subject without =", func(u *UserConfig) { u.CertSubjects = []string{"CN=a,Acme"} }, "users.0.cert_subjects.0"},
		{"subject unknown attribute", func(u *UserConfig) { u.CertSubjects = []string{"XX=a"} }, "users.0.cert_subjects.0"},
		{"subject trailing comma", func(u *UserConfig) { u.CertSubjects = []string{"CN=a,"} }, "users.0.cert_subjects.0"},
		{"subject empty value", func(u *UserConfig) { u.CertSubjects = []string{"CN=,O=x"} }, "users.0.cert_subjects.0"},
		{"empty DNS name", func(u *UserConfig) { u.CertSubjects = []string{"DNS:"} }, "users.0.cert_subjects.0"},

		{"expires date", func(u *UserConfig) { u.ExpiresAt = "2027-01-31" }, ""},
		{"expires time", func(u *UserConfig) { u.ExpiresAt = "2027-01-31T18:00:00+01:00" }, ""},
		{"expires malformed", func(u *UserConfig) { u.ExpiresAt = "31/01/2027" }, "users.0.expires_at"},
		{"allowed ips", func(u *UserConfig) { u.AllowedIPs = []string{"192.0.2.0/24", "2001:db8::/32", "198.51.100.7", "::1"} }, ""},
		{"allowed ip host bits", func(u *UserConfig) { u.AllowedIPs = []string{"10.1.2.3/8"} }, "users.0.allowed_ips.0"},
		{"allowed ip malformed", func(u *UserConfig) { u.AllowedIPs = []string{"any", "10.0.0.0/8"} }, "users.0.allowed_ips.0"},
		{"allowed ip mapped", func(u *UserConfig) { u.AllowedIPs = []string{"::ffff:10.0.0.0/104"} }, "users.0.allowed_ips.0"},
		{"negative max_sessions", func(u *UserConfig) { u.MaxSessions = -1 }, "users.0.max_sessions"},
		{"negative upload_max_bytes", func(u *UserConfig) { u.UploadMaxBytes = -1 }, "users.0.upload_max_bytes"},
		{"patterns", func(u *UserConfig) {
			u.AllowedPatterns, u.DeniedPatterns = []string{"*.csv", "*.[xX][mM][lL]"}, []string{"*.exe", ".*"}
		}, ""},
		{"pattern with slash", func(u *UserConfig) { u.AllowedPatterns = []string{"in/*.csv"} }, "users.0.allowed_patterns.0"},
		{"bad pattern", func(u *UserConfig) { u.DeniedPatterns = []string{"*.csv", "[a-"} }, "users.0.denied_patterns.1"},
		{"empty pattern", func(u *UserConfig) { u.DeniedPatterns = []string{""} }, "users.0.denied_patterns.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := mountUser(t)
			tc.edit(&u)
			err := ValidateUsers([]UserConfig{u}, []string{"mem", "s3"})
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("ValidateUsers: %v", err)
				}
				return
			}
			var fe *fielderr.Error
			if !errors.As(err, &fe) || fe.Field != tc.wantField {
				t.Fatalf("ValidateUsers = %v; want a fielderr for %s", err, tc.wantField)
			}
		})
	}
}

func TestNeedsCertificate(t *testing.T) {
	for auth, want := range map[string]bool{"": false, "password": false, "certificate": true,
		"certificate+password": true, "bogus": false} {
		if got := (UserConfig{Auth: auth}).NeedsCertificate(); got != want {
			t.Errorf("auth %q: NeedsCertificate = %v", auth, got)
		}
	}
}
