package config

import (
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// TestLoginSections: login_cache, identity and server.login_check_timeout have
// defaults, decode, and point at their line when wrong.
func TestLoginSections(t *testing.T) {
	c, err := Parse("cfg.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.LoginCache != mapping.DefaultLoginCache() || c.Identity.Type != "" || c.FTPS.Server.LoginCheckTimeout != 30*time.Second {
		t.Fatalf("defaults: %+v %+v %v", c.LoginCache, c.Identity, c.FTPS.Server.LoginCheckTimeout)
	}
	idp := "identity: {type: http, url: \"https://idp.internal/login\", cache_ttl: 1m, mode: provider_only}\n"
	c, err = Parse("cfg.yaml", []byte(base+"login_cache: {ttl: 1m, max_entries: 10}\n"+idp))
	if err != nil {
		t.Fatal(err)
	}
	if c.LoginCache.TTL != time.Minute || c.LoginCache.MaxEntries != 10 || c.Identity.Mode != mapping.IdentityProviderOnly ||
		c.Identity.Timeout != 5*time.Second {
		t.Fatalf("decoded: %+v %+v", c.LoginCache, c.Identity)
	}
	noUsers := strings.Split(base, "users:")[0]
	if _, err := Parse("cfg.yaml", []byte(noUsers+idp)); err != nil {
		t.Fatalf("provider without configured users: %v", err)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"cache ttl", base + "login_cache: {ttl: -1s}\n", "cfg.yaml:11:15: login_cache.ttl"},
		{"cache key", base + "login_cache: {size: 1}\n", `cfg.yaml:11:15: unknown key "size" in login_cache`},
		{"identity url", base + "identity: {type: http, url: \"http://idp.internal/\"}\n", "cfg.yaml:11:24: identity.url: must be https://"},
		{"identity mode", base + "identity: {type: http, url: \"https://idp/\", mode: both}\n", "cfg.yaml:11:45: identity.mode"},
		{"login timeout", strings.Replace(base, "{data_dir: ./d}", "{data_dir: ./d, login_check_timeout: 0s}", 1), "cfg.yaml:1:25: server.login_check_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cfg.yaml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
