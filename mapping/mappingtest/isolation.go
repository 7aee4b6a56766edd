// Package mappingtest is the isolation suite of ftpsbridge: two users
// share one bucket under different prefixes, and each tries, with every
// path in a table of hostile ones, to list, read, overwrite, append to,
// rename onto, rename away and delete the other's objects, and anything
// else in the bucket. It runs through package mapping directly and end to
// end through the FTPS server with a real client (github.com/jlaffaye/ftp)
// on loopback.
//
// The suite takes any backends.Backend, so the same proof runs over the
// memory driver in mapping's own tests and over each cloud driver against
// its emulator. It is for tests only.
package mappingtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// Target is a backend and a bucket in it that the suite may fill. The
// bucket must exist and be empty: the suite checks every key in it.
type Target struct {
	Backend backends.Backend
	Bucket  string
	// Link, for stores that hold symbolic links (local disk), makes key
	// a link to target (a path relative to the link, as ln -s takes it);
	// RunSymlinkIsolation needs it.
	Link func(key, target string) error
}

// RunIsolation runs the suite. newTarget is called once per subtest and
// must return a fresh, empty bucket each time; it should register its own
// cleanup.
func RunIsolation(t *testing.T, newTarget func(t *testing.T) Target) {
	t.Run("session", func(t *testing.T) {
		w := newWorld(t, newTarget(t))
		for _, atk := range w.attacks() {
			t.Run(atk.attacker+" attacks "+atk.victim, func(t *testing.T) {
				fs := w.login(t, atk.attacker)
				defer fs.(io.Closer).Close()
				runAttack(t, w, atk, &sessionClient{fs: fs}, false)
			})
		}
	})
	t.Run("ftps", func(t *testing.T) {
		w := newWorld(t, newTarget(t))
		srv := startServer(t, w.users)
		for _, atk := range w.attacks() {
			t.Run(atk.attacker+" attacks "+atk.victim, func(t *testing.T) {
				runAttack(t, w, atk, srv.dial(t, atk.attacker, password(atk.attacker)), true)
			})
		}
	})
}

// seeds are the objects every world starts with, by key. Each content is
// unique and names its owner, so a read that returns it proves a leak;
// each user's names carry the user's name, so a listing that shows one
// does too. No key is both a file and a directory (some stores cannot
// hold "a" and "a/b").
var seeds = map[string]string{
	"alice/alice-file.txt":              "alice-own-file",
	"alice/alice-docs/alice-report.csv": "alice-own-report",
	"alice/alice-secret.txt":            "alice-secret",
	"bob/bob-file.txt":                  "bob-own-file",
	"bob/bob-docs/bob-report.csv":       "bob-own-report",
	"bob/bob-secret.txt":                "bob-secret",
	"alicex/alicex-sibling.txt":         "alicex-sibling",
	"bobx/bobx-sibling.txt":             "bobx-sibling",
	"etc/passwd":                        "root-passwd",
	"shared.txt":                        "root-shared",
}

// ownNames are the names user may see in listings while nothing has been
// written: those of their own seeded objects.
func ownNames(user string) map[string]bool {
	return map[string]bool{user + "-file.txt": true, user + "-docs": true, user + "-report.csv": true,
		user + "-secret.txt": true}
}

// foreign reports whether data holds anything the attacker must never
// read: the victim's content, or that of objects outside both prefixes.
func foreign(data, victim string) bool {
	for _, token := range []string{victim + "-", "root-", "alicex-", "bobx-"} {
		if strings.Contains(data, token) {
			return true
		}
	}
	return false
}

func password(user string) string { return user + "-isolation-pw" }

// world is one bucket with the two users and the seeded objects.
type world struct {
	target Target
	bucket backends.Bucket
	users  *mapping.Users
}

type attack struct{ attacker, victim string }

func (w *world) attacks() []attack {
	return []attack{{"alice", "bob"}, {"bob", "alice"}}
}

var hashes = sync.OnceValues(func() (map[string]string, error) {
	out := map[string]string{}
	for _, u := range []string{"alice", "bob"} {
		h, err := bcrypt.GenerateFromPassword([]byte(password(u)), mapping.MinBcryptCost)
		if err != nil {
			return nil, err
		}
		out[u] = string(h)
	}
	return out, nil
})

func newWorld(t *testing.T, target Target) *world {
	t.Helper()
	h, err := hashes()
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]backends.Backend{"store": target.Backend}
	var users []mapping.UserConfig
	for _, name := range []string{"alice", "bob"} {
		users = append(users, mapping.UserConfig{Name: name, PasswordHash: h[name], Backend: "store",
			Bucket: target.Bucket, Prefix: name + "/", Permissions: []string{"*"}})
	}
	u, err := mapping.New(users, stores)
	if err != nil {
		t.Fatal(err)
	}
	b, err := target.Backend.Bucket(target.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{target: target, bucket: b, users: u}
	for k, v := range seeds {
		if err := put(t.Context(), b, k, v); err != nil {
			t.Fatalf("seeding %s: %v", k, err)
		}
	}
	return w
}

func (w *world) login(t *testing.T, user string) ftps.FileSystem {
	t.Helper()
	fs, err := w.users.Login(t.Context(), ftps.LoginInfo{User: user, Password: password(user)})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func put(ctx context.Context, b backends.Bucket, key, data string) error {
	wr, err := b.Create(ctx, key, backends.CreateOptions{})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(wr, data); err != nil {
		wr.Abort()
		return err
	}
	return wr.Commit()
}

// snapshot reads every object in the bucket, by key.
func snapshot(ctx context.Context, b backends.Bucket) (map[string]string, error) {
	out := map[string]string{}
	var walk func(dir string) error
	walk = func(dir string) error {
		l, err := b.List(ctx, dir)
		if err != nil {
			return err
		}
		defer l.Close()
		for {
			page, err := l.Next(ctx)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, e := range page {
				key := e.Name
				if dir != "" {
					key = dir + "/" + e.Name
				}
				if e.IsDir {
					if err := walk(key); err != nil {
						return err
					}
					continue
				}
				r, err := b.Open(ctx, key, 0)
				if err != nil {
					return fmt.Errorf("open %s: %w", key, err)
				}
				data, err := io.ReadAll(r)
				r.Close()
				if err != nil {
					return fmt.Errorf("read %s: %w", key, err)
				}
				out[key] = string(data)
			}
		}
	}
	return out, walk("")
}

// checkConfined fails unless every object outside the attacker's prefix
// is exactly as seeded, and nothing new appeared outside it.
func checkConfined(t *testing.T, w *world, attacker string, before map[string]string) {
	t.Helper()
	after, err := snapshot(t.Context(), w.bucket)
	if err != nil {
		t.Fatalf("listing the bucket: %v", err)
	}
	own := func(k string) bool { return strings.HasPrefix(k, attacker+"/") }
	var problems []string
	for k, v := range before {
		if own(k) {
			continue
		}
		if got, ok := after[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s was deleted or moved", k))
		} else if got != v {
			problems = append(problems, fmt.Sprintf("%s changed to %q", k, got))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok && !own(k) {
			problems = append(problems, fmt.Sprintf("%s appeared outside %s/", k, attacker))
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
