package main

import (
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// TestUsersEditorRefusals: where users do not come from a users_file the
// console gets no editor, and a reason it shows.
func TestUsersEditorRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  config.Config
		path string
		want string
	}{
		{"inline users", config.Config{}, "config.yaml", "users: section"},
		{"identity provider only", config.Config{UsersFile: "u.yaml"}, "config.yaml", "identity provider"},
		{"embedded default", config.Config{UsersFile: "u.yaml"}, "", "embedded default"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "identity provider only" {
				c.cfg.Identity.Type, c.cfg.Identity.Mode = "http", mapping.IdentityProviderOnly
			}
			ed, why := usersEditor(c.path, &c.cfg, nil)
			if ed != nil || !strings.Contains(why, c.want) {
				t.Fatalf("editor %v, reason %q; want none and %q", ed, why, c.want)
			}
		})
	}
	if ed, why := usersEditor("config.yaml", &config.Config{UsersFile: "u.yaml"}, nil); ed == nil || why != "" {
		t.Fatalf("with a users_file: editor %v, reason %q", ed, why)
	}
}
