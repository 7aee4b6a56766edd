package ftps

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// createOptions are what an upload records: the uploader, and (for a new
// file, not a resume, whose kept head this process never sees) the
// configured digests of its stream.
func (s *session) createOptions(offset int64) (backends.CreateOptions, *recorder) {
	opts := backends.CreateOptions{Origin: backends.Origin{
		User:    s.user,
		Client:  addrOf(s.conn.RemoteAddr()).String(),
		Session: strconv.FormatUint(s.id, 10),
		Started: time.Now().UTC(),
	}}
	record := s.srv.cfg.Server.Hash.Record
	if offset > 0 || len(record) == 0 {
		return opts, nil
	}
	rec := newRecorder(record)
	opts.Digests = rec.sums
	return opts, rec
}

func (s *session) selectedHash() *algorithm {
	if a := algorithmByFeat(s.hashAlgo); a != nil {
		return a
	}
	return &algorithms[0]
}

// optsHash implements OPTS HASH: without a value it names the selected
// algorithm, with one it selects it.
func (s *session) optsHash(value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		s.reply(codeOK, s.selectedHash().feat)
		return
	}
	a := algorithmByFeat(value)
	if a == nil {
		s.reply(codeBadParameter, "Unknown algorithm; FEAT lists the supported ones.")
		return
	}
	s.hashAlgo = a.feat
	s.reply(codeOK, a.feat)
}

// handleHASH answers "213 ALGO 0-SIZE HEX PATH" for the whole file
// (ranges, RANG, are not supported, so the whole file is always hashed).
func (s *session) handleHASH(arg string) {
	a := s.selectedHash()
	p := s.abs(arg)
	sum, size, ok := s.digest("HASH", p, a)
	if ok {
		s.reply(codeFileStatus, a.feat+" 0-"+strconv.FormatInt(size, 10)+" "+sum+" "+sanitize(arg))
	}
}

// hashVerb is XSHA256, XSHA1, XMD5 or XCRC: "250 HEX" for the whole file.
func hashVerb(name string) func(*session, string) {
	a := algorithmByName(name)
	return func(s *session, arg string) {
		if sum, _, ok := s.digest("X"+strings.ToUpper(name), s.abs(arg), a); ok {
			s.reply(codeFileOK, sum)
		}
	}
}

// digest returns file p's digest: the one recorded at upload when there
// is one (no read), else computed by reading the file, up to
// server.hash.max_read_bytes. It replies itself on failure.
func (s *session) digest(verb, p string, a *algorithm) (string, int64, bool) {
	var fi backends.FileInfo
	var err error
	if d, ok := s.fs.(FileDescriber); ok {
		fi, err = d.Describe(s.ctx, p)
	} else {
		fi.Entry, err = s.fs.Stat(s.ctx, p)
		if err == nil && fi.IsDir {
			err = backends.ErrIsDir
		}
	}
	if err != nil {
		s.replyErr(verb, p, err)
		return "", 0, false
	}
	if sum := fi.Digests[a.name]; sum != "" {
		return sum, fi.Size, true
	}
	if max := int64(s.srv.cfg.Server.Hash.MaxReadBytes); fi.Size > max {
		s.reply(codeFileUnavailable, "No "+a.feat+" was recorded for this file at upload, and it is larger than the server reads to compute one.")
		return "", 0, false
	}
	sum, err := s.readDigest(p, a, fi.Size)
	if err != nil {
		s.replyErr(verb, p, err)
		return "", 0, false
	}
	return sum, fi.Size, true
}

func (s *session) readDigest(p string, a *algorithm, size int64) (string, error) {
	r, err := s.fs.Open(s.ctx, p, 0)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := a.new()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", err
	}
	if n != size {
		return "", errors.Join(backends.ErrTransient, errors.New("the file changed while it was hashed"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// handleMFMT sets a file's modification time (draft-somers-ftp-mfxx):
// "MFMT YYYYMMDDHHMMSS[.sss] path", answered "213 Modify=...; path".
func (s *session) handleMFMT(arg string) {
	stamp, name, _ := strings.Cut(arg, " ")
	t, ok := parseTimeVal(stamp)
	if !ok || name == "" {
		s.reply(codeBadArguments, "MFMT needs a time YYYYMMDDHHMMSS and a path.")
		return
	}
	if s.setModTime("MFMT", s.abs(name), t) {
		s.reply(codeFileStatus, "Modify="+mdtmTime(t)+"; "+sanitize(name))
	}
}

// siteUTIME implements both forms lftp sends: "SITE UTIME time path" and
// "SITE UTIME path atime mtime ctime UTC" (mtime is the one kept).
func (s *session) siteUTIME(rest string) {
	rest = strings.TrimPrefix(rest, " ")
	if stamp, name, ok := strings.Cut(rest, " "); ok {
		if t, ok := parseTimeVal(stamp); ok && name != "" {
			if s.setModTime("SITE UTIME", s.abs(name), t) {
				s.reply(codeOK, "Modification time set.")
			}
			return
		}
	}
	f := strings.Fields(rest)
	if n := len(f); n >= 5 && strings.EqualFold(f[n-1], "UTC") {
		mt, ok1 := parseTimeVal(f[n-3])
		_, ok2 := parseTimeVal(f[n-4])
		if ok1 && ok2 {
			name := strings.TrimSuffix(rest, " "+strings.Join(f[n-4:], " "))
			if s.setModTime("SITE UTIME", s.abs(name), mt) {
				s.reply(codeOK, "Modification time set.")
			}
			return
		}
	}
	s.reply(codeBadArguments, "SITE UTIME needs a time YYYYMMDDHHMMSS and a path.")
}

func (s *session) setModTime(verb, p string, t time.Time) bool {
	tc, ok := s.fs.(FileToucher)
	if !ok {
		s.reply(codeNotImplemented, verb+" is not supported here.")
		return false
	}
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Minute)
	defer cancel()
	if err := tc.SetModTime(ctx, p, t); err != nil {
		s.replyErr(verb, p, err)
		return false
	}
	return true
}

// parseTimeVal parses an RFC 3659 time-val (UTC), with optional
// fractional seconds.
func parseTimeVal(v string) (time.Time, bool) {
	whole, frac, hasFrac := strings.Cut(v, ".")
	if len(whole) != 14 || strings.Trim(whole, "0123456789") != "" {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", whole)
	if err != nil {
		return time.Time{}, false
	}
	if hasFrac {
		if frac == "" || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" {
			return time.Time{}, false
		}
		ns, _ := strconv.Atoi((frac + "000000000")[:9])
		t = t.Add(time.Duration(ns))
	}
	return t.UTC(), true
}
