package ftps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// TestTransferReply pins the table from a transfer's error to its reply
// and result: the side comes from the error's type, the storage reply
// from the cause's class.
func TestTransferReply(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	cases := []struct {
		name   string
		err    error
		code   int
		result string
		text   string // in the reply's text
	}{
		{"success", nil, 226, "ok", ""},
		{"abort", errors.Join(errAborted, nil), 426, "aborted", "aborted"},
		{"abort wins over what it caused", errors.Join(errAborted, storageFailed(opRead, context.Canceled)), 426, "aborted", "aborted"},
		{"no data connection", netFailed(opOpen, os.ErrDeadlineExceeded), 425, "no data connection", "open data connection"},
		{"client cut a download", netFailed(opWrite, reset), 426, "connection lost", "Data connection closed"},
		{"client cut an upload", netFailed(opRead, reset), 426, "connection lost", "Data connection closed"},
		{"data connection stalled", netFailed(opWrite, os.ErrDeadlineExceeded), 426, "connection lost", "Data connection closed"},
		{"download's close failed", netFailed(opClose, reset), 426, "connection lost", "Data connection closed"},
		{"upload without close_notify", netFailed(opEnd, errTruncated), 451, "incomplete upload", "close_notify"},
		{"upload shorter than ALLO", netFailed(opEnd, errSizeMismatch), 451, "incomplete upload", "ALLO"},
		{"store unavailable mid-download", storageFailed(opRead, fmt.Errorf("get: %w", backends.ErrTransient)), 451, "storage error", "temporarily unavailable"},
		// The store's own connection broke: still the storage side, so
		// 451, never the 426 of the client's connection.
		{"store connection cut", storageFailed(opRead, reset), 451, "storage error", "local error"},
		{"file gone mid-download", storageFailed(opRead, backends.ErrNotExist), 550, "storage error", "No such file"},
		{"permission", storageFailed(opWrite, backends.ErrPermission), 550, "storage error", "Permission denied"},
		{"upload size limit", storageFailed(opWrite, fmt.Errorf("write: %w", backends.ErrFileTooLarge)), 552, "storage error", "size limit"},
		{"store full", storageFailed(opWrite, backends.ErrQuota), 552, "storage error", "quota"},
		{"listing failed", storageFailed(opList, backends.ErrTransient), 451, "storage error", "temporarily unavailable"},
		{"commit failed", errors.Join(nil, storageFailed(opCommit, backends.ErrTransient)), 451, "commit failed", "temporarily unavailable"},
		{"commit lost a race", storageFailed(opCommit, backends.ErrExist), 550, "commit failed", "already exists"},
		{"commit over the limit", storageFailed(opCommit, backends.ErrFileTooLarge), 552, "commit failed", "size limit"},
		{"wrapped again", fmt.Errorf("retr: %w", netFailed(opWrite, io.ErrClosedPipe)), 426, "connection lost", "Data connection closed"},
		{"untyped is the server's side", errors.New("boom"), 451, "storage error", "local error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, msg, result := transferReply(c.err)
			if code != c.code || result != c.result || !strings.Contains(msg, c.text) {
				t.Fatalf("transferReply(%v) = %d %q (%s), want %d with %q (%s)", c.err, code, msg, result, c.code, c.text, c.result)
			}
			if c.err != nil && strings.Contains(msg, c.err.Error()) {
				t.Fatalf("the reply %q carries the error's text", msg)
			}
		})
	}
}

// TestTransferErrorsUnwrap: the typed sides keep their cause reachable,
// so the storage class and the sentinels still classify.
func TestTransferErrorsUnwrap(t *testing.T) {
	err := fmt.Errorf("stor: %w", storageFailed(opWrite, fmt.Errorf("put: %w", backends.ErrQuota)))
	var se *storageError
	if !errors.As(err, &se) || se.op != opWrite || backends.Kind(err) != backends.ErrQuota {
		t.Fatalf("storage error lost its side or class: %v", err)
	}
	var ne *networkError
	if errors.As(err, &ne) {
		t.Fatal("a storage error reads as a network error")
	}
	err = netFailed(opEnd, errTruncated)
	if !errors.As(err, &ne) || !errors.Is(err, errTruncated) || errors.As(err, &se) {
		t.Fatalf("network error lost its side or cause: %v", err)
	}
	if netFailed(opRead, nil) != nil || storageFailed(opRead, nil) != nil {
		t.Fatal("typing a nil error made a failure")
	}
}

// TestCopyCountedSides: whichever way a copy runs and whichever fast path
// it takes, a failure of storage is a storageError and a failure of the
// client's connection a networkError. Swapping the two is what the types
// are there to prevent.
func TestCopyCountedSides(t *testing.T) {
	errSrc, errDst := errors.New("source failed"), errors.New("destination failed")
	sources := map[string]func(error) io.Reader{
		"reader":   func(err error) io.Reader { return &failingReader{err: err} },
		"WriterTo": func(err error) io.Reader { return &writerToSource{failingReader{err: err}} },
	}
	dests := map[string]func(error) io.Writer{
		"writer":     func(err error) io.Writer { return &failingWriter{err: err} },
		"ReaderFrom": func(err error) io.Writer { return &readerFromDest{failingWriter{err: err}} },
	}
	type side int
	const (
		network side = iota
		storage
	)
	// which side a failure of the source or the destination is, by flow.
	blame := map[flow][2]side{toClient: {storage, network}, fromClient: {network, storage}}
	for fname, f := range map[string]flow{"download": toClient, "upload": fromClient} {
		for sname, src := range sources {
			for dname, dst := range dests {
				for i, failing := range []string{"source", "destination"} {
					t.Run(fname+"/"+sname+"/"+dname+"/"+failing+" fails", func(t *testing.T) {
						var srcErr, dstErr error
						want := errSrc
						if i == 0 {
							srcErr = errSrc
						} else {
							dstErr, want = errDst, errDst
						}
						err := copyCounted(dst(dstErr), src(srcErr), &transfer{}, f)
						var (
							ne *networkError
							se *storageError
						)
						isNet, isStorage := errors.As(err, &ne), errors.As(err, &se)
						ok := isNet != isStorage && isNet == (blame[f][i] == network)
						if !errors.Is(err, want) || !ok {
							t.Fatalf("copy failed with %v (network %v, storage %v), want %v blamed on the %s",
								err, isNet, isStorage, want, map[side]string{network: "network", storage: "storage"}[blame[f][i]])
						}
					})
				}
			}
		}
	}
	t.Run("success", func(t *testing.T) {
		tr := &transfer{}
		if err := copyCounted(&failingWriter{}, &failingReader{}, tr, fromClient); err != nil || tr.bytes.Load() != 3 {
			t.Fatalf("clean copy: %v, %d bytes", err, tr.bytes.Load())
		}
	})
}

// failingReader yields "abc", then err (io.EOF when err is nil).
type failingReader struct {
	err  error
	done bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.done {
		if r.err == nil {
			return 0, io.EOF
		}
		return 0, r.err
	}
	r.done = true
	return copy(p, "abc"), nil
}

// failingWriter accepts writes until err is set.
type failingWriter struct{ err error }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// writerToSource is a source with its own WriteTo, as a store's reader
// that reads ahead: it returns the destination's error as it got it, or
// its own.
type writerToSource struct{ failingReader }

func (s *writerToSource) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, "abc")
	if err != nil {
		return int64(n), err
	}
	return int64(n), s.failingReader.err
}

// readerFromDest is a destination with its own ReadFrom, as a staged
// upload filling its part buffers: it returns the source's error as it
// got it, or its own.
// (A WriterTo source writes to it with Write: that path comes first.)
type readerFromDest struct{ failingWriter }

func (d *readerFromDest) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return n, err
	}
	return n, d.failingWriter.err
}
