package mapping

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

func loginFrom(u *Users, name, password, ip string) (ftps.FileSystem, error) {
	return u.Login(context.Background(), ftps.LoginInfo{User: name, Password: password,
		RemoteAddr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}})
}

func TestAccountRestrictions(t *testing.T) {
	now := time.Date(2027, 1, 30, 12, 0, 0, 0, time.UTC)
	base := UserConfig{Name: "acme", PasswordHash: testBcrypt(t, "pw"), Backend: "mem", Prefix: "acme",
		Permissions: []string{"*"}}
	tests := []struct {
		name string
		edit func(*UserConfig)
		ip   string
		ok   bool
	}{
		{"plain", func(*UserConfig) {}, "192.0.2.7", true},
		{"expires tomorrow", func(u *UserConfig) { u.ExpiresAt = "2027-01-31" }, "192.0.2.7", true},
		{"expired today", func(u *UserConfig) { u.ExpiresAt = "2027-01-30" }, "192.0.2.7", false},
		{"expired an hour ago", func(u *UserConfig) { u.ExpiresAt = "2027-01-30T12:00:00+01:00" }, "192.0.2.7", false},
		{"in allowed range", func(u *UserConfig) { u.AllowedIPs = []string{"192.0.2.0/24"} }, "192.0.2.7", true},
		{"mapped address in range", func(u *UserConfig) { u.AllowedIPs = []string{"192.0.2.0/24"} }, "::ffff:192.0.2.7", true},
		{"outside allowed range", func(u *UserConfig) { u.AllowedIPs = []string{"198.51.100.0/24"} }, "192.0.2.7", false},
		{"single address", func(u *UserConfig) { u.AllowedIPs = []string{"2001:db8::1"} }, "2001:db8::1", true},
		{"other address", func(u *UserConfig) { u.AllowedIPs = []string{"2001:db8::1"} }, "2001:db8::2", false},
		{"disabled", func(u *UserConfig) { u.Disabled = true }, "192.0.2.7", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			uc := base
			tc.edit(&uc)
			u := testUsers(t, newTestBackend(), uc)
			u.now = func() time.Time { return now }
			fs, err := loginFrom(u, "acme", "pw", tc.ip)
			if tc.ok != (err == nil) {
				t.Fatalf("Login = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errLoginFailed) {
				t.Fatalf("Login error %v is not the common login failure", err)
			}
			if err == nil && fs.(*Session).Authorized() != nil {
				t.Fatal("a fresh session is not authorized")
			}
		})
	}
}

func TestMaxSessions(t *testing.T) {
	u := testUsers(t, newTestBackend(), UserConfig{Name: "acme", PasswordHash: testBcrypt(t, "pw"),
		Backend: "mem", Permissions: []string{"*"}, MaxSessions: 2})
	a, err := login(u, "acme", "pw")
	if err != nil {
		t.Fatal(err)
	}
	b, err := login(u, "acme", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := login(u, "acme", "pw"); !errors.Is(err, ftps.ErrSessionLimit) {
		t.Fatalf("third session: %v, want ErrSessionLimit", err)
	}
	// A wrong password is a failed login, not a session limit.
	if _, err := login(u, "acme", "nope"); !errors.Is(err, errLoginFailed) {
		t.Fatalf("wrong password at the limit: %v", err)
	}
	a.(*Session).Close()
	a.(*Session).Close() // twice is harmless
	c, err := login(u, "acme", "pw")
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	if _, err := login(u, "acme", "pw"); !errors.Is(err, ftps.ErrSessionLimit) {
		t.Fatalf("limit not restored: %v", err)
	}
	b.(*Session).Close()
	c.(*Session).Close()
	if len(u.active) != 0 {
		t.Fatalf("active = %v after every session closed", u.active)
	}
}

// TestRevocation reloads the user list under open sessions: those whose
// login no longer stands are told so, the others keep their mounts.
func TestRevocation(t *testing.T) {
	be := newTestBackend()
	stores := map[string]backends.Backend{"mem": be}
	mk := func(name string) UserConfig {
		return UserConfig{Name: name, PasswordHash: testBcrypt(t, name+"-pw"), Backend: "mem", Prefix: name,
			Permissions: []string{"*"}}
	}
	stay, remove, disable, repass, expire, move, remap := mk("stay"), mk("remove"), mk("disable"),
		mk("repass"), mk("expire"), mk("move"), mk("remap")
	move.AllowedIPs = []string{"192.0.2.0/24"}
	u := testUsers(t, be, stay, remove, disable, repass, expire, move, remap)
	sessions := map[string]*Session{}
	for _, name := range []string{"stay", "remove", "disable", "repass", "expire", "move", "remap"} {
		fs, err := loginFrom(u, name, name+"-pw", "192.0.2.9")
		if err != nil {
			t.Fatal(err)
		}
		sessions[name] = fs.(*Session)
	}
	disable.Disabled = true
	repass.PasswordHash = testBcrypt(t, "new-pw")
	expire.ExpiresAt = "2000-01-01"
	move.AllowedIPs = []string{"198.51.100.0/24"}
	remap.Prefix = "elsewhere"
	if err := u.Replace([]UserConfig{stay, disable, repass, expire, move, remap}, stores); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"stay": "", "remap": "", "remove": "user removed", "disable": "account disabled",
		"repass": "credentials changed", "expire": "account expired", "move": "not in allowed_ips",
	} {
		err := sessions[name].Authorized()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: Authorized = %v", name, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, backends.ErrPermission)):
			t.Errorf("%s: Authorized = %v, want %q", name, err, want)
		}
	}
	// The remapped user's open session keeps its mounts; a new login
	// sees the new ones.
	if err := upload(sessions["remap"], "/f", 0, "old"); err != nil {
		t.Fatal(err)
	}
	fresh, err := login(u, "remap", "remap-pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := upload(fresh, "/f", 0, "new"); err != nil {
		t.Fatal(err)
	}
	root := testBucket(t, be, "")
	if a, _ := get(t, root, "remap/f"); a != "old" {
		t.Errorf("open session wrote %q to remap/f", a)
	}
	if b, _ := get(t, root, "elsewhere/f"); b != "new" {
		t.Errorf("new session wrote %q to elsewhere/f", b)
	}
}

func TestCertificateRevocation(t *testing.T) {
	be := newTestBackend()
	mine := testCert(t, pkix.Name{CommonName: "mine"}, nil)
	other := testCert(t, pkix.Name{CommonName: "other"}, nil)
	uc := UserConfig{Name: "m", Auth: "certificate", CertFingerprints: []string{FingerprintOf(mine)},
		Backend: "mem", Permissions: []string{"*"}}
	u := testUsers(t, be, uc)
	fs, err := u.Login(context.Background(), ftps.LoginInfo{User: "m", PeerCertificates: []*x509.Certificate{mine}})
	if err != nil {
		t.Fatal(err)
	}
	// Another certificate bound as well: the session stands.
	uc.CertFingerprints = append(uc.CertFingerprints, FingerprintOf(other))
	if err := u.Replace([]UserConfig{uc}, map[string]backends.Backend{"mem": be}); err != nil {
		t.Fatal(err)
	}
	if err := fs.(*Session).Authorized(); err != nil {
		t.Fatalf("after binding another certificate: %v", err)
	}
	// Its own certificate unbound: it ends.
	uc.CertFingerprints = uc.CertFingerprints[1:]
	if err := u.Replace([]UserConfig{uc}, map[string]backends.Backend{"mem": be}); err != nil {
		t.Fatal(err)
	}
	if err := fs.(*Session).Authorized(); err == nil || !strings.Contains(err.Error(), "no longer bound") {
		t.Fatalf("after unbinding its certificate: %v", err)
	}
}
