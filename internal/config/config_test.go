package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge"
	"github.com/ftpsbridge/ftpsbridge/backends/local"
)

func TestEmbeddedDefaultIsValid(t *testing.T) {
	c, err := Parse("config.yaml", ftpsbridge.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.FTPS.Server.IdleTimeout; got != 5*time.Minute {
		t.Errorf("idle_timeout = %v", got)
	}
	if len(c.FTPS.Listeners) != 2 || c.FTPS.Listeners[1].TLS != "implicit" {
		t.Errorf("listeners = %+v", c.FTPS.Listeners)
	}
	if lc, ok := c.Backends[0].Driver.(*local.Config); !ok || lc.Root != "./data/files" {
		t.Errorf("backend = %+v", c.Backends[0])
	}
	if c.Users[0].Name != "demo" || c.Users[0].Prefix != "demo/" {
		t.Errorf("users = %+v", c.Users)
	}
}

const base = `server: {data_dir: ./d}
listeners: [{address: 127.0.0.1:2121, tls: explicit}]
backends:
  - {name: disk, type: local, root: ./files}
users:
  - name: u
    password_hash: "$2a$12$RNtT.Eg54.CNycCu7ovmb.wrj.9wGjsLQmOntMc7R6zYEl9SpEWrK"
    backend: disk
    prefix: u/
    permissions: [list]
`

func TestErrorsPointAtTheLine(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown top-level key", base + "extra: 1\n", "cfg.yaml:11:1: unknown key \"extra\""},
		{"unknown server key", strings.Replace(base, "data_dir", "dta_dir", 1), "cfg.yaml:1:10: unknown key \"dta_dir\" in server"},
		{"unknown backend key", strings.Replace(base, "root:", "rot:", 1), "cfg.yaml:4:31: unknown key \"rot\" in backends.0"},
		{"unknown backend type", strings.Replace(base, "type: local", "type: ftp", 1), "cfg.yaml:4:24: backends.0: unknown backend type \"ftp\""},
		{"bad tls mode", strings.Replace(base, "tls: explicit", "tls: maybe", 1), "cfg.yaml:2:39: listeners.0.tls"},
		{"unknown backend in user", strings.Replace(base, "backend: disk", "backend: nope", 1), "cfg.yaml:8:5: users.0.backend"},
		{"unset env", strings.Replace(base, "./files", `"${FTPSBRIDGE_TEST_UNSET}"`, 1), "cfg.yaml:4:37: environment variable FTPSBRIDGE_TEST_UNSET is not set"},
		{"bad duration", strings.Replace(base, "{data_dir: ./d}", "{idle_timeout: soon}", 1), "cfg.yaml"},
		{"duplicate backend", strings.Replace(base, "backends:\n", "backends:\n  - {name: disk, type: memory}\n", 1), "backends.1.name: duplicate"},
		{"no users", strings.Split(base, "users:")[0], "users: at least one user"},
		{"empty", "", "empty configuration"},
		{"not yaml", "server: [", "cfg.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cfg.yaml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Setenv("FTPSBRIDGE_TEST_ROOT", "/srv/ftp")
	t.Setenv("FTPSBRIDGE_TEST_MAX", "7")
	text := strings.Replace(base, "./files", `"${FTPSBRIDGE_TEST_ROOT}/files"`, 1)
	text = strings.Replace(text, "server: {data_dir: ./d}", "server:\n  max_sessions: ${FTPSBRIDGE_TEST_MAX}", 1)
	c, err := Parse("cfg.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Backends[0].Driver.(*local.Config).Root; got != "/srv/ftp/files" {
		t.Errorf("root = %q", got)
	}
	if c.FTPS.Server.MaxSessions != 7 {
		t.Errorf("max_sessions = %d", c.FTPS.Server.MaxSessions)
	}
}

func TestLoadAndOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	text := strings.Replace(base, "./files", filepath.Join(dir, "files"), 1)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	stores, err := c.OpenBackends()
	if err != nil {
		t.Fatal(err)
	}
	if stores["disk"] == nil {
		t.Fatal("backend disk not opened")
	}
	if _, err := os.Stat(filepath.Join(dir, "files")); err != nil {
		t.Fatalf("local root not created: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file loaded")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(base)
	f.Add(string(ftpsbridge.DefaultConfig))
	f.Add("users: [{name: x}]")
	f.Add("backends: [{type: local, root: [1]}]")
	f.Add("server: &a {data_dir: *a}")
	f.Add(base + "users_file: /dev/null\n")
	f.Add(strings.Replace(base, "    backend: disk\n    prefix: u/\n    permissions: [list]\n",
		"    auth: certificate\n    cert_subjects: [\"CN=a,O=b\"]\n    mounts:\n      - {path: /in, backend: disk, permissions: [upload]}\n", 1))
	f.Fuzz(func(t *testing.T, text string) {
		// Must never panic; errors are fine.
		Parse("fuzz.yaml", []byte(text))
	})
}
