package ftps

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// maxStatEntries bounds a STAT listing sent over the control connection.
const maxStatEntries = 1000

var errStatTooLong = errors.New("stat listing too long")

func (s *session) now() time.Time { return time.Now() }

// parseListArgs strips ls-style flags ("-a", "-la", "-l") that clients
// such as curl and FileZilla send with LIST, and returns the path. An
// argument that looks like flags but is followed by nothing is taken as
// flags; a name that really starts with "-" can be given as "./-name".
func parseListArgs(arg string) string {
	rest := strings.TrimLeft(arg, " ")
	for strings.HasPrefix(rest, "-") {
		flag, after, _ := strings.Cut(rest, " ")
		if !isListFlags(flag[1:]) {
			break
		}
		rest = strings.TrimLeft(after, " ")
	}
	return rest
}

func isListFlags(f string) bool {
	if f == "" {
		return false
	}
	for _, c := range f {
		if !strings.ContainsRune("aAlLRrtdFhSn1", c) {
			return false
		}
	}
	return true
}

// eachEntry streams a listing page by page to fn, so a prefix with a
// hundred thousand objects is written as it arrives, in constant memory.
// It closes l.
func eachEntry(ctx context.Context, l backends.Lister, fn func(backends.Entry) error) error {
	return eachPage(ctx, l, fn, nil)
}

// eachPage is eachEntry with pageDone, when not nil, called after each
// page: a listing transfer flushes there, so that the client has every
// page before the next one is asked of the store.
func eachPage(ctx context.Context, l backends.Lister, fn func(backends.Entry) error, pageDone func() error) error {
	defer l.Close()
	for {
		page, err := l.Next(ctx)
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if pageDone != nil && len(page) > 0 {
			if err := pageDone(); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// listName makes a stored name safe for a listing line: a CR or LF in an
// object key (possible in object stores) must not forge extra lines.
func listName(n string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return '?'
		}
		return r
	}, n)
}

// lsLine formats an entry as `ls -l` does, the form FileZilla, WinSCP,
// curl and lftp parse: the time of day for entries of the last six months,
// the year for older ones (and for ones more than an hour in the future).
func lsLine(e backends.Entry, now time.Time) string {
	mode := "-rw-r--r--"
	if e.IsDir {
		mode = "drwxr-xr-x"
	}
	t := e.ModTime.Local()
	var when string
	if t.After(now.AddDate(0, -6, 0)) && t.Before(now.Add(time.Hour)) {
		when = t.Format("Jan _2 15:04")
	} else {
		when = t.Format("Jan _2  2006")
	}
	return fmt.Sprintf("%s 1 ftp ftp %13d %s %s", mode, e.Size, when, listName(e.Name))
}

// mlsxFacts formats the facts of an MLSD/MLST line (RFC 3659 section 7.5)
// that the client selected with OPTS MLST, each followed by ";".
func (s *session) mlsxFacts(p string, e backends.Entry) string {
	var b strings.Builder
	if s.mlstFacts["type"] {
		if e.IsDir {
			b.WriteString("type=dir;")
		} else {
			b.WriteString("type=file;")
		}
	}
	if s.mlstFacts["size"] {
		fmt.Fprintf(&b, "size=%d;", e.Size)
	}
	if s.mlstFacts["modify"] {
		b.WriteString("modify=" + mdtmTime(e.ModTime) + ";")
	}
	if s.mlstFacts["perm"] {
		b.WriteString("perm=" + permFact(s.permissions(p), e.IsDir) + ";")
	}
	return b.String()
}

func (s *session) permissions(p string) Permissions {
	if r, ok := s.fs.(PermissionReporter); ok {
		return r.Permissions(p)
	}
	return Permissions{true, true, true, true, true, true, true}
}

// permFact builds the perm fact letters of RFC 3659 section 7.5.5.
func permFact(p Permissions, dir bool) string {
	var b strings.Builder
	add := func(ok bool, c string) {
		if ok {
			b.WriteString(c)
		}
	}
	if dir {
		add(p.Upload, "c")
		add(p.Delete, "d")
		b.WriteString("e")
		add(p.Rename, "f")
		add(p.List, "l")
		add(p.Mkdir, "m")
		return b.String()
	}
	add(p.Overwrite, "a")
	add(p.Delete, "d")
	add(p.Rename, "f")
	add(p.Download, "r")
	add(p.Upload && p.Overwrite, "w")
	return b.String()
}

// listFormat selects how a listing transfer writes each entry.
type listFormat int

const (
	formatLIST listFormat = iota
	formatNLST
	formatMLSD
)

// errWriter remembers the first write error, so a listing that fails
// because the client's side did is typed so (netFailed), not as a failure
// of the store's listing.
type errWriter struct {
	w   io.Writer
	t   *transfer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.t.bytes.Add(int64(n))
	e.err = err
	return n, err
}

// writeListing streams a listing to w: the entries of l when l is not
// nil (a directory), else the single entry (LIST or NLST of a file). A
// buffered w is flushed after each page of the store's listing, so that
// a client sees the first names at once however long the directory.
func (s *session) writeListing(ctx context.Context, w *bufio.Writer, p string, single backends.Entry, l backends.Lister, format listFormat) error {
	now := s.now()
	emit := func(e backends.Entry, parent string) error {
		var line string
		switch format {
		case formatLIST:
			line = lsLine(e, now)
		case formatNLST:
			line = listName(e.Name)
		case formatMLSD:
			line = s.mlsxFacts(path.Join(parent, e.Name), e) + " " + listName(e.Name)
		}
		_, err := io.WriteString(w, line+"\r\n")
		return err
	}
	if l == nil {
		return emit(single, path.Dir(p))
	}
	return eachPage(ctx, l, func(e backends.Entry) error { return emit(e, p) }, w.Flush)
}
