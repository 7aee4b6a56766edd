package usersfile_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/internal/usersfile"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// A bcrypt hash of "pw" at the loader's minimum cost.
const pwHash = "$2a$10$EkmX8GcbOotU9X2b8CJB4ubMG6BSbBtFYMeXK1a9SljszqLK6P/HO"

const usersText = `# Partners of the exchange.
- name: acme # the first partner
  password_hash: "` + pwHash + `"
  backend: disk
  bucket: ${ACME_BUCKET}
  prefix: acme/
  permissions: [list, download, upload]

# Globex reads only.
- name: globex
  password_hash: "` + pwHash + `"
  mounts:
    - {path: /out, backend: disk, prefix: globex/out, permissions: [list, download]}
`

type fixture struct {
	dir, cfg, users string
	applied         int
	ed              *usersfile.Editor
}

// newFixture writes a configuration whose users_file holds usersText,
// and an editor that judges with the real loader.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Setenv("ACME_BUCKET", "acme-bucket")
	dir := t.TempDir()
	f := &fixture{dir: dir, cfg: filepath.Join(dir, "config.yaml"), users: filepath.Join(dir, "users", "users.yaml")}
	os.Mkdir(filepath.Join(dir, "users"), 0o755)
	os.Mkdir(filepath.Join(dir, "files"), 0o755)
	write(t, f.cfg, fmt.Sprintf("server: {data_dir: %s/state}\nlisteners: [{address: 127.0.0.1:2121, tls: explicit}]\n"+
		"backends: [{name: disk, type: local, root: %s/files}]\nusers_file: %s\n", dir, dir, f.users), 0o600)
	write(t, f.users, usersText, 0o640)
	f.ed = &usersfile.Editor{
		Path:     f.users,
		Decode:   func(data []byte) ([]mapping.UserConfig, error) { return config.ParseUsersFile(f.users, data) },
		Validate: func(c []byte) error { _, err := config.LoadWithUsersFile(f.cfg, c); return err },
		Apply:    func() error { f.applied++; return nil },
	}
	return f
}

func write(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) etag(t *testing.T) string {
	t.Helper()
	s, err := f.ed.Read()
	if err != nil {
		t.Fatal(err)
	}
	return s.ETag
}

// loads checks that the loader accepts the file as it is on disk and
// returns its users.
func (f *fixture) loads(t *testing.T) []mapping.UserConfig {
	t.Helper()
	c, err := config.Load(f.cfg)
	if err != nil {
		data, _ := os.ReadFile(f.users)
		t.Fatalf("the loader refuses the file: %v\n%s", err, data)
	}
	return c.Users
}

func (f *fixture) text(t *testing.T) string {
	data, err := os.ReadFile(f.users)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestAddChangeDisableDelete(t *testing.T) {
	f := newFixture(t)
	etag, err := f.ed.Add(f.etag(t), mapping.UserConfig{
		Name: "initech", PasswordHash: pwHash, Mounts: []mapping.MountConfig{
			{Path: "/in", Backend: "disk", Prefix: "initech/in", Permissions: []string{"list", "upload"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if etag != f.etag(t) || f.applied != 1 {
		t.Fatalf("etag %s, file %s, applied %d", etag, f.etag(t), f.applied)
	}
	users := f.loads(t)
	if len(users) != 3 || users[2].Name != "initech" || users[2].Mounts[0].Prefix != "initech/in" {
		t.Fatalf("users: %+v", users)
	}
	text := f.text(t)
	for _, kept := range []string{"# Partners of the exchange.", "# the first partner", "# Globex reads only.", "bucket: ${ACME_BUCKET}"} {
		if !strings.Contains(text, kept) {
			t.Errorf("lost %q:\n%s", kept, text)
		}
	}
	if strings.Index(text, "acme") > strings.Index(text, "globex") || strings.Contains(text, `prefix: ""`) {
		t.Errorf("order or canonical form lost:\n%s", text)
	}
	if st, _ := os.Stat(f.users); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}

	// A change of one key keeps the others' text, ${NAME} included.
	etag, err = f.ed.Change(etag, "acme", func(u mapping.UserConfig) (mapping.UserConfig, error) {
		u.Prefix = "acme2/"
		u.Disabled = true
		return u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	users = f.loads(t)
	if u := users[0]; u.Prefix != "acme2/" || !u.Disabled || u.Bucket != "acme-bucket" || u.PasswordHash != pwHash {
		t.Fatalf("changed acme: %+v", u)
	}
	if text := f.text(t); !strings.Contains(text, "bucket: ${ACME_BUCKET}") || !strings.Contains(text, "# the first partner") {
		t.Errorf("change rewrote untouched keys:\n%s", text)
	}

	if _, err := f.ed.Delete(etag, "globex"); err != nil {
		t.Fatal(err)
	}
	users = f.loads(t)
	if len(users) != 2 || users[0].Name != "acme" || users[1].Name != "initech" {
		t.Fatalf("after delete: %+v", users)
	}
	if _, err := f.ed.Delete(f.etag(t), "globex"); !errors.Is(err, usersfile.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if f.applied != 3 {
		t.Fatalf("applied %d times, want 3", f.applied)
	}
}

func TestVersions(t *testing.T) {
	f := newFixture(t)
	first := f.etag(t)
	disable := func(u mapping.UserConfig) (mapping.UserConfig, error) { u.Disabled = true; return u, nil }
	if _, err := f.ed.Change("", "acme", disable); !errors.Is(err, usersfile.ErrNoVersion) {
		t.Fatalf("no If-Match: %v", err)
	}
	second, err := f.ed.Change(first, "acme", disable)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ed.Change(first, "globex", disable); !errors.Is(err, usersfile.ErrStale) {
		t.Fatalf("stale version: %v", err)
	}
	// An edit by hand makes the version read before it stale too.
	write(t, f.users, f.text(t)+"# edited by hand\n", 0o640)
	if _, err := f.ed.Change(second, "globex", disable); !errors.Is(err, usersfile.ErrStale) {
		t.Fatalf("after a hand edit: %v", err)
	}
	if !strings.Contains(f.text(t), "# edited by hand") || f.applied != 1 {
		t.Fatalf("the hand edit was overwritten, or applied %d", f.applied)
	}
}

// TestInvalidChangeWritesNothing: the loader's every problem comes back
// with its key, and the file is left as it was.
func TestInvalidChangeWritesNothing(t *testing.T) {
	f := newFixture(t)
	before := f.text(t)
	_, err := f.ed.Add(f.etag(t), mapping.UserConfig{
		Name: "acme", PasswordHash: pwHash, Backend: "nowhere", Prefix: "../up", Permissions: []string{"fly"},
	})
	var inv *usersfile.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want *InvalidError", err)
	}
	fields := map[string]usersfile.Problem{}
	for _, p := range inv.Problems {
		fields[p.Field] = p
	}
	for _, want := range []string{"name", "backend", "prefix", "permissions.0"} {
		p, ok := fields[want]
		if !ok {
			t.Errorf("no problem for %s in %+v", want, inv.Problems)
			continue
		}
		if p.Key != "users.2."+want || !strings.HasPrefix(p.Message, f.users+":") || p.Line == 0 {
			t.Errorf("problem %+v: want key users.2.%s and check-config's file:line message", p, want)
		}
	}
	if f.text(t) != before || f.applied != 0 {
		t.Fatal("an invalid change was written or applied")
	}
	if _, err := f.ed.Add(f.etag(t), mapping.UserConfig{
		Name: "x", PasswordHash: pwHash, Backend: "disk", Prefix: "${HOME}", Permissions: []string{"list"},
	}); !errors.As(err, &inv) || inv.Problems[0].Field != "prefix" {
		t.Fatalf("a ${NAME} reference through the console: %v", err)
	}
}

// makeUnwritable makes dir refuse new entries: chmod for a normal user,
// the immutable attribute for root (who ignores modes).
func makeUnwritable(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i (needed to make a directory unwritable as root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
}

// TestFailedWriteLeavesFileIntact fails each step of the write in turn:
// the file keeps its old content (valid, accepted by the loader), no
// temporary file is left behind, and nothing is applied.
func TestFailedWriteLeavesFileIntact(t *testing.T) {
	add := func(f *fixture) error {
		_, err := f.ed.Add(f.etag(t), mapping.UserConfig{Name: "new", PasswordHash: pwHash, Backend: "disk", Prefix: "new", Permissions: []string{"*"}})
		return err
	}
	check := func(t *testing.T, f *fixture, before string) {
		t.Helper()
		if f.text(t) != before || f.applied != 0 {
			t.Fatalf("file changed or applied after a failed write")
		}
		if len(f.loads(t)) != 2 {
			t.Fatal("users changed")
		}
		entries, _ := os.ReadDir(filepath.Dir(f.users))
		if len(entries) != 1 {
			t.Fatalf("left in the directory: %v", entries)
		}
	}
	t.Run("read-only directory", func(t *testing.T) {
		f := newFixture(t)
		before := f.text(t)
		makeUnwritable(t, filepath.Dir(f.users))
		if err := add(f); err == nil {
			t.Fatal("the write succeeded in a read-only directory")
		}
		check(t, f, before)
	})
	for _, step := range []string{"fsync", "rename"} {
		t.Run(step+" fails", func(t *testing.T) {
			f := newFixture(t)
			before := f.text(t)
			boom := errors.New("injected " + step + " failure")
			if step == "fsync" {
				t.Cleanup(usersfile.FailSync(boom))
			} else {
				t.Cleanup(usersfile.FailRename(boom))
			}
			if err := add(f); !errors.Is(err, boom) {
				t.Fatalf("got %v, want the %s failure", err, step)
			}
			check(t, f, before)
		})
	}
}

// TestSymlinkKept: a users_file that is a link (a Kubernetes ConfigMap
// swaps one) has its target replaced; the link stays a link.
func TestSymlinkKept(t *testing.T) {
	f := newFixture(t)
	real := filepath.Join(filepath.Dir(f.users), "real.yaml")
	os.Rename(f.users, real)
	os.Symlink("real.yaml", f.users)
	if _, err := f.ed.Delete(f.etag(t), "globex"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(f.users); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced by a file")
	}
	if len(f.loads(t)) != 1 {
		t.Fatal("delete through the link not applied")
	}
}

// TestConcurrentEdits: two edits from the same version, at once: one is
// written, the other is told the file changed; neither is lost silently.
func TestConcurrentEdits(t *testing.T) {
	f := newFixture(t)
	etag := f.etag(t)
	errs := make(chan error, 2)
	for _, name := range []string{"one", "two"} {
		go func() {
			_, err := f.ed.Add(etag, mapping.UserConfig{Name: name, PasswordHash: pwHash, Backend: "disk", Prefix: name, Permissions: []string{"*"}})
			errs <- err
		}()
	}
	var ok, stale int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, usersfile.ErrStale):
			stale++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || stale != 1 || len(f.loads(t)) != 3 {
		t.Fatalf("%d written, %d stale, %d users", ok, stale, len(f.loads(t)))
	}
}

// TestApplyFailure: the file is written but the reload refuses it; the
// caller learns both (the new version, and an *ApplyError).
func TestApplyFailure(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("reload failed")
	f.ed.Apply = func() error { return boom }
	etag, err := f.ed.Delete(f.etag(t), "globex")
	var ae *usersfile.ApplyError
	if !errors.As(err, &ae) || !errors.Is(err, boom) || etag != f.etag(t) {
		t.Fatalf("got %q, %v", etag, err)
	}
}
