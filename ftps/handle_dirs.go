package ftps

import (
	"path"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func (s *session) handlePWD(string) {
	s.reply(codePathCreated, quotePath(s.cwd)+" is the current directory.")
}

func (s *session) handleCWD(arg string) {
	s.changeDir(s.abs(arg), "CWD")
}

func (s *session) handleCDUP(string) {
	s.changeDir(path.Dir(s.cwd), "CDUP")
}

func (s *session) changeDir(p, verb string) {
	e, err := s.fs.Stat(s.ctx, p)
	if err == nil && !e.IsDir {
		err = backends.ErrNotDir
	}
	if err != nil {
		s.replyErr(verb, p, err)
		return
	}
	s.cwd = p
	s.reply(codeFileOK, "Directory changed to "+quotePath(p)+".")
}

func (s *session) handleMKD(arg string) {
	p := s.abs(arg)
	if err := s.fs.Mkdir(s.ctx, p); err != nil {
		s.replyErr("MKD", p, err)
		return
	}
	s.log.Info("mkdir", "path", p)
	s.emit(Event{Kind: EventMkdir, Command: "MKD", Path: p})
	s.reply(codePathCreated, quotePath(p)+" created.")
}

func (s *session) handleRMD(arg string) {
	p := s.abs(arg)
	if err := s.fs.Rmdir(s.ctx, p); err != nil {
		s.replyErr("RMD", p, err)
		return
	}
	s.log.Info("rmdir", "path", p)
	s.emit(Event{Kind: EventRmdir, Command: "RMD", Path: p})
	s.reply(codeFileOK, "Directory removed.")
}

// handleMLST describes one path over the control connection (RFC 3659
// section 7): the fact line is indented by one space.
func (s *session) handleMLST(arg string) {
	p := s.cwd
	if strings.TrimSpace(arg) != "" {
		p = s.abs(arg)
	}
	e, err := s.fs.Stat(s.ctx, p)
	if err != nil {
		s.replyErr("MLST", p, err)
		return
	}
	line := s.mlsxFacts(p, e) + " " + p
	s.reply(codeFileOK, "Listing "+sanitize(p)+"\n"+line+"\nEnd")
}

// statPath answers STAT with a path: the listing comes over the control
// connection as a 213 reply (RFC 959 section 4.1.3).
func (s *session) statPath(arg string) {
	p := s.abs(parseListArgs(arg))
	e, err := s.fs.Stat(s.ctx, p)
	if err != nil {
		s.replyErr("STAT", p, err)
		return
	}
	var b strings.Builder
	b.WriteString("Status of " + sanitize(p) + ":\n")
	if !e.IsDir {
		b.WriteString(lsLine(e, s.now()) + "\n")
	} else {
		n := 0
		l, err := s.fs.List(s.ctx, p)
		if err != nil {
			s.replyErr("STAT", p, err)
			return
		}
		err = eachEntry(s.ctx, l, func(e backends.Entry) error {
			if n++; n > maxStatEntries {
				return errStatTooLong
			}
			b.WriteString(lsLine(e, s.now()) + "\n")
			return nil
		})
		if err == errStatTooLong {
			b.WriteString("(listing truncated; use LIST)\n")
		} else if err != nil {
			s.replyErr("STAT", p, err)
			return
		}
	}
	b.WriteString("End of status")
	s.reply(codeFileStatus, b.String())
}
