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
	// run moves the data over the open data connection. Its error says
	// by its type which side failed (transfer_errors.go): the reply is
	// chosen from it alone.
	run func(ctx context.Context, conn net.Conn, t *transfer) error
	// finish is called once with the outcome (nil on success) after the
	// data connection is closed; for uploads it commits or aborts, and
	// its error, typed like run's, decides the reply. It runs even if
	// the data connection never opened.
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
	if err != nil {
		err = netFailed(opOpen, err)
	} else if t.setConn(conn) {
		err = job.run(ctx, conn, t)
		// A failed close loses nothing of an upload (every byte was
		// read), but may have lost the end of a download.
		if cerr := closeDataConn(conn, err == nil); err == nil && !job.upload {
			err = netFailed(opClose, cerr)
		}
	}
	if t.aborted.Load() {
		err = errors.Join(errAborted, err)
	}
	if ferr := job.finish(err); ferr != nil {
		err = errors.Join(err, ferr)
	}

	code, msg, result := transferReply(err)
	if err == nil {
		msg = job.done
	}
	level := slog.LevelInfo
	if result != "ok" {
		level = slog.LevelWarn
	}
	took := time.Since(start)
	s.log.Log(context.Background(), level, "transfer",
		"command", job.verb, "path", job.path, "bytes", t.bytes.Load(),
		"duration", took.Round(time.Millisecond), "result", result,
		"reply", code, "err", err)
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

// closeDataConn closes a data connection. For TLS, a clean close sends
// close_notify, which tells the client it has the whole file; an unclean
// one (the transfer failed) cuts the connection under TLS without it, so
// that a client that does not know the size still sees a truncated file
// as truncated (crypto/tls's Close would send close_notify either way).
func closeDataConn(conn net.Conn, clean bool) error {
	if !clean {
		if c, ok := conn.(*coalescedConn); ok && c.watch != nil {
			return c.watch.Conn.Close()
		}
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

// copyCounted copies src to dst, counting bytes into t. f says which of
// the two is storage and which the data connection, so the error returned
// is typed with the side that failed (a read error is the source's, a
// write error the destination's).
func copyCounted(dst io.Writer, src io.Reader, t *transfer, f flow) error {
	if wt, ok := src.(io.WriterTo); ok {
		// The source writes for itself (a store's reader filling whole
		// chunks, or ranges read ahead in parallel, before each write
		// to the client).
		cw := &countingWriter{w: dst, t: t}
		_, err := wt.WriteTo(cw)
		if cw.err != nil {
			return f.writeFailed(cw.err)
		}
		return f.readFailed(err)
	}
	if rf, ok := dst.(io.ReaderFrom); ok {
		// The destination reads for itself (a staged upload filling its
		// part buffers): no copy through our buffer. Errors are told
		// apart by where they happened.
		cr := &countingReader{r: src, t: t}
		_, err := rf.ReadFrom(cr)
		if cr.err != nil && !errors.Is(cr.err, io.EOF) {
			return f.readFailed(cr.err)
		}
		return f.writeFailed(err)
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
				return f.writeFailed(werr)
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return f.readFailed(rerr)
		}
	}
}
