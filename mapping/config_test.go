package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

func validUser(t *testing.T) UserConfig {
	return UserConfig{
		Name:         "alice",
		PasswordHash: testBcrypt(t, "pw"),
		Backend:      "mem",
		Bucket:       "data",
		Prefix:       "alice/",
		Permissions:  []string{"list", "download"},
	}
}

func TestValidateUsers(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(u *UserConfig)
		wantField string // "" means valid
	}{
		{"valid", func(u *UserConfig) {}, ""},
		{"all permissions", func(u *UserConfig) { u.Permissions = []string{"*"} }, ""},
		{"every permission", func(u *UserConfig) {
			u.Permissions = []string{"list", "download", "upload", "overwrite", "delete", "rename", "mkdir"}
		}, ""},
		{"prefix no slash", func(u *UserConfig) { u.Prefix = "alice" }, ""},
		{"prefix both slashes", func(u *UserConfig) { u.Prefix = "/alice/" }, ""},
		{"empty prefix", func(u *UserConfig) { u.Prefix = "" }, ""},
		{"home", func(u *UserConfig) { u.Home = "/in/" }, ""},
		{"disabled", func(u *UserConfig) { u.Disabled = true }, ""},
		{"no name", func(u *UserConfig) { u.Name = "" }, "users.0.name"},
		{"name with space", func(u *UserConfig) { u.Name = "al ice" }, "users.0.name"},
		{"name with nbsp", func(u *UserConfig) { u.Name = "al\u00a0ice" }, "users.0.name"},
		{"name with control", func(u *UserConfig) { u.Name = "al\x01ice" }, "users.0.name"},
		{"no hash", func(u *UserConfig) { u.PasswordHash = "" }, "users.0.password_hash"},
		{"bad hash", func(u *UserConfig) { u.PasswordHash = "plain" }, "users.0.password_hash"},
		{"unknown backend", func(u *UserConfig) { u.Backend = "s4" }, "users.0.backend"},
		{"prefix dotdot", func(u *UserConfig) { u.Prefix = "a/../b" }, "users.0.prefix"},
		{"prefix dot", func(u *UserConfig) { u.Prefix = "./a" }, "users.0.prefix"},
		{"prefix empty element", func(u *UserConfig) { u.Prefix = "a//b" }, "users.0.prefix"},
		{"prefix backslash", func(u *UserConfig) { u.Prefix = `a\b` }, "users.0.prefix"},
		{"prefix nul", func(u *UserConfig) { u.Prefix = "a\x00" }, "users.0.prefix"},
		{"no permissions", func(u *UserConfig) { u.Permissions = nil }, "users.0.permissions"},
		{"unknown permission", func(u *UserConfig) { u.Permissions = []string{"list", "write"} }, "users.0.permissions.1"},
		{"permission case", func(u *UserConfig) { u.Permissions = []string{"LIST"} }, "users.0.permissions.0"},
		{"relative home", func(u *UserConfig) { u.Home = "in" }, "users.0.home"},
		{"home dotdot", func(u *UserConfig) { u.Home = "/../x" }, "users.0.home"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := validUser(t)
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

func TestValidateUsersDuplicateAndAll(t *testing.T) {
	a, b, c := validUser(t), validUser(t), validUser(t)
	c.Name = "carol"
	c.Prefix = ".."
	err := ValidateUsers([]UserConfig{a, c, b}, []string{"mem"})
	if err == nil {
		t.Fatal("duplicate name accepted")
	}
	// Every problem is reported, each under its own key.
	for _, want := range []string{"users.2.name: duplicate user name \"alice\" (also users.0)", "users.1.prefix"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestParsePerm(t *testing.T) {
	p, err := ParsePerm([]string{"list", "mkdir"})
	if err != nil || p != PermList|PermMkdir {
		t.Fatalf("ParsePerm = %v, %v", p, err)
	}
	if p.String() != "list,mkdir" {
		t.Errorf("String = %q", p.String())
	}
	if p, _ := ParsePerm([]string{"*"}); p != PermAll || !p.Has(PermRename|PermOverwrite) {
		t.Errorf("* = %v", p)
	}
	if _, err := ParsePerm([]string{"all"}); err == nil {
		t.Error("unknown permission accepted")
	}
}
