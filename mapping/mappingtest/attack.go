package mappingtest

import (
	"context"
	"io"
	"path"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// hostileTemplates are the paths an attacker sends; {v} is the victim's
// name and {a} the attacker's. Most aim at the victim's secret through
// every trick for climbing out of a directory or disguising a separator;
// the rest aim at the bucket root and at a sibling prefix that shares
// the attacker's name as a string prefix.
var hostileTemplates = []string{
	"{v}/{v}-secret.txt", "/{v}/{v}-secret.txt", "../{v}/{v}-secret.txt", "/../{v}/{v}-secret.txt",
	"../../{v}/{v}-secret.txt", "/a/../../{v}/{v}-secret.txt", "./../{v}/./{v}-secret.txt",
	"//{v}/{v}-secret.txt", "..//{v}//{v}-secret.txt", "/.../{v}/{v}-secret.txt",
	`..\{v}\{v}-secret.txt`, `/..\{v}/{v}-secret.txt`, `\..\{v}\{v}-secret.txt`,
	"%2e%2e/{v}/{v}-secret.txt", "..%2f{v}%2f{v}-secret.txt", "%2e%2e%2f{v}%2f{v}-secret.txt",
	"/\u2215..\u2215{v}\u2215{v}-secret.txt", "/..\u2216{v}/{v}-secret.txt", "\uff0e\uff0e/{v}/{v}-secret.txt",
	"/日本語/../../{v}/{v}-secret.txt",
	strings.Repeat("../", 300) + "{v}/{v}-secret.txt",
	"/" + strings.Repeat("d/", 200) + strings.Repeat("../", 202) + "{v}/{v}-secret.txt",
	"../{v}", "../{v}/", "../{v}/{v}-docs", "../{v}/{v}-docs/{v}-report.csv", "/../{v}/{v}-file.txt",
	"../{a}x/{a}x-sibling.txt", "../{v}x/{v}x-sibling.txt", "../shared.txt", "../etc/passwd", "/../../etc/passwd",
	"..", "/..", "../", ".", "/", "~", "~/../{v}", "*", "../*", "../{v}/*", "-a ../{v}", "-la /../{v}",
	"../{v}/{v}-secret.txt\x00.csv", "a\x00b", "/..\x00/{v}", "/..\r\n/{v}/{v}-secret.txt",
	"\t../{v}", " ../{v}/{v}-secret.txt",
}

// HostilePaths returns the hostile paths an attacker sends at a victim.
func HostilePaths(attacker, victim string) []string {
	out := make([]string, len(hostileTemplates))
	r := strings.NewReplacer("{v}", victim, "{a}", attacker)
	for i, p := range hostileTemplates {
		out[i] = r.Replace(p)
	}
	return out
}

// client is what an attacker can do: the FTP commands that touch
// storage, through mapping directly or over the wire.
type client interface {
	retr(p string) (string, error)
	size(p string) error
	list(p string) ([]string, error)
	nlst(p string) ([]string, error)
	stor(p string, offset int64, data string) error
	appe(p, data string) error
	mkdir(p string) error
	rename(from, to string) error
	dele(p string) error
	rmdir(p string) error
	// alive checks the connection still works after a hostile command.
	alive() error
}

// runAttack has the attacker try everything on every hostile path: first
// only reading (nothing they see may be anyone else's), then writing;
// afterwards, every object outside their prefix must be as it was.
func runAttack(t *testing.T, w *world, atk attack, c client, overTheWire bool) {
	before, err := snapshot(t.Context(), w.bucket)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range HostilePaths(atk.attacker, atk.victim) {
		if overTheWire && strings.ContainsAny(p, "\r\n") {
			continue // a client cannot send it as one command line
		}
		paths = append(paths, p)
	}
	t.Run("read", func(t *testing.T) { readPass(t, atk, c, paths) })
	t.Run("write", func(t *testing.T) { writePass(t, atk, c, paths) })
	checkConfined(t, w, atk.attacker, before)
}

func readPass(t *testing.T, atk attack, c client, paths []string) {
	// The attacker's own files work, or the checks below prove nothing.
	home := "/" + atk.attacker + "-file.txt"
	if data, err := c.retr(home); err != nil || data != atk.attacker+"-own-file" {
		t.Fatalf("reading their own file: %q, %v", data, err)
	}
	if names, err := c.list("/"); err != nil || len(names) != 3 {
		t.Fatalf("listing their own root: %q, %v", names, err)
	}
	own := ownNames(atk.attacker)
	for _, p := range paths {
		if data, err := c.retr(p); err == nil && foreign(data, atk.victim) {
			t.Errorf("RETR %q read %q", p, data)
		}
		_ = c.size(p)
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

func writePass(t *testing.T, atk attack, c client, paths []string) {
	home := "/" + atk.attacker + "-file.txt"
	written := "written-by-" + atk.attacker
	for _, p := range paths {
		_ = c.stor(p, 0, written)
		_ = c.stor(p, 3, written)
		_ = c.appe(p, written)
		_ = c.mkdir(p)
		_ = c.rename(home, p)
		if err := c.stor(home, 0, atk.attacker+"-own-file"); err != nil {
			t.Fatalf("the attacker cannot write their own file: %v", err)
		}
		_ = c.rename(p, "/stolen")
		if data, err := c.retr("/stolen"); err == nil && foreign(data, atk.victim) {
			t.Errorf("RNFR %q to /stolen got %q", p, data)
		}
		_ = c.rename("/stolen", p)
		_ = c.dele(p)
		_ = c.rmdir(p)
		if err := c.alive(); err != nil {
			t.Fatalf("connection broken after %q: %v", p, err)
		}
	}
}

// sessionClient attacks through mapping's FileSystem, with paths exactly
// as sent (the FTP front end's own cleaning is not relied upon).
type sessionClient struct{ fs ftps.FileSystem }

func (s *sessionClient) retr(p string) (string, error) {
	r, err := s.fs.Open(context.Background(), p, 0)
	if err != nil {
		return "", err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return string(data), err
}

func (s *sessionClient) size(p string) error {
	_, err := s.fs.Stat(context.Background(), p)
	return err
}

func (s *sessionClient) list(p string) ([]string, error) {
	ctx := context.Background()
	l, err := s.fs.List(ctx, p)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var names []string
	for {
		page, err := l.Next(ctx)
		if err != nil {
			return names, nil
		}
		for _, e := range page {
			names = append(names, e.Name)
		}
	}
}

func (s *sessionClient) nlst(p string) ([]string, error) { return s.list(p) }

func (s *sessionClient) stor(p string, offset int64, data string) error {
	w, err := s.fs.Create(context.Background(), p, offset, backends.CreateOptions{})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

func (s *sessionClient) appe(p, data string) error {
	e, err := s.fs.Stat(context.Background(), p)
	if err != nil {
		return s.stor(p, 0, data)
	}
	return s.stor(p, e.Size, data)
}

func (s *sessionClient) mkdir(p string) error { return s.fs.Mkdir(context.Background(), p) }
func (s *sessionClient) rename(from, to string) error {
	return s.fs.Rename(context.Background(), from, to)
}
func (s *sessionClient) dele(p string) error  { return s.fs.Delete(context.Background(), p) }
func (s *sessionClient) rmdir(p string) error { return s.fs.Rmdir(context.Background(), p) }
func (s *sessionClient) alive() error         { return nil }
