package backendtest

import (
	"bytes"
	"context"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var writeCases = []testCase{
	{"Write/AbortLeavesNothing", testAbort},
	{"Write/CancelLeavesNothing", testCancel},
	{"Write/InvisibleBeforeCommit", testInvisible},
	{"Write/PreviousVersionUntilCommit", testPreviousVersion},
	{"Write/LastCommitWins", testLastCommitWins},
	{"Write/OverwriteShorter", testOverwrite},
	{"Write/AfterCommit", testAfterCommit},
	{"Write/AfterAbort", testAfterAbort},
}

// create starts a writer and writes data to it, without committing.
func create(t *testing.T, ctx context.Context, b backends.Bucket, key string, data []byte) backends.Writer {
	t.Helper()
	w, err := b.Create(ctx, key, backends.CreateOptions{})
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	for len(data) > 0 {
		n := min(len(data), chunkSize)
		if _, err := w.Write(data[:n]); err != nil {
			t.Fatalf("Write to %q: %v", key, err)
		}
		data = data[n:]
	}
	return w
}

// testAbort aborts an upload large enough to have started parts: nothing
// may remain, not even the new parent directories.
func testAbort(t *testing.T, s *suite) {
	b := s.bucket(t)
	w := create(t, t.Context(), b, "new/dir/f", randomBytes(1, int(s.opts.PartSize)+1))
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	checkMissing(t, b, "new/dir/f")
	s.checkNames(t, b, "")
	s.checkNoPendingUploads(t)
}

// testCancel cancels the writer's context mid-upload: Commit must fail
// and nothing may remain.
func testCancel(t *testing.T, s *suite) {
	b := s.bucket(t)
	ctx, cancel := context.WithCancel(t.Context())
	w := create(t, ctx, b, "new/dir/f", randomBytes(2, int(s.opts.PartSize)+1))
	cancel()
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after cancelling the context succeeded, want an error")
	}
	checkMissing(t, b, "new/dir/f")
	s.checkNames(t, b, "")
	s.checkNoPendingUploads(t)
	w.Abort()
}

func testInvisible(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "d/other", []byte("x"))
	data := []byte("staged content")
	w := create(t, t.Context(), b, "d/f", data)
	defer w.Abort()
	checkMissing(t, b, "d/f")
	s.checkNames(t, b, "d", "other")
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	checkContent(t, b, "d/f", data)
	s.checkNames(t, b, "d", "f", "other")
}

func testPreviousVersion(t *testing.T, s *suite) {
	b := s.bucket(t)
	old, next := []byte("old version"), []byte("the next version, longer")
	put(t, b, "f", old)
	w := create(t, t.Context(), b, "f", next)
	defer w.Abort()
	checkFile(t, b, "f", int64(len(old)))
	checkContent(t, b, "f", old)
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	checkContent(t, b, "f", next)
}

// testLastCommitWins interleaves two writers on one key; whichever commits
// last is what is read, whole, in both orders.
func testLastCommitWins(t *testing.T, s *suite) {
	for _, firstCommitsLast := range []bool{false, true} {
		b := s.bucket(t)
		a, c := bytes.Repeat([]byte{'a'}, 3*chunkSize+11), bytes.Repeat([]byte{'c'}, 2*chunkSize+5)
		wa := create(t, t.Context(), b, "k", nil)
		wc := create(t, t.Context(), b, "k", nil)
		for i := 0; i < 3; i++ {
			for _, p := range []struct {
				w    backends.Writer
				data []byte
			}{{wa, a}, {wc, c}} {
				chunk := p.data[i*len(p.data)/3 : (i+1)*len(p.data)/3]
				if _, err := p.w.Write(chunk); err != nil {
					t.Fatalf("interleaved Write: %v", err)
				}
			}
		}
		order, want := []backends.Writer{wa, wc}, c
		if firstCommitsLast {
			order, want = []backends.Writer{wc, wa}, a
		}
		for _, w := range order {
			if err := w.Commit(); err != nil {
				t.Fatalf("Commit: %v", err)
			}
		}
		checkContent(t, b, "k", want)
	}
}

func testOverwrite(t *testing.T, s *suite) {
	b := s.bucket(t)
	long, short := randomBytes(3, 200_000), []byte("short")
	put(t, b, "f", long)
	put(t, b, "f", short)
	checkFile(t, b, "f", int64(len(short)))
	checkContent(t, b, "f", short)
	if e := s.checkListed(t, b, "", "f"); e.Size != int64(len(short)) {
		t.Errorf("List size of overwritten file = %d, want %d", e.Size, len(short))
	}
}

// testAfterCommit: Write fails, Commit and Abort are harmless, and the
// object stays.
func testAfterCommit(t *testing.T, s *suite) {
	b := s.bucket(t)
	w := create(t, t.Context(), b, "f", []byte("data"))
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Commit succeeded, want an error")
	}
	if err := w.Commit(); err != nil {
		t.Errorf("second Commit: %v, want nil", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
	checkContent(t, b, "f", []byte("data"))
}

// testAfterAbort: Write and Commit fail, Abort again is harmless, and no
// object appears.
func testAfterAbort(t *testing.T, s *suite) {
	b := s.bucket(t)
	w := create(t, t.Context(), b, "f", []byte("data"))
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Abort succeeded, want an error")
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded, want an error")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v, want nil", err)
	}
	checkMissing(t, b, "f")
	s.checkNames(t, b, "")
}
