package admin

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	good := Account{Name: "ops", PasswordHash: "$2a$10$abcdefghijklmnopqrstuuW6c1XY9bNa3cA6lCkqzXhXj3OTXvFgS", Role: RoleAdmin}
	cases := []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"off", Config{}, ""},
		{"on", Config{Address: "127.0.0.1:8443", Accounts: []Account{good}}, ""},
		{"accounts without address", Config{Accounts: []Account{good}}, "admin.address"},
		{"bad address", Config{Address: "8443", Accounts: []Account{good}}, "admin.address"},
		{"no accounts", Config{Address: "127.0.0.1:8443"}, "admin.accounts"},
		{"cert without key", Config{Address: "127.0.0.1:8443", CertFile: "c.pem", Accounts: []Account{good}}, "admin.cert_file"},
		{"bad role", Config{Address: "127.0.0.1:8443", Accounts: []Account{{Name: "x", PasswordHash: good.PasswordHash, Role: "root"}}}, "admin.accounts.0.role"},
		{"bad hash", Config{Address: "127.0.0.1:8443", Accounts: []Account{{Name: "x", PasswordHash: "plain", Role: RoleViewer}}}, "admin.accounts.0.password_hash"},
		{"duplicate", Config{Address: "127.0.0.1:8443", Accounts: []Account{good, good}}, "admin.accounts.1.name"},
		{"ttl too long", Config{Address: "127.0.0.1:8443", TokenTTL: 48 * time.Hour, Accounts: []Account{good}}, "admin.token_ttl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error naming %s", err, c.want)
			}
		})
	}
}
