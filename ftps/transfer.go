package ftps

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// transfer is one running data transfer. It runs in its own goroutine so
// that the control connection can still read ABOR, STAT and QUIT.
type transfer struct {
	verb, path string
	cancel     context.CancelFunc
	done       chan struct{}
	aborted    atomic.Bool
	bytes      atomic.Int64
	// For the console (registry.go): set before the transfer is visible.
	started time.Time
	upload  bool
	size    atomic.Int64

	mu   sync.Mutex
	conn net.Conn
	// rawEOF is set when the data connection is TLS: it tells a clean
	// close_notify from a connection that was merely cut.
	rawEOF *eofWatch
}

// uncleanEnd reports whether a TLS data connection ended without
// close_notify: crypto/tls reports both as io.EOF, so the raw
// connection's EOF is watched below TLS. After a close_notify, TLS stops
// reading and the raw EOF is never seen.
func (t *transfer) uncleanEnd() bool {
	return t.rawEOF != nil && t.rawEOF.eof.Load()
}

// eofWatch records whether the raw connection under TLS hit EOF.
//
// It also gathers the TLS records of one large write into one write to the
// network (see coalesce): crypto/tls writes every 16 KiB record with a
// syscall of its own, which on a small virtual machine costs more than
// the encryption.
type eofWatch struct {
	net.Conn
	eof atomic.Bool

	mu   sync.Mutex // serialises writes: TLS alerts may come from Close
	hold bool
	buf  []byte
}

func (e *eofWatch) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hold {
		e.buf = append(e.buf, p...)
		return len(p), nil
	}
	return e.Conn.Write(p)
}

// coalesce runs write (a tls.Conn.Write) with the records it produces held
// back, then sends them with one write.
func (e *eofWatch) coalesce(write func() (int, error)) (int, error) {
	e.mu.Lock()
	e.hold = true
	e.mu.Unlock()
	n, err := write()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hold = false
	if len(e.buf) > 0 {
		_, ferr := e.Conn.Write(e.buf)
		e.buf = e.buf[:0]
		if err == nil && ferr != nil {
			// Nothing of this write reached the client for sure.
			return 0, ferr
		}
	}
	return n, err
}

// coalescedConn is a TLS data connection whose writes go out whole.
type coalescedConn struct {
	*timeoutConn
	watch *eofWatch
}

func (c *coalescedConn) Write(p []byte) (int, error) {
	return c.watch.coalesce(func() (int, error) { return c.timeoutConn.Write(p) })
}

func (e *eofWatch) Read(p []byte) (int, error) {
	n, err := e.Conn.Read(p)
	if errors.Is(err, io.EOF) {
		e.eof.Store(true)
	}
	return n, err
}

// abort stops the transfer: the context (and so the storage operation) is
// cancelled and the data connection closed, which unblocks any copy.
func (t *transfer) abort() {
	t.aborted.Store(true)
	t.cancel()
	t.mu.Lock()
	if t.conn != nil {
		t.conn.Close()
	}
	t.mu.Unlock()
}

func (t *transfer) setConn(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aborted.Load() {
		c.Close()
		return false
	}
	t.conn = c
	return true
}

// transferJob describes the work of one transfer command.
type transferJob struct {
	verb, path string
	// upload: data flows from the client. A failed close of the data
	// connection then does not matter: every byte has been read.
	upload bool
	// opening is the text of the 150 reply.
	opening string
	// run moves the data over the open data connection. It reports
	// separately an error of the storage side and of the network side, so
	// the reply can blame the right one.
	run func(ctx context.Context, conn net.Conn, t *transfer) (storageErr, netErr error)
	// finish is called once with the outcome (nil on success) after the
	// data connection is closed; for uploads it commits or aborts, and
	// its error decides the reply. It runs even if the data connection
	// never opened.
	finish func(err error) error
	// done is the text of the 226 reply.
	done string
	// checksums, when set, gives the digests computed on an upload's
	// stream, by algorithm, for its event.
	checksums func() map[string]string
	// size is the expected byte count (an upload's ALLO, what a
	// download will send), offset the REST offset of a download.
	size, offset int64
}

var errAborted = errors.New("transfer aborted by client")

// startTransfer runs job in a goroutine with the prepared data source.
// Before calling it the handler has already checked permissions and
// opened the storage side, so errors such as 550 come before 150.
func (s *session) startTransfer(ctx context.Context, cancel context.CancelFunc, job transferJob) {
	src := s.data
	s.data = nil
	t := &transfer{verb: job.verb, path: job.path, cancel: cancel, done: make(chan struct{})}
	s.noteTransfer(t, job)
	s.tmu.Lock()
	s.transfer = t
	s.tmu.Unlock()
	// No idle timeout on the control connection while data flows.
	s.conn.SetReadDeadline(time.Time{})
	go func() {
		defer close(t.done)
		defer cancel()
		defer s.transferEnded()
		s.runTransfer(ctx, src, t, job)
	}()
}

func (s *session) runTransfer(ctx context.Context, src dataSource, t *transfer, job transferJob) {
	start := time.Now()
	s.reply(codeFileStatusOK, job.opening)
	conn, watch, err := s.openData(ctx, src)
	t.rawEOF = watch
	var storageErr, netErr error
	if err != nil {
		netErr = err
	} else if t.setConn(conn) {
		storageErr, netErr = job.run(ctx, conn, t)
		if cerr := closeDataConn(conn, netErr == nil && storageErr == nil); netErr == nil && cerr != nil && !job.upload {
			netErr = cerr
		}
	}
	if t.aborted.Load() {
		netErr = errAborted
	}
	outcome := errors.Join(storageErr, netErr)
	finishErr := job.finish(outcome)

	code, msg := codeTransferDone, job.done
	result := "ok"
	switch {
	case t.aborted.Load():
		code, msg, result = codeTransferAborted, "Transfer aborted.", "aborted"
	case err != nil:
		code, msg, result = codeCantOpenData, "Cannot open data connection.", "no data connection"
	case errors.Is(netErr, errTruncated) || errors.Is(netErr, errSizeMismatch):
		code, msg = errorReply(netErr)
		result = "incomplete upload"
	case netErr != nil:
		code, msg, result = codeTransferAborted, "Data connection closed; transfer aborted.", "connection lost"
	case storageErr != nil:
		code, msg = errorReply(storageErr)
		result = "storage error"
	case finishErr != nil:
		code, msg = errorReply(finishErr)
		result = "commit failed"
	}
	level := slog.LevelInfo
	if result != "ok" {
		level = slog.LevelWarn
	}
	took := time.Since(start)
	s.log.Log(context.Background(), level, "transfer",
		"command", job.verb, "path", job.path, "bytes", t.bytes.Load(),
		"duration", took.Round(time.Millisecond), "result", result,
		"err", errors.Join(outcome, finishErr))
	s.srv.obs.Transfer(job.verb, strings.ReplaceAll(result, " ", "_"), t.bytes.Load(), took)
	s.emitTransfer(job, strings.ReplaceAll(result, " ", "_"), t.bytes.Load(), took, code, msg)
	s.recordFinished(t, result, took)
	s.reply(code, msg)
}

func (s *session) transferEnded() {
	s.tmu.Lock()
	s.transfer = nil
	s.tmu.Unlock()
	s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.Server.IdleTimeout))
}

func (s *session) currentTransfer() *transfer {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	return s.transfer
}

func (s *session) transferRunning() bool { return s.currentTransfer() != nil }

// waitTransfer blocks until the running transfer, if any, has replied.
func (s *session) waitTransfer() {
	if t := s.currentTransfer(); t != nil {
		<-t.done
	}
}

// abortTransfer aborts the running transfer, if any, and waits for it.
func (s *session) abortTransfer() {
	if t := s.currentTransfer(); t != nil {
		t.abort()
		<-t.done
	}
}

// handleABOR follows RFC 959: a running transfer is answered 426, then the
// ABOR itself 226.
func (s *session) handleABOR(string) {
	t := s.currentTransfer()
	if t == nil {
		s.closeData()
		s.reply(codeNoTransfer, "No transfer to abort.")
		return
	}
	t.abort()
	<-t.done
	s.reply(codeTransferDone, "ABOR successful.")
}

// openData opens the prepared data connection and, under PROT P, secures
// it with the control connection's TLS configuration so that clients can
// resume the control session.
func (s *session) openData(ctx context.Context, src dataSource) (net.Conn, *eofWatch, error) {
	if src == nil {
		return nil, nil, errors.New("no data connection prepared")
	}
	defer src.close()
	ctx, cancel := context.WithTimeout(ctx, s.srv.cfg.Server.DataTimeout)
	defer cancel()
	conn, err := src.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	var (
		tc    *tls.Conn
		watch *eofWatch
	)
	switch early, ok := conn.(*earlyTLS); {
	case ok && !s.protP:
		// PROT C after the passive connection was secured under PROT P.
		early.Close()
		return nil, nil, errors.New("data connection secured before PROT C")
	case ok:
		tc, watch = early.Conn, early.watch
	case !s.protP:
		return &timeoutConn{Conn: conn, timeout: s.srv.cfg.Server.DataTimeout}, nil, nil
	default:
		watch = &eofWatch{Conn: conn}
		tc = tls.Server(watch, s.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	if s.srv.cfg.TLS.SessionReuse == ReuseRequired && !tc.ConnectionState().DidResume {
		tc.Close()
		s.srv.warns.Warn(s.log, remoteIP(conn.RemoteAddr()), "data connection refused: TLS session not resumed", "data_remote", conn.RemoteAddr().String())
		return nil, nil, errors.New("data connection did not resume the control connection's TLS session")
	}
	return &coalescedConn{&timeoutConn{Conn: tc, timeout: s.srv.cfg.Server.DataTimeout}, watch}, watch, nil
}

// closeDataConn closes a data connection; for TLS a clean close sends
// close_notify first, so the client can tell a complete file from a cut
// one.
func closeDataConn(conn net.Conn, clean bool) error {
	if !clean {
		return conn.Close()
	}
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return conn.Close()
}

// closeData discards a prepared but unused data connection.
func (s *session) closeData() {
	if s.data != nil {
		s.data.close()
		s.data = nil
	}
}

// timeoutConn refreshes the deadline before every read and write: a data
// connection that makes no progress for timeout is cut, but a long
// transfer that keeps moving never is.
type timeoutConn struct {
	net.Conn
	timeout time.Duration
}

func (c *timeoutConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c *timeoutConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// copyBufSize is the transfer buffer: large enough for full TLS records
// and few syscalls, small enough to keep per-transfer memory low.
const copyBufSize = 256 << 10

// countingReader counts what it reads into the transfer and remembers
// its last error, so a ReaderFrom's error can be told apart.
type countingReader struct {
	r   io.Reader
	t   *transfer
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.t.bytes.Add(int64(n))
	c.err = err
	return n, err
}

// countingWriter counts what it writes into the transfer and remembers
// its error, so a WriterTo's error can be told apart.
type countingWriter struct {
	w   io.Writer
	t   *transfer
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.t.bytes.Add(int64(n))
	if err != nil {
		c.err = err
	}
	return n, err
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// copyCounted copies src to dst, counting bytes into t, and says which
// side failed: a read error is the source's, a write error the
// destination's.
func copyCounted(dst io.Writer, src io.Reader, t *transfer) (readErr, writeErr error) {
	if wt, ok := src.(io.WriterTo); ok {
		// The source writes for itself (a download reading ahead from
		// the store while this goroutine's writes go to the client).
		cw := &countingWriter{w: dst, t: t}
		_, err := wt.WriteTo(cw)
		if cw.err != nil {
			return nil, cw.err
		}
		return err, nil
	}
	if rf, ok := dst.(io.ReaderFrom); ok {
		// The destination reads for itself (a staged upload filling its
		// part buffers): no copy through our buffer. Errors are told
		// apart by where they happened.
		cr := &countingReader{r: src, t: t}
		_, err := rf.ReadFrom(cr)
		if cr.err != nil && !errors.Is(cr.err, io.EOF) {
			return cr.err, nil
		}
		return nil, err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			w, werr := dst.Write(buf[:n])
			t.bytes.Add(int64(w))
			if werr == nil && w < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return nil, werr
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil, nil
		}
		if rerr != nil {
			return rerr, nil
		}
	}
}
