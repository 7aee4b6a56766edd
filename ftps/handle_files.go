package ftps

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func (s *session) handleDELE(arg string) {
	p := s.abs(arg)
	if err := s.fs.Delete(s.ctx, p); err != nil {
		s.replyErr("DELE", p, err)
		return
	}
	s.log.Info("delete", "path", p)
	s.emit(Event{Kind: EventDelete, Command: "DELE", Path: p})
	s.reply(codeFileOK, "File deleted.")
}

func (s *session) handleRNFR(arg string) {
	p := s.abs(arg)
	if _, err := s.fs.Stat(s.ctx, p); err != nil {
		s.replyErr("RNFR", p, err)
		return
	}
	s.renameSrc = p
	s.reply(codePending, "File exists; ready for RNTO.")
}

func (s *session) handleRNTO(arg string) {
	from := s.renameSrc
	s.renameSrc = ""
	if from == "" {
		s.reply(codeBadSequence, "Send RNFR first.")
		return
	}
	to := s.abs(arg)
	if err := s.fs.Rename(s.ctx, from, to); err != nil {
		s.replyErr("RNTO", to, err)
		return
	}
	s.log.Info("rename", "from", from, "to", to)
	s.emit(Event{Kind: EventRename, Command: "RNTO", Path: from, To: to})
	s.reply(codeFileOK, "Rename successful.")
}

// statFile stats a path that must be a file (SIZE, MDTM).
func (s *session) statFile(verb, arg string) (backends.Entry, bool) {
	p := s.abs(arg)
	e, err := s.fs.Stat(s.ctx, p)
	if err == nil && e.IsDir {
		err = backends.ErrIsDir
	}
	if err != nil {
		s.replyErr(verb, p, err)
		return e, false
	}
	return e, true
}

// handleSIZE reports the stored size (RFC 3659 section 4). In ASCII mode
// the wire size may differ; like most servers we report the stored one.
func (s *session) handleSIZE(arg string) {
	if e, ok := s.statFile("SIZE", arg); ok {
		s.reply(codeFileStatus, strconv.FormatInt(e.Size, 10))
	}
}

func (s *session) handleMDTM(arg string) {
	if e, ok := s.statFile("MDTM", arg); ok {
		s.reply(codeFileStatus, mdtmTime(e.ModTime))
	}
}

func (s *session) handleREST(arg string) {
	n, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
	if err != nil || n < 0 {
		s.reply(codeBadArguments, "REST needs a non-negative byte offset.")
		return
	}
	s.restAt = n
	s.reply(codePending, "Restarting at "+strconv.FormatInt(n, 10)+". Send STOR or RETR.")
}

// takeRest returns the pending REST offset and clears it: REST applies to
// the next transfer only.
func (s *session) takeRest() int64 {
	n := s.restAt
	s.restAt = 0
	return n
}

// dataReady checks the data-channel preconditions shared by every
// transfer command.
func (s *session) dataReady() bool {
	if s.tlsRequired() && !s.protP {
		s.closeData()
		s.reply(codeProtRequired, "Data connections must be protected: send PBSZ 0 and PROT P.")
		return false
	}
	if s.data == nil {
		s.reply(codeCantOpenData, "Use PASV, EPSV, PORT or EPRT first.")
		return false
	}
	return true
}

func (s *session) handleRETR(arg string) {
	p := s.abs(arg)
	offset := s.takeRest()
	if !s.dataReady() {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r, err := s.openForRead(ctx, p, offset)
	if err != nil {
		cancel()
		s.closeData()
		if errors.Is(err, errRestPastEnd) {
			s.reply(codeBadRestart, "Restart position is beyond the end of the file.")
			return
		}
		s.replyErr("RETR", p, err)
		return
	}
	ascii := s.ascii
	s.startTransfer(ctx, cancel, transferJob{
		verb: "RETR", path: p, offset: offset, size: max(r.Size()-offset, 0),
		opening: "Opening " + modeName(ascii) + " mode data connection for " + sanitize(path.Base(p)) + ".",
		run: func(ctx context.Context, conn net.Conn, t *transfer) error {
			if !ascii {
				return copyCounted(conn, r, t, toClient)
			}
			bw := bufio.NewWriterSize(conn, 64<<10)
			if err := copyCounted(&crlfWriter{w: bw}, r, t, toClient); err != nil {
				return err
			}
			return netFailed(opWrite, bw.Flush())
		},
		finish: func(error) error {
			r.Close()
			return nil
		},
		done: "Transfer complete.",
	})
}

var errRestPastEnd = errors.New("restart offset past end of file")

// openForRead opens p at offset, refusing an offset past the end: the
// Reader tells the size, so the download costs the store one question.
func (s *session) openForRead(ctx context.Context, p string, offset int64) (backends.Reader, error) {
	r, err := s.fs.Open(ctx, p, offset)
	if err != nil {
		return nil, err
	}
	if offset > r.Size() {
		r.Close()
		return nil, errRestPastEnd
	}
	return r, nil
}

func (s *session) handleSTOR(arg string) {
	s.store("STOR", s.abs(arg), s.takeRest(), "")
}

// handleAPPE appends by rewriting: object stores cannot append in place,
// so the existing object is copied into the new upload, server side of
// this process, before the client's data.
func (s *session) handleAPPE(arg string) {
	p := s.abs(arg)
	s.takeRest()
	var offset int64
	e, err := s.fs.Stat(s.ctx, p)
	switch {
	case err == nil && e.IsDir:
		s.replyErr("APPE", p, backends.ErrIsDir)
		return
	case err == nil:
		offset = e.Size
	case !errors.Is(err, backends.ErrNotExist):
		s.replyErr("APPE", p, err)
		return
	}
	s.store("APPE", p, offset, "")
}

// handleSTOU stores under a new unique name in the working directory and
// says the name in the 150 reply (RFC 1123 section 4.1.2.9).
func (s *session) handleSTOU(string) {
	s.takeRest()
	for i := 0; i < 5; i++ {
		var b [8]byte
		rand.Read(b[:])
		name := "ftpsbridge-" + hex.EncodeToString(b[:])
		p := s.abs(name)
		if _, err := s.fs.Stat(s.ctx, p); errors.Is(err, backends.ErrNotExist) {
			s.store("STOU", p, 0, name)
			return
		}
	}
	s.reply(codeLocalError, "Could not choose a unique file name.")
}

// store runs an upload: the storage writer is created first (so denied
// permissions get 550 before 150), data streams into it, and 226 is sent
// only after Commit. Any failure or abort discards the staged upload.
func (s *session) store(verb, p string, offset int64, uniqueName string) {
	if !s.dataReady() {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	opts, rec := s.createOptions(offset)
	w, err := s.fs.Create(ctx, p, offset, opts)
	if err != nil {
		cancel()
		s.closeData()
		s.emitRefused(verb, p, err)
		s.replyErr(verb, p, err)
		return
	}
	if rec != nil {
		w = rec.wrap(w)
	}
	ascii, allo := s.ascii, s.allo
	s.allo = 0
	opening := "Opening " + modeName(ascii) + " mode data connection for " + sanitize(path.Base(p)) + "."
	done := "Transfer complete."
	if uniqueName != "" {
		opening = "FILE: " + uniqueName
		done = "Transfer complete; stored as " + uniqueName + "."
	}
	s.startTransfer(ctx, cancel, transferJob{
		verb: verb, path: p, opening: opening, done: done, upload: true, checksums: checksumsOf(rec),
		size: allo,
		run: func(ctx context.Context, conn net.Conn, t *transfer) error {
			var dst io.Writer = w
			lw := &lfWriter{w: w}
			if ascii {
				dst = lw
			}
			if err := copyCounted(dst, conn, t, fromClient); err != nil {
				return err
			}
			if ascii {
				// A CR held back at the end of the stream.
				if err := storageFailed(opWrite, lw.Close()); err != nil {
					return err
				}
			}
			return netFailed(opEnd, s.checkComplete(t, allo))
		},
		finish: func(outcome error) error {
			if outcome != nil {
				if err := w.Abort(); err != nil {
					s.log.Warn("aborting upload failed", "path", p, "err", err)
				}
				s.log.Info("upload aborted; nothing stored", "path", p)
				return nil
			}
			return storageFailed(opCommit, w.Commit())
		},
	})
}

var (
	errTruncated    = errors.New("data connection closed without TLS close_notify")
	errSizeMismatch = errors.New("received byte count differs from ALLO")
)

// checkComplete decides whether an upload that reached EOF is whole. A
// TLS data connection cut without close_notify may be a truncated file;
// tls.upload_without_close_notify says whether to keep it (some clients
// never send close_notify) or discard it. A byte count that differs from
// the client's own ALLO announcement is always discarded.
func (s *session) checkComplete(t *transfer, allo int64) error {
	if allo > 0 && t.bytes.Load() != allo {
		return errSizeMismatch
	}
	if t.uncleanEnd() {
		if s.srv.cfg.TLS.UploadWithoutCloseNotify == UncleanAbort {
			return errTruncated
		}
		s.log.Warn("upload ended without TLS close_notify; committing as configured", "path", t.path, "bytes", t.bytes.Load())
	}
	return nil
}

func modeName(ascii bool) string {
	if ascii {
		return "ASCII"
	}
	return "BINARY"
}

func (s *session) handleLIST(arg string) { s.list("LIST", parseListArgs(arg), formatLIST) }
func (s *session) handleNLST(arg string) { s.list("NLST", parseListArgs(arg), formatNLST) }
func (s *session) handleMLSD(arg string) { s.list("MLSD", arg, formatMLSD) }

// list runs a listing transfer. The directory is opened before 150, so a
// missing directory or a denied list permission gets 550.
func (s *session) list(verb, arg string, format listFormat) {
	if !s.dataReady() {
		return
	}
	p := s.cwd
	if strings.TrimSpace(arg) != "" {
		p = s.abs(arg)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	e, l, err := s.openListing(ctx, p, format)
	if err != nil {
		cancel()
		s.closeData()
		s.replyErr(verb, p, err)
		return
	}
	s.startTransfer(ctx, cancel, transferJob{
		verb: verb, path: p, opening: "Opening data connection for directory listing.",
		run: func(ctx context.Context, conn net.Conn, t *transfer) error {
			ew := &errWriter{w: conn, t: t}
			bw := bufio.NewWriterSize(ew, 32<<10)
			err := s.writeListing(ctx, bw, p, e, l, format)
			if err == nil {
				err = bw.Flush()
			}
			if ew.err != nil {
				// The listing failed because the client's side did.
				return netFailed(opWrite, ew.err)
			}
			return storageFailed(opList, err)
		},
		finish: func(error) error {
			if l != nil {
				l.Close()
			}
			return nil
		},
		done: "Directory listing sent.",
	})
}

func (s *session) openListing(ctx context.Context, p string, format listFormat) (backends.Entry, backends.Lister, error) {
	e, err := s.fs.Stat(ctx, p)
	if err != nil {
		return e, nil, err
	}
	if !e.IsDir {
		if format == formatMLSD {
			return e, nil, backends.ErrNotDir
		}
		return e, nil, nil
	}
	l, err := s.fs.List(ctx, p)
	return e, l, err
}
