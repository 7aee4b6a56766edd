// Package identity asks an external identity provider over HTTPS who a
// user is: the server POSTs the login (user, password or client
// certificate, client address, listener) and the provider answers with
// the user's definition in the vocabulary of a users: entry, or refuses.
// It never logs a password or a provider's answer, and it fails closed:
// anything but a well-formed answer refuses the login.
package identity

import (
	"net/url"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// Config is the identity section of config.yaml.
type Config struct {
	// Type is "http", or empty for no provider.
	Type string `yaml:"type"`
	// URL is the https:// endpoint logins are POSTed to.
	URL string `yaml:"url"`
	// Timeout bounds one request, connection included.
	Timeout time.Duration `yaml:"timeout"`
	// CAFile holds the CA certificates that sign the provider's
	// certificate (PEM); empty: the system roots.
	CAFile string `yaml:"ca_file"`
	// ClientCert and ClientKey, if set, are presented to the provider.
	ClientCert string `yaml:"client_cert"`
	ClientKey  string `yaml:"client_key"`
	// CacheTTL is how long an answer is reused for the same user,
	// password, certificate and address; 0: ask at every login.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// CacheMaxEntries bounds the answers remembered.
	CacheMaxEntries int `yaml:"cache_max_entries"`
	// Mode is file_first (configured users first, the provider for the
	// rest) or provider_only.
	Mode string `yaml:"mode"`
}

// Defaults for keys the identity section omits.
func Default() Config {
	return Config{Timeout: 5 * time.Second, CacheTTL: 5 * time.Minute, CacheMaxEntries: 100000,
		Mode: mapping.IdentityFileFirst}
}

// MaxResponseBytes bounds a provider's answer; a longer one fails the
// login.
const MaxResponseBytes = 1 << 20

// Validate checks the section; fields are named under identity.
func (c Config) Validate() error {
	switch c.Type {
	case "":
		return nil
	case "http":
	default:
		return fielderr.New("identity.type", "want http (or leave it out), got %q", c.Type)
	}
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		return fielderr.New("identity.url", "required with type: http")
	case err != nil || u.Host == "":
		return fielderr.New("identity.url", "want an https:// URL, got %q", c.URL)
	case u.Scheme != "https":
		return fielderr.New("identity.url", "must be https:// (passwords are sent to it), got %q", u.Scheme+"://")
	case u.User != nil:
		return fielderr.New("identity.url", "must not carry credentials; use client_cert")
	case c.Timeout <= 0 || c.Timeout > time.Minute:
		return fielderr.New("identity.timeout", "want more than 0 and at most 1m, got %v", c.Timeout)
	case (c.ClientCert == "") != (c.ClientKey == ""):
		return fielderr.New("identity.client_cert", "client_cert and client_key must be set together")
	case c.CacheTTL < 0 || c.CacheTTL > 24*time.Hour:
		return fielderr.New("identity.cache_ttl", "want 0 (off) to 24h, got %v", c.CacheTTL)
	case c.CacheTTL > 0 && (c.CacheMaxEntries < 1 || c.CacheMaxEntries > 10_000_000):
		return fielderr.New("identity.cache_max_entries", "want 1 to 10000000, got %d", c.CacheMaxEntries)
	}
	switch c.Mode {
	case mapping.IdentityFileFirst, mapping.IdentityProviderOnly:
	default:
		return fielderr.New("identity.mode", "want file_first or provider_only, got %q", c.Mode)
	}
	return nil
}
