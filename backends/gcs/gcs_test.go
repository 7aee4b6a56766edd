package gcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/backendtest"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// testChunkSize is small so that the conformance suite's one-part and
// one-part-plus-a-byte files exercise both upload paths (one request, and
// a resumable session of two chunks) quickly.
const testChunkSize = 4 * chunkQuantum

// testServer is one fake-gcs-server and a backend on it that hands out a
// fresh, empty bucket per test case.
type testServer struct {
	be      *backend
	buckets atomic.Int64
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv := testenv.StartGCS(t)
	cfg.Endpoint = srv.Endpoint
	be, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return &testServer{be: be.(*backend)}
}

// newBucketName creates a fresh bucket and returns its name.
func (s *testServer) newBucketName(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("case-%04d", s.buckets.Add(1))
	if err := s.be.client.Bucket(name).Create(t.Context(), "test", nil); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	return name
}

func (s *testServer) newStore(t *testing.T) *store {
	t.Helper()
	return s.be.store(s.newBucketName(t))
}

func TestConformance(t *testing.T) {
	s := startServer(t, Config{ChunkSize: testChunkSize, ListPageSize: 100,
		DirRename: objstore.DirRename{RenameDirectories: true},
		Download:  objstore.Download{DownloadConcurrency: 3, DownloadPartSize: 1 << 20}})
	var current atomic.Value
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		name := s.newBucketName(t)
		current.Store(name)
		b, err := s.be.Bucket(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, backendtest.Options{PartSize: testChunkSize, FileAndDirSameName: true, ListPageSize: 100, RenamesDirectories: true,
		RawMetadata: func(t *testing.T, _ backends.Bucket, key string) map[string]string {
			attrs, err := s.be.client.Bucket(current.Load().(string)).Object(key).Attrs(t.Context())
			if err != nil {
				t.Fatalf("Attrs(%s): %v", key, err)
			}
			return attrs.Metadata
		}})
}

func TestStore(t *testing.T) {
	s := startServer(t, Config{ChunkSize: chunkQuantum, ListPageSize: 100})
	cases := []struct {
		name string
		run  func(t *testing.T, st *store)
	}{
		{"head", testHead},
		{"list pages", testListPages},
		{"get from offset", testGetOffset},
		{"get pinned after overwrite", testGetPinned},
		{"create and commit", testCreateCommit},
		{"create and abort", testCreateAbort},
		{"create with cancelled context", testCreateCancel},
		{"writer calls after the end", testWriterCallsAfterEnd},
		{"copy", testCopy},
		{"copy pinned after overwrite", testCopyPinned},
		{"delete", testDelete},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, s.newStore(t)) })
	}
	t.Run("missing bucket", func(t *testing.T) {
		st := s.be.store("no-such-bucket")
		if _, err := st.Head(t.Context(), "k"); !errors.Is(err, backends.ErrNotExist) {
			t.Errorf("Head in a missing bucket: %v, want ErrNotExist", err)
		}
		if _, err := st.List(t.Context(), "", "", 10); !errors.Is(err, backends.ErrNotExist) {
			t.Errorf("List of a missing bucket: %v, want ErrNotExist", err)
		}
	})
}

// upload stores data at key through Create and Commit.
func upload(t *testing.T, st *store, key string, data []byte) objstore.Object {
	t.Helper()
	w, err := st.Create(t.Context(), key, objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("writing %q: %v", key, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("committing %q: %v", key, err)
	}
	obj, err := st.Head(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func download(t *testing.T, st *store, key string, offset int64, version string) ([]byte, error) {
	t.Helper()
	r, err := st.Get(t.Context(), key, offset, 0, version)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func checkMissing(t *testing.T, st *store, key string) {
	t.Helper()
	if obj, err := st.Head(t.Context(), key); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("Head(%q) = %+v, %v; want ErrNotExist", key, obj, err)
	}
}

// pattern returns n bytes that differ at every offset modulo 251.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) ^ seed
	}
	return b
}

func testHead(t *testing.T, st *store) {
	checkMissing(t, st, "k")
	if err := st.PutEmpty(t.Context(), "dir/"); err != nil {
		t.Fatal(err)
	}
	obj, err := st.Head(t.Context(), "dir/")
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != "dir/" || obj.Size != 0 || obj.ModTime.IsZero() || obj.Version == "" {
		t.Errorf("Head(dir/) = %+v", obj)
	}
	file := upload(t, st, "dir/f", []byte("hello"))
	if file.Size != 5 || file.Version == "" || file.Version == obj.Version && file.Key == obj.Key {
		t.Errorf("Head(dir/f) = %+v", file)
	}
}

func testListPages(t *testing.T, st *store) {
	const files, dirs, limit = 23, 6, 7
	if err := st.PutEmpty(t.Context(), "d/"); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range files {
		key := fmt.Sprintf("d/f%02d", i)
		upload(t, st, key, []byte(key))
		want = append(want, key)
	}
	for i := range dirs {
		key := fmt.Sprintf("d/s%02d/", i)
		upload(t, st, key+"x", nil)
		want = append(want, key)
	}
	// A prefix that sorts between two files, where a page may end.
	for i := range files {
		key := fmt.Sprintf("d/f%02da/", i)
		upload(t, st, key+"y", nil)
		want = append(want, key)
	}
	upload(t, st, "other", nil)
	want = append(want, "d/")
	slices.Sort(want)

	// Pages are compared in key order, objects and prefixes merged.
	var got []string
	token, pages := "", 0
	for {
		page, err := st.List(t.Context(), "d/", token, limit)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if n := len(page.Objects) + len(page.Prefixes); n > limit {
			t.Errorf("page %d has %d entries, limit %d", pages, n, limit)
		}
		for _, o := range page.Objects {
			wantSize := int64(len(o.Key))
			if o.Key == "d/" {
				wantSize = 0
			}
			if o.Version == "" || o.ModTime.IsZero() || o.Size != wantSize {
				t.Errorf("listed %+v", o)
			}
			got = append(got, o.Key)
		}
		got = append(got, page.Prefixes...)
		slices.Sort(got[len(got)-len(page.Objects)-len(page.Prefixes):])
		token = page.Next
		if token == "" {
			break
		}
		if pages > 20 {
			t.Fatal("listing does not end")
		}
	}
	if pages < len(want)/limit {
		t.Errorf("%d pages for %d entries at %d per page", pages, len(want), limit)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("listed\n%q\nwant\n%q", got, want)
	}
}

func testGetOffset(t *testing.T, st *store) {
	data := pattern(3*chunkQuantum+5, 1)
	obj := upload(t, st, "big", data)
	for _, off := range []int64{0, 1, chunkQuantum, int64(len(data)) - 1} {
		got, err := download(t, st, "big", off, obj.Version)
		if err != nil {
			t.Fatalf("Get from %d: %v", off, err)
		}
		if !bytes.Equal(got, data[off:]) {
			t.Errorf("Get from %d: %d bytes, want %d", off, len(got), len(data)-int(off))
		}
	}
	if _, err := st.Get(t.Context(), "missing", 0, 0, ""); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("Get(missing): %v, want ErrNotExist", err)
	}
}

func testGetPinned(t *testing.T, st *store) {
	old := upload(t, st, "k", []byte("first version"))
	now := upload(t, st, "k", []byte("second version, longer"))
	if old.Version == now.Version {
		t.Fatalf("overwrite kept generation %s", old.Version)
	}
	_, err := download(t, st, "k", 0, old.Version)
	if !errors.Is(err, backends.ErrTransient) || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Get pinned to an overwritten generation: %v, want ErrTransient saying it changed", err)
	}
	got, err := download(t, st, "k", 7, now.Version)
	if err != nil || string(got) != "version, longer" {
		t.Errorf("Get pinned to the live generation: %q, %v", got, err)
	}
}

func testCreateCommit(t *testing.T, st *store) {
	data := pattern(2*chunkQuantum+chunkQuantum/2, 2)
	w, err := st.Create(t.Context(), "up", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	// Two chunks are in a resumable session now, but nothing is visible.
	checkMissing(t, st, "up")
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := download(t, st, "up", 0, "")
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("after Commit: %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
}

func testCreateAbort(t *testing.T, st *store) {
	for _, size := range []int{10, 3 * chunkQuantum} {
		w, err := st.Create(t.Context(), "aborted", objstore.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(pattern(size, 3)); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		checkMissing(t, st, "aborted")
	}
	page, err := st.List(t.Context(), "", "", 10)
	if err != nil || len(page.Objects)+len(page.Prefixes) != 0 {
		t.Errorf("bucket after aborts: %+v, %v; want empty", page, err)
	}
}

func testCreateCancel(t *testing.T, st *store) {
	ctx, cancel := context.WithCancel(t.Context())
	w, err := st.Create(ctx, "cancelled", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(2*chunkQuantum, 4)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Commit(); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit after cancel: %v, want context.Canceled", err)
	}
	checkMissing(t, st, "cancelled")
}

func testWriterCallsAfterEnd(t *testing.T, st *store) {
	w, err := st.Create(t.Context(), "k", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Errorf("second Commit: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Commit succeeded")
	}
	if got, err := download(t, st, "k", 0, ""); err != nil || string(got) != "data" {
		t.Errorf("after Abort following Commit: %q, %v", got, err)
	}

	w, err = st.Create(t.Context(), "gone", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	checkMissing(t, st, "gone")
}

func testCopy(t *testing.T, st *store) {
	data := pattern(2*chunkQuantum+1, 5)
	src := upload(t, st, "a/src", data)
	if err := st.Copy(t.Context(), src, "b/dst"); err != nil {
		t.Fatal(err)
	}
	got, err := download(t, st, "b/dst", 0, "")
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("copy holds %d bytes, %v; want %d", len(got), err, len(data))
	}
	if _, err := st.Head(t.Context(), "a/src"); err != nil {
		t.Errorf("source after copy: %v", err)
	}
}

func testCopyPinned(t *testing.T, st *store) {
	old := upload(t, st, "src", []byte("old"))
	upload(t, st, "src", []byte("new"))
	err := st.Copy(t.Context(), old, "dst")
	if !errors.Is(err, backends.ErrTransient) {
		t.Errorf("Copy pinned to an overwritten generation: %v, want ErrTransient", err)
	}
	checkMissing(t, st, "dst")
}

func testDelete(t *testing.T, st *store) {
	upload(t, st, "k", []byte("x"))
	if err := st.Delete(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	checkMissing(t, st, "k")
	if err := st.Delete(t.Context(), "k"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
}

// TestEmulatorHostVariable checks the documented alternative to Endpoint:
// with STORAGE_EMULATOR_HOST set and no endpoint, the SDK itself reaches
// the emulator without credentials.
func TestEmulatorHostVariable(t *testing.T) {
	srv := testenv.StartGCS(t)
	t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
	be, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	s := &testServer{be: be.(*backend)}
	st := s.newStore(t)
	upload(t, st, "k", []byte("via the variable"))
	if got, err := download(t, st, "k", 4, ""); err != nil || string(got) != "the variable" {
		t.Errorf("read back %q, %v", got, err)
	}
}

// TestStorageClass checks that uploads and markers get the configured
// class. Copies ask for it too, but fake-gcs-server's rewrite ignores a
// storageClass in the request, so they cannot be checked here.
func TestStorageClass(t *testing.T) {
	s := startServer(t, Config{StorageClass: "NEARLINE"})
	st := s.newStore(t)
	src := upload(t, st, "f", []byte("x"))
	if err := st.PutEmpty(t.Context(), "d/"); err != nil {
		t.Fatal(err)
	}
	if err := st.Copy(t.Context(), src, "g"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"f", "d/"} {
		attrs, err := st.bucket.Object(key).Attrs(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if attrs.StorageClass != "NEARLINE" {
			t.Errorf("%q has storage class %q, want NEARLINE", key, attrs.StorageClass)
		}
	}
}
