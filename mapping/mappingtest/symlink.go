package mappingtest

import (
	"path"
	"strings"
	"testing"
)

// RunSymlinkIsolation runs the suite's symbolic-link case for stores that
// hold links (Target.Link must be set): links placed on the store inside
// the attacker's prefix (by an operator, a sync job, an unpacked archive)
// point into the victim's prefix, and the attacker tries RETR, SIZE, LIST,
// NLST, STOR, APPE, MKD, RNFR/RNTO and DELE through them, through mapping
// directly and end to end over FTPS. Every object outside the attacker's
// prefix must stay as seeded, and nothing the attacker sees may be the
// victim's. Only the attacker's prefix holds links, so that walking the
// bucket to check it meets no cycle.
func RunSymlinkIsolation(t *testing.T, newTarget func(t *testing.T) Target) {
	for _, atk := range (&world{}).attacks() {
		t.Run(atk.attacker+" attacks "+atk.victim, func(t *testing.T) {
			t.Run("session", func(t *testing.T) {
				w := newLinkedWorld(t, newTarget(t), atk)
				fs := w.login(t, atk.attacker)
				runLinkAttack(t, w, atk, &sessionClient{fs: fs})
			})
			t.Run("ftps", func(t *testing.T) {
				w := newLinkedWorld(t, newTarget(t), atk)
				srv := startServer(t, w.users)
				runLinkAttack(t, w, atk, srv.dial(t, atk.attacker, password(atk.attacker)))
			})
		})
	}
}

// links are the links made in the attacker's prefix ({v} is the victim):
// to the victim's prefix, to one of the victim's files, and to a
// directory in it.
var linkTemplates = map[string]string{
	"link-{v}dir":  "../{v}",
	"link-{v}file": "../{v}/{v}-secret.txt",
	"link-{v}docs": "../{v}/{v}-docs",
	"link-shared":  "../shared.txt",
}

func newLinkedWorld(t *testing.T, target Target, atk attack) *world {
	t.Helper()
	if target.Link == nil {
		t.Fatal("RunSymlinkIsolation needs Target.Link")
	}
	w := newWorld(t, target)
	for name, dest := range linkTemplates {
		key := path.Join(atk.attacker, expand(name, atk))
		if err := target.Link(key, expand(dest, atk)); err != nil {
			t.Fatalf("making link %s: %v", key, err)
		}
	}
	return w
}

func runLinkAttack(t *testing.T, w *world, atk attack, c client) {
	before, err := snapshot(t.Context(), w.bucket)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("read", func(t *testing.T) { linkReadPass(t, atk, c) })
	t.Run("write", func(t *testing.T) { linkWritePass(t, atk, c) })
	checkConfined(t, w, atk.attacker, before)
}

// linkPaths are the paths the attacker sends through the links.
var linkPaths = []string{
	"/link-{v}dir/{v}-secret.txt", "/link-{v}dir/{v}-file.txt", "/link-{v}dir/{v}-docs/{v}-report.csv",
	"/link-{v}file", "/link-{v}docs/{v}-report.csv", "/link-shared",
	"/link-{v}dir", "/link-{v}dir/", "/link-{v}docs", "/link-{v}dir/{v}-docs",
}

func linkReadPass(t *testing.T, atk attack, c client) {
	own := ownNames(atk.attacker)
	if data, err := c.retr("/" + atk.attacker + "-file.txt"); err != nil || data != atk.attacker+"-own-file" {
		t.Fatalf("reading their own file: %q, %v", data, err)
	}
	// The links lead out of the mount: they must not even be listed.
	if names, err := c.list("/"); err != nil || len(names) != 3 {
		t.Errorf("listing their own root: %q, %v (want their 3 own entries)", names, err)
	}
	for _, p := range expandAll(linkPaths, atk) {
		if data, err := c.retr(p); err == nil && foreign(data, atk.victim) {
			t.Errorf("RETR %q read %q", p, data)
		}
		for verb, list := range map[string]func(string) ([]string, error){"LIST": c.list, "NLST": c.nlst} {
			names, _ := list(p)
			for _, n := range names {
				if !own[path.Base(n)] {
					t.Errorf("%s %q shows %q", verb, p, n)
				}
			}
		}
		if err := c.alive(); err != nil {
			t.Fatalf("connection broken after %q: %v", p, err)
		}
	}
}

func linkWritePass(t *testing.T, atk attack, c client) {
	home := "/" + atk.attacker + "-file.txt"
	written := "written-by-" + atk.attacker
	for _, p := range expandAll(linkPaths, atk) {
		_ = c.stor(p, 0, written)
		_ = c.appe(p, written)
		_ = c.stor(p+"-planted", 0, written)
		_ = c.mkdir(p + "-newdir")
		_ = c.mkdir(path.Join(p, "newdir"))
		_ = c.rename(home, path.Join(p, "moved-in"))
		if err := c.stor(home, 0, atk.attacker+"-own-file"); err != nil {
			t.Fatalf("the attacker cannot write their own file: %v", err)
		}
		_ = c.rename(p, "/stolen")
		if data, err := c.retr("/stolen"); err == nil && foreign(data, atk.victim) {
			t.Errorf("RNFR %q to /stolen got %q", p, data)
		}
		_ = c.dele(path.Join(p, atk.victim+"-file.txt"))
		_ = c.dele(p)
		if err := c.alive(); err != nil {
			t.Fatalf("connection broken after %q: %v", p, err)
		}
	}
}

func expand(s string, atk attack) string {
	return strings.NewReplacer("{v}", atk.victim, "{a}", atk.attacker).Replace(s)
}

func expandAll(paths []string, atk attack) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = expand(p, atk)
	}
	return out
}
