package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const weakHash = "$2a$04$uW6c7bEzKBxYwN.q8hHx1eQwQjHFj5fP7xkV0bO0rYhJ5q6u2Xl3W"

// write puts text in dir/name and returns the path.
func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsersFile(t *testing.T) {
	dir := t.TempDir()
	list := write(t, dir, "users.yaml", `# partners
- name: acme
  password_hash: "$2a$12$RNtT.Eg54.CNycCu7ovmb.wrj.9wGjsLQmOntMc7R6zYEl9SpEWrK"
  mounts:
    - {path: /inbound, backend: disk, prefix: acme/in, permissions: [upload]}
    - {path: /outbound, backend: disk, prefix: acme/out, permissions: [list, download]}
`)
	mapped := write(t, dir, "mapped.yaml", "users:\n  "+strings.ReplaceAll(
		strings.TrimPrefix(mustRead(t, list), "# partners\n"), "\n", "\n  "))
	for _, f := range []string{list, mapped} {
		c, err := Parse("cfg.yaml", []byte(base+"users_file: "+f+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(c.Users) != 2 || c.Users[0].Name != "u" || c.Users[1].Name != "acme" || len(c.Users[1].Mounts) != 2 {
			t.Fatalf("%s: users = %+v", f, c.Users)
		}
		if c.UsersFile != f {
			t.Errorf("UsersFile = %q", c.UsersFile)
		}
	}
	// Only a users_file, and an empty one, is a valid (if idle) server.
	empty := write(t, dir, "empty.yaml", "# nobody yet\n")
	noUsers := strings.Split(base, "users:")[0]
	for _, f := range []string{empty, write(t, dir, "emptylist.yaml", "[]\n"), write(t, dir, "emptymap.yaml", "users: []\n")} {
		c, err := Parse("cfg.yaml", []byte(noUsers+"users_file: "+f+"\n"))
		if err != nil || len(c.Users) != 0 {
			t.Fatalf("%s: %v, %d users", f, err, len(c.Users))
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUsersFileErrors checks that problems in a users_file point at that
// file and its own line and index.
func TestUsersFileErrors(t *testing.T) {
	dir := t.TempDir()
	good := `- name: acme
  password_hash: "$2a$12$RNtT.Eg54.CNycCu7ovmb.wrj.9wGjsLQmOntMc7R6zYEl9SpEWrK"
  backend: disk
  permissions: [list]
`
	tests := []struct {
		name, users, want string
	}{
		{"unknown key", good + "  colour: red\n", "users.yaml:5:3: unknown key \"colour\" in users.0"},
		{"bad prefix", strings.Replace(good, "backend: disk", "backend: disk\n  prefix: ../x", 1), "users.yaml:4:3: users.0.prefix"},
		{"second user", good + strings.Replace(good, "acme", "beta", 1) + "  home: nowhere\n",
			"users.yaml:9:3: users.1.home"},
		{"duplicate of a config user", strings.Replace(good, "acme", "u", 1), "users.yaml:1:3: users.0.name: duplicate user name \"u\""},
		{"not a list", "name: acme\n", "users.yaml:1:1: unknown key \"name\""},
		{"scalar", "acme\n", "users.yaml:1: want a list of users"},
		{"not yaml", "- [", "users.yaml"},
		{"unset env", strings.Replace(good, "disk", "${FTPSBRIDGE_TEST_UNSET}", 1), "users.yaml:3:12: environment variable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := write(t, dir, "users.yaml", tc.users)
			_, err := Parse("cfg.yaml", []byte(base+"users_file: "+f+"\n"))
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tc.want)) && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), f) {
				t.Fatalf("error %v does not name the users file", err)
			}
		})
	}
	_, err := Parse("cfg.yaml", []byte(base+"users_file: "+filepath.Join(dir, "missing.yaml")+"\n"))
	if err == nil || !strings.Contains(err.Error(), "cfg.yaml:11:1: users_file: stat") {
		t.Fatalf("missing users_file: %v", err)
	}
	_, err = Parse("cfg.yaml", []byte(base+"users_file: /dev/zero\n"))
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("users_file /dev/zero: %v", err)
	}
}

// TestCheckConfigReports covers what check-config must report with
// file:line, several at once.
func TestCheckConfigReports(t *testing.T) {
	dir := t.TempDir()
	ca := write(t, dir, "ca.pem", "not a certificate\n")
	text := `server: {data_dir: ./d}
listeners: [{address: 127.0.0.1:2121, tls: explicit}]
tls:
  client_ca_file: ` + ca + `
backends:
  - {name: disk, type: local, root: ./files}
users:
  - name: acme
    password_hash: "` + weakHash + `"
    mounts:
      - {path: /inbound, backend: s3, prefix: acme/in, permissions: [upload]}
      - {path: /inbound/sub, backend: disk, prefix: acme/x, permissions: [list]}
  - name: machine
    auth: certificate
    cert_fingerprints: ["ab:cd"]
    backend: disk
    permissions: [list]
`
	_, err := Parse("cfg.yaml", []byte(text))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"cfg.yaml:4:3: tls.client_ca_file: " + ca + " holds no PEM certificate",
		"cfg.yaml:9:5: users.0.password_hash: bcrypt cost 4 is too weak",
		"cfg.yaml:11:26: users.0.mounts.0.backend: unknown backend \"s3\"",
		"cfg.yaml:12:10: users.0.mounts.1.path: mount path \"/inbound/sub\" overlaps mounts.0.path",
		"cfg.yaml:15:25: users.1.cert_fingerprints.0",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q:\n%v", want, err)
		}
	}
	// An unreadable CA file.
	_, err = Parse("cfg.yaml", []byte(strings.Replace(text, ca, filepath.Join(dir, "missing.pem"), 1)))
	if err == nil || !strings.Contains(err.Error(), "cfg.yaml:4:3: tls.client_ca_file: stat") {
		t.Errorf("missing CA file: %v", err)
	}
	// Certificate users need a CA to be asked for certificates.
	noCA := strings.Replace(text, "tls:\n  client_ca_file: "+ca+"\n", "", 1)
	_, err = Parse("cfg.yaml", []byte(noCA))
	if err == nil || !strings.Contains(err.Error(), "cfg.yaml:12:5: users.1.auth: auth: certificate needs tls.client_ca_file") {
		t.Errorf("certificate user without CA: %v", err)
	}
}

func TestTLSFilesChecked(t *testing.T) {
	dir := t.TempDir()
	cert := write(t, dir, "cert.pem", "garbage")
	text := strings.Replace(base, "server: {data_dir: ./d}", "server: {data_dir: ./d}\ntls: {cert_file: "+cert+", key_file: "+cert+"}", 1)
	if _, err := Parse("cfg.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), "cfg.yaml:2:7: tls.cert_file") {
		t.Fatalf("bad cert_file: %v", err)
	}
}

func TestLoginFailuresKeys(t *testing.T) {
	c, err := Parse("cfg.yaml", []byte(strings.Replace(base, "server: {data_dir: ./d}",
		"server: {data_dir: ./d, login_failures: {max: 10}}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	lf := c.FTPS.Server.LoginFailures
	if lf.Max != 10 || lf.Window != 5*time.Minute || lf.Ban != 15*time.Minute {
		t.Fatalf("login_failures = %+v; unset keys keep their defaults", lf)
	}
	_, err = Parse("cfg.yaml", []byte(strings.Replace(base, "server: {data_dir: ./d}",
		"server: {login_failures: {max: 3, window: 0s}}", 1)))
	if err == nil || !strings.Contains(err.Error(), "cfg.yaml:1:35: server.login_failures.window") {
		t.Fatalf("zero window: %v", err)
	}
	_, err = Parse("cfg.yaml", []byte(strings.Replace(base, "server: {data_dir: ./d}",
		"server: {login_failures: {max: 3, bann: 1m}}", 1)))
	if err == nil || !strings.Contains(err.Error(), "unknown key \"bann\" in server.login_failures") {
		t.Fatalf("misspelt key: %v", err)
	}
}
