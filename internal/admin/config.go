package admin

import (
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Roles an admin account may have.
const (
	RoleViewer = "viewer" // reads everything the console shows
	RoleAdmin  = "admin"  // and also ends sessions, bans, edits users
)

// Config is the admin section of config.yaml. The console is off unless
// Address is set.
type Config struct {
	// Address is host:port of the console's own HTTPS listener.
	Address string `yaml:"address"`
	// CertFile and KeyFile are its certificate; empty: the FTPS
	// server's own (renewed with it on SIGHUP).
	CertFile string    `yaml:"cert_file"`
	KeyFile  string    `yaml:"key_file"`
	Accounts []Account `yaml:"accounts"`
	// TokenTTL is how long a login lasts (default 15m).
	TokenTTL time.Duration `yaml:"token_ttl"`
}

// Account is one operator allowed into the console.
type Account struct {
	Name string `yaml:"name"`
	// PasswordHash is a bcrypt hash (ftpsbridge hash-password).
	PasswordHash string `yaml:"password_hash"`
	Role         string `yaml:"role"`
}

// DefaultTokenTTL applies when token_ttl is not set.
const DefaultTokenTTL = 15 * time.Minute

// WithDefaults fills in the unset keys.
func (c Config) WithDefaults() Config {
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	return c
}

// Validate checks the section, naming the key at fault.
func (c Config) Validate() error {
	if c.Address == "" {
		if len(c.Accounts) > 0 {
			return fielderr.New("admin.address", "accounts are set but address is empty: the console is off")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fielderr.New("admin.address", "want host:port, got %q", c.Address)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fielderr.New("admin.cert_file", "cert_file and key_file go together")
	}
	if c.TokenTTL < 0 || c.TokenTTL > 24*time.Hour {
		return fielderr.New("admin.token_ttl", "want between 1s and 24h, got %s", c.TokenTTL)
	}
	if len(c.Accounts) == 0 {
		return fielderr.New("admin.accounts", "at least one account is needed when admin.address is set")
	}
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		key := "admin.accounts." + itoa(i)
		switch {
		case a.Name == "" || len(a.Name) > 64 || strings.ContainsAny(a.Name, " \t\r\n"):
			return fielderr.New(key+".name", "want a name of 1 to 64 characters without spaces")
		case seen[a.Name]:
			return fielderr.New(key+".name", "duplicate account %q", a.Name)
		case a.Role != RoleViewer && a.Role != RoleAdmin:
			return fielderr.New(key+".role", "want viewer or admin, got %q", a.Role)
		}
		if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
			return fielderr.New(key+".password_hash", "want a bcrypt hash (ftpsbridge hash-password)")
		}
		seen[a.Name] = true
	}
	return nil
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
