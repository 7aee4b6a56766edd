package main

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// bigUsersFile writes n users, five lines each, to path; bad maps a user
// index to the line that replaces its permissions line. User i starts on
// line 5*i+1.
func bigUsersFile(t *testing.T, path string, n int, bad map[int]string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range n {
		last := "  permissions: [list, download, upload]"
		if line, ok := bad[i]; ok {
			last = line
		}
		fmt.Fprintf(&b, "- name: partner%05d\n  password_hash: %q\n  backend: disk\n  prefix: partners/%05d/\n%s\n", i, hash, i, last)
	}
	writeFile(t, path, b.String())
}

// TestCheckConfigTenThousandUsers: check-config on a users_file of
// 10,000 partners reports every bad entry with its file and line, not
// only the first.
func TestCheckConfigTenThousandUsers(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "partners.yaml")
	bigUsersFile(t, usersFile, 10000, map[int]string{
		17:   "  permissions: [list, root]",
		4000: "  permissions: [list]\n  max_sessions: -1",
		7321: "  permissions: [list]\n  allowed_ips: [not-an-address]",
		9999: "  permissions: [list]\n  home: /elsewhere/../../x",
	})
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, fmt.Sprintf(`listeners: [{address: 127.0.0.1:2121, tls: explicit}]
backends: [{name: disk, type: local, root: %s/files}]
users_file: %s
`, dir, usersFile))
	out, err := exec.Command(bin, "check-config", "--config", cfg).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	// Entries before 4000, 7321 and 9999 have no extra line; each bad one
	// after the first adds one.
	for _, want := range []string{
		fmt.Sprintf("partners.yaml:%d:23: users.17.permissions.1: unknown permission", 5*17+5),
		fmt.Sprintf("partners.yaml:%d:3: users.4000.max_sessions:", 5*4000+6),
		fmt.Sprintf("partners.yaml:%d:17: users.7321.allowed_ips.0:", 5*7321+1+6),
		fmt.Sprintf("partners.yaml:%d:3: users.9999.home:", 5*9999+2+6),
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}
}
