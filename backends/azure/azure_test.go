package azure

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/backendtest"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// testBlockSize keeps the multi-block cases small.
const testBlockSize = 1 << 20

// fixture is one Azurite and a shared-key driver on it.
type fixture struct {
	server *testenv.AzureServer
	be     *backend
	n      atomic.Int64
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	srv := testenv.StartAzurite(t)
	cfg.AccountName, cfg.AccountKey, cfg.Endpoint = srv.Account, srv.Key, srv.Endpoint
	be, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { be.Close() })
	return &fixture{server: srv, be: be.(*backend)}
}

// newContainer creates a fresh container and returns its name.
func (f *fixture) newContainer(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("case-%04d", f.n.Add(1))
	if _, err := f.be.service.CreateContainer(t.Context(), name, nil); err != nil {
		t.Fatalf("CreateContainer(%s): %v", name, err)
	}
	return name
}

func (f *fixture) newStore(t *testing.T) *store {
	t.Helper()
	return f.be.store(f.newContainer(t))
}

func wantKind(t *testing.T, err error, what string, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got %v, want %v", what, err, kind)
	}
}

func putWhole(t *testing.T, s *store, key string, data []byte) objstore.Object {
	t.Helper()
	up := &blockUpload{s: s, key: key, blob: s.container.NewBlockBlobClient(key), prefix: newBlockPrefix()}
	if err := up.PutWhole(t.Context(), data); err != nil {
		t.Fatalf("PutWhole(%q): %v", key, err)
	}
	obj, err := s.Head(t.Context(), key)
	if err != nil {
		t.Fatalf("Head(%q): %v", key, err)
	}
	return obj
}

func readAll(t *testing.T, s *store, key string, offset int64, version string) []byte {
	t.Helper()
	r, err := s.Get(t.Context(), key, offset, 0, version)
	if err != nil {
		t.Fatalf("Get(%q, %d): %v", key, offset, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return data
}

func checkMissing(t *testing.T, s *store, key string) {
	t.Helper()
	_, err := s.Head(t.Context(), key)
	wantKind(t, err, fmt.Sprintf("Head(%q)", key), backends.ErrNotExist)
}

// pattern is n bytes that differ from block to block and from seed to seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i/997) ^ byte(i) ^ seed
	}
	return b
}

func TestStore(t *testing.T) {
	f := newFixture(t, Config{BlockSize: testBlockSize, UploadConcurrency: 3, ListPageSize: 10})
	cases := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"HeadAndPutWhole", testHeadAndPutWhole},
		{"ListPages", testListPages},
		{"GetOffset", testGetOffset},
		{"GetPinnedAfterOverwrite", testGetPinned},
		{"CorruptBlockRefused", testCorruptBlock},
		{"MultiBlockCommitted", testMultiBlock},
		{"WriterMultiBlock", testWriterMultiBlock},
		{"AbortLeavesNoBlob", testAbort},
		{"ConcurrentUploadsOneBlob", testConcurrentUploads},
		{"ForeignBlockIDs", testForeignBlockIDs},
		{"CopySync", testCopySync},
		{"CopyAsync", testCopyAsync},
		{"Delete", testDelete},
		{"TrailingDot", testTrailingDot},
		{"MissingContainer", testMissingContainer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, f) })
	}
}

func testHeadAndPutWhole(t *testing.T, f *fixture) {
	s := f.newStore(t)
	checkMissing(t, s, "a")
	before := time.Now().Add(-time.Minute)
	obj := putWhole(t, s, "a", []byte("hello"))
	if obj.Key != "a" || obj.Size != 5 || obj.Version == "" || obj.ModTime.Before(before) {
		t.Errorf("Head = %+v, want key a, size 5, an ETag and a recent time", obj)
	}
	again := putWhole(t, s, "a", []byte("hello, again"))
	if again.Version == obj.Version || again.Size != 12 {
		t.Errorf("after overwrite Head = %+v, want size 12 and a new ETag (old %s)", again, obj.Version)
	}
	empty := putWhole(t, s, "empty", nil)
	if empty.Size != 0 {
		t.Errorf("Head(empty).Size = %d", empty.Size)
	}
	if err := s.PutEmpty(t.Context(), "dir/"); err != nil {
		t.Fatalf("PutEmpty: %v", err)
	}
	if marker, err := s.Head(t.Context(), "dir/"); err != nil || marker.Size != 0 {
		t.Errorf("Head(dir/) = %+v, %v", marker, err)
	}
	// The service kept the MD5 of the single-request upload.
	props, err := s.container.NewBlobClient("a").GetProperties(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum := md5.Sum([]byte("hello, again")); !bytes.Equal(props.ContentMD5, sum[:]) {
		t.Errorf("ContentMD5 = %x, want %x", props.ContentMD5, sum)
	}
}

func testListPages(t *testing.T, f *fixture) {
	s := f.newStore(t)
	var want []string
	for i := range 25 {
		key := fmt.Sprintf("d/f%02d", i)
		putWhole(t, s, key, []byte(key))
		want = append(want, key)
	}
	putWhole(t, s, "d/", nil) // the directory's own marker
	putWhole(t, s, "d/sub/x", []byte("x"))
	putWhole(t, s, "d/sub2/deeper/y", []byte("y"))
	putWhole(t, s, "e", []byte("outside"))

	var objects, prefixes []string
	token, pages := "", 0
	for {
		page, err := s.List(t.Context(), "d/", token, 10)
		if err != nil {
			t.Fatalf("List page %d: %v", pages+1, err)
		}
		pages++
		if n := len(page.Objects) + len(page.Prefixes); n > 10 {
			t.Errorf("page %d has %d entries, limit 10", pages, n)
		}
		for _, o := range page.Objects {
			objects = append(objects, o.Key)
			if o.Key != "d/" && (o.Size == 0 || o.Version == "" || o.ModTime.IsZero()) {
				t.Errorf("listed %+v: want size, ETag and time", o)
			}
		}
		prefixes = append(prefixes, page.Prefixes...)
		if token = page.Next; token == "" {
			break
		}
		if pages > 10 {
			t.Fatal("listing does not end")
		}
	}
	if pages < 3 {
		t.Errorf("%d pages for 28 entries with limit 10, want at least 3", pages)
	}
	want = append([]string{"d/"}, want...)
	if strings.Join(objects, ",") != strings.Join(want, ",") {
		t.Errorf("objects = %q\nwant %q", objects, want)
	}
	if strings.Join(prefixes, ",") != "d/sub/,d/sub2/" {
		t.Errorf("prefixes = %q, want [d/sub/ d/sub2/]", prefixes)
	}
	page, err := s.List(t.Context(), "nothing/", "", 10)
	if err != nil || len(page.Objects)+len(page.Prefixes) != 0 || page.Next != "" {
		t.Errorf("List(nothing/) = %+v, %v; want an empty last page", page, err)
	}
}

func testGetOffset(t *testing.T, f *fixture) {
	s := f.newStore(t)
	obj := putWhole(t, s, "f", []byte("0123456789"))
	for _, c := range []struct {
		offset int64
		want   string
	}{{0, "0123456789"}, {3, "3456789"}, {9, "9"}} {
		if got := readAll(t, s, "f", c.offset, obj.Version); string(got) != c.want {
			t.Errorf("Get at %d = %q, want %q", c.offset, got, c.want)
		}
		if got := readAll(t, s, "f", c.offset, ""); string(got) != c.want {
			t.Errorf("unpinned Get at %d = %q, want %q", c.offset, got, c.want)
		}
	}
	_, err := s.Get(t.Context(), "missing", 0, 0, "")
	wantKind(t, err, "Get(missing)", backends.ErrNotExist)
}

func testGetPinned(t *testing.T, f *fixture) {
	s := f.newStore(t)
	old := putWhole(t, s, "f", []byte("first version"))
	putWhole(t, s, "f", []byte("second version"))
	_, err := s.Get(t.Context(), "f", 0, 0, old.Version)
	wantKind(t, err, "Get pinned to the overwritten version", backends.ErrTransient)
	if !strings.Contains(err.Error(), "changed during the download") {
		t.Errorf("error %q does not say the object changed", err)
	}
	_, err = s.Get(t.Context(), "f", 3, 0, old.Version)
	wantKind(t, err, "Get at offset pinned to the overwritten version", backends.ErrTransient)
}

// testCorruptBlock proves the service checks the MD5 that every staged
// block carries: a block whose data does not match is refused.
func testCorruptBlock(t *testing.T, f *fixture) {
	s := f.newStore(t)
	bb := s.container.NewBlockBlobClient("f")
	wrong := md5.Sum([]byte("other data"))
	_, err := bb.StageBlock(t.Context(), (&blockUpload{prefix: newBlockPrefix()}).blockID(1),
		streaming.NopCloser(bytes.NewReader([]byte("the data"))),
		&blockblob.StageBlockOptions{TransactionalValidation: blob.TransferValidationTypeMD5(wrong[:])})
	err = classify("upload", "f", err)
	wantKind(t, err, "StageBlock with a wrong MD5", backends.ErrTransient)
	t.Logf("refused as: %v", err)
	_, err = bb.Upload(t.Context(), streaming.NopCloser(bytes.NewReader([]byte("the data"))),
		&blockblob.UploadOptions{TransactionalValidation: blob.TransferValidationTypeMD5(wrong[:])})
	wantKind(t, classify("upload", "f", err), "Upload with a wrong MD5", backends.ErrTransient)
	checkMissing(t, s, "f")
}

func testMultiBlock(t *testing.T, f *fixture) {
	s := f.newStore(t)
	up := &blockUpload{s: s, key: "big", blob: s.container.NewBlockBlobClient("big"), prefix: newBlockPrefix()}
	if err := up.Begin(t.Context()); err != nil {
		t.Fatal(err)
	}
	chunks := [][]byte{pattern(300<<10, 1), pattern(300<<10, 2), pattern(12345, 3)}
	parts := make([]objstore.Part, len(chunks))
	var wg sync.WaitGroup
	errs := make([]error, len(chunks))
	for i, c := range chunks {
		wg.Go(func() {
			parts[i], errs[i] = up.UploadPart(t.Context(), i+1, c)
			parts[i].N = i + 1
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("UploadPart(%d): %v", i+1, err)
		}
	}
	checkMissing(t, s, "big") // staged blocks are invisible
	if err := up.Complete(t.Context(), parts); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := bytes.Join(chunks, nil)
	if got := readAll(t, s, "big", 0, ""); !bytes.Equal(got, want) {
		t.Errorf("content: %d bytes, want %d in order", len(got), len(want))
	}
	list, err := up.blob.GetBlockList(t.Context(), blockblob.BlockListTypeAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CommittedBlocks) != 3 || len(list.UncommittedBlocks) != 0 {
		t.Errorf("%d committed and %d uncommitted blocks, want 3 and 0", len(list.CommittedBlocks), len(list.UncommittedBlocks))
	}
}

// testWriterMultiBlock goes through Create: the shared part writer.
func testWriterMultiBlock(t *testing.T, f *fixture) {
	s := f.newStore(t)
	want := pattern(testBlockSize*5/2, 7)
	w, err := s.Create(t.Context(), "big", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for rest := want; len(rest) > 0; {
		n := min(len(rest), 100_000)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		rest = rest[n:]
	}
	checkMissing(t, s, "big")
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := readAll(t, s, "big", 0, ""); !bytes.Equal(got, want) {
		t.Errorf("content: %d bytes, want %d", len(got), len(want))
	}
	if got := readAll(t, s, "big", testBlockSize+5, ""); !bytes.Equal(got, want[testBlockSize+5:]) {
		t.Errorf("content from the second block: %d bytes, want %d", len(got), len(want)-testBlockSize-5)
	}
	list, err := s.container.NewBlockBlobClient("big").GetBlockList(t.Context(), blockblob.BlockListTypeCommitted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CommittedBlocks) != 3 {
		t.Errorf("%d committed blocks, want 3 of at most 1 MiB", len(list.CommittedBlocks))
	}
}

func testAbort(t *testing.T, f *fixture) {
	s := f.newStore(t)
	// Staged blocks, then Abort: nothing to see.
	up := &blockUpload{s: s, key: "staged", blob: s.container.NewBlockBlobClient("staged"), prefix: newBlockPrefix()}
	for n := 1; n <= 2; n++ {
		if _, err := up.UploadPart(t.Context(), n, pattern(1000, byte(n))); err != nil {
			t.Fatal(err)
		}
	}
	if err := up.Abort(t.Context()); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	checkMissing(t, s, "staged")
	if _, err := s.Get(t.Context(), "staged", 0, 0, ""); !errors.Is(err, backends.ErrNotExist) {
		t.Errorf("Get after Abort: %v, want ErrNotExist", err)
	}

	// Through the writer, with blocks in flight.
	w, err := s.Create(t.Context(), "written", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(testBlockSize*5/2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	checkMissing(t, s, "written")

	// Aborting an overwrite keeps the old file whole.
	old := putWhole(t, s, "kept", []byte("the old content"))
	w, err = s.Create(t.Context(), "kept", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(testBlockSize*3/2, 2)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if got := readAll(t, s, "kept", 0, old.Version); string(got) != "the old content" {
		t.Errorf("after an aborted overwrite: %q", got)
	}

	page, err := s.List(t.Context(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 || page.Objects[0].Key != "kept" {
		t.Errorf("listing after aborts: %+v, want only kept", page.Objects)
	}
}

// testConcurrentUploads stages two uploads to one blob at once: their
// block IDs never collide, so the blob holds exactly one of them.
func testConcurrentUploads(t *testing.T, f *fixture) {
	s := f.newStore(t)
	newUpload := func() *blockUpload {
		return &blockUpload{s: s, key: "f", blob: s.container.NewBlockBlobClient("f"), prefix: newBlockPrefix()}
	}
	a, b := newUpload(), newUpload()
	stage := func(u *blockUpload, seed byte) ([]objstore.Part, []byte) {
		var parts []objstore.Part
		var all []byte
		for n := 1; n <= 2; n++ {
			data := pattern(5000, seed+byte(n))
			p, err := u.UploadPart(t.Context(), n, data)
			if err != nil {
				t.Fatal(err)
			}
			p.N = n
			parts, all = append(parts, p), append(all, data...)
		}
		return parts, all
	}
	partsA, dataA := stage(a, 10)
	partsB, dataB := stage(b, 20)
	if err := a.Complete(t.Context(), partsA); err != nil {
		t.Fatalf("Complete A: %v", err)
	}
	errB := b.Complete(t.Context(), partsB)
	got := readAll(t, s, "f", 0, "")
	switch {
	case errB == nil && bytes.Equal(got, dataB):
		t.Log("the second commit won (its blocks outlived the first commit)")
	case errB != nil && bytes.Equal(got, dataA):
		wantKind(t, errB, "the second commit", backends.ErrTransient)
		t.Logf("the second commit failed: %v", errB)
	default:
		t.Errorf("second commit: %v; content is neither upload whole (%d bytes)", errB, len(got))
	}
}

// testForeignBlockIDs: another tool's unfinished upload left blocks
// whose IDs have another length; Azure refuses ours until they are gone,
// and the error says why.
func testForeignBlockIDs(t *testing.T, f *fixture) {
	s := f.newStore(t)
	up := &blockUpload{s: s, key: "f", blob: s.container.NewBlockBlobClient("f"), prefix: newBlockPrefix()}
	if a, b := up.blockID(1), up.blockID(maxBlocks); len(a) != len(b) {
		t.Errorf("block IDs %q and %q differ in length", a, b)
	}
	foreign := base64.StdEncoding.EncodeToString([]byte("another tool's id"))
	if _, err := up.blob.StageBlock(t.Context(), foreign, streaming.NopCloser(bytes.NewReader([]byte("x"))), nil); err != nil {
		t.Fatal(err)
	}
	_, err := up.UploadPart(t.Context(), 1, []byte("ours"))
	wantKind(t, err, "UploadPart beside foreign uncommitted blocks", backends.ErrTransient)
	if !strings.Contains(err.Error(), "another length") {
		t.Errorf("the message does not explain: %v", err)
	}
	// A single-request upload is not affected; deleting the blob then
	// drops the foreign blocks.
	putWhole(t, s, "f", []byte("whole"))
	if err := s.Delete(t.Context(), "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := up.UploadPart(t.Context(), 1, []byte("ours")); err != nil {
		t.Errorf("UploadPart after deleting the blob: %v", err)
	}
}

func testCopySync(t *testing.T, f *fixture) {
	s := f.newStore(t)
	src := putWhole(t, s, "src", []byte("copied content"))
	if err := s.Copy(t.Context(), src, "dir/dst"); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got := readAll(t, s, "dir/dst", 0, ""); string(got) != "copied content" {
		t.Errorf("copy holds %q", got)
	}
	if got := readAll(t, s, "src", 0, src.Version); string(got) != "copied content" {
		t.Errorf("source now holds %q", got)
	}
	// Pinned: a source overwritten since the Head is not copied.
	putWhole(t, s, "src", []byte("newer content"))
	err := s.Copy(t.Context(), src, "dst2")
	wantKind(t, err, "Copy of an overwritten version", backends.ErrTransient)
	checkMissing(t, s, "dst2")
	err = s.Copy(t.Context(), objstore.Object{Key: "missing", Size: 3}, "dst3")
	wantKind(t, err, "Copy of a missing source", backends.ErrNotExist)
}

func testCopyAsync(t *testing.T, f *fixture) {
	defer func(limit int64) { maxSyncCopySize = limit }(maxSyncCopySize)
	maxSyncCopySize = 1 << 10
	s := f.newStore(t)
	data := pattern(testBlockSize*3/2, 5)
	w, err := s.Create(t.Context(), "src", objstore.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	src, err := s.Head(t.Context(), "src")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Copy(t.Context(), src, "dst"); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got := readAll(t, s, "dst", 0, ""); !bytes.Equal(got, data) {
		t.Errorf("copy holds %d bytes, want the %d of the source", len(got), len(data))
	}
	putWhole(t, s, "src", []byte("newer content, well above one KiB "+strings.Repeat("x", 2000)))
	err = s.Copy(t.Context(), src, "dst2")
	wantKind(t, err, "asynchronous Copy of an overwritten version", backends.ErrTransient)
	checkMissing(t, s, "dst2")
}

func testDelete(t *testing.T, f *fixture) {
	s := f.newStore(t)
	putWhole(t, s, "f", []byte("x"))
	if err := s.Delete(t.Context(), "f"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkMissing(t, s, "f")
	if err := s.Delete(t.Context(), "f"); err != nil {
		t.Errorf("Delete of a missing blob: %v, want nil", err)
	}
}

func testTrailingDot(t *testing.T, f *fixture) {
	s := f.newStore(t)
	putWhole(t, s, "a/b", []byte("not me"))
	for _, key := range []string{"a./b", "a/b.", "x..."} {
		_, err := s.Create(t.Context(), key, objstore.WriteOptions{})
		wantKind(t, err, fmt.Sprintf("Create(%q)", key), backends.ErrInvalid)
		wantKind(t, s.PutEmpty(t.Context(), key+"/"), fmt.Sprintf("PutEmpty(%q)", key+"/"), backends.ErrInvalid)
		checkMissing(t, s, key)
		if err := s.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q): %v", key, err)
		}
	}
	if got := readAll(t, s, "a/b", 0, ""); string(got) != "not me" {
		t.Errorf("a/b = %q", got)
	}
	_, err := s.Create(t.Context(), strings.Repeat("n", 1025), objstore.WriteOptions{})
	wantKind(t, err, "Create of a 1025-character name", backends.ErrInvalid)
}

func testMissingContainer(t *testing.T, f *fixture) {
	s := f.be.store("no-such-container")
	_, err := s.Head(t.Context(), "f")
	wantKind(t, err, "Head in a missing container", backends.ErrNotExist)
	_, err = s.List(t.Context(), "", "", 0)
	wantKind(t, err, "List in a missing container", backends.ErrNotExist)
	err = s.Delete(t.Context(), "f")
	wantKind(t, err, "Delete in a missing container", backends.ErrNotExist)
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

// TestCredentials runs the same few operations (copy included, whose
// source needs a SAS) with each kind of credential Azurite accepts.
func TestCredentials(t *testing.T) {
	f := newFixture(t, Config{})
	name := f.newContainer(t)
	containerSAS, err := f.be.service.NewContainerClient(name).GetSASURL(
		sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, Delete: true, List: true},
		time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	token := containerSAS[strings.IndexByte(containerSAS, '?')+1:]
	configs := map[string]Config{
		"shared_key": {AccountName: f.server.Account, AccountKey: f.server.Key, Endpoint: f.server.Endpoint},
		"connection_string": {ConnectionString: fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
			f.server.Account, f.server.Key, f.server.Endpoint)},
		"sas_token": {Endpoint: f.server.Endpoint, SASToken: token},
	}
	for kind, cfg := range configs {
		t.Run(kind, func(t *testing.T) {
			be, err := New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			s := be.(*backend).store(name)
			key := "cred/" + kind
			src := putWhole(t, s, key, []byte(kind))
			if err := s.Copy(t.Context(), src, key+".copy"); err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if got := readAll(t, s, key+".copy", 0, ""); string(got) != kind {
				t.Errorf("copy holds %q", got)
			}
			_, err = s.Head(t.Context(), "cred/missing")
			wantKind(t, err, "Head(missing)", backends.ErrNotExist)
			for _, secret := range []string{f.server.Key, "sig="} {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprint(cfg), secret) {
					t.Errorf("a secret is in the message %q or the config %v", err, cfg)
				}
			}
		})
	}
}

// TestErrors checks the classification of failures that need no data.
func TestErrors(t *testing.T) {
	f := newFixture(t, Config{})
	name := f.newContainer(t)
	t.Run("wrong key", func(t *testing.T) {
		be, err := New(Config{AccountName: f.server.Account, AccountKey: "d3Jvbmcga2V5", Endpoint: f.server.Endpoint})
		if err != nil {
			t.Fatal(err)
		}
		_, err = be.(*backend).store(name).Head(t.Context(), "f")
		wantKind(t, err, "Head with a wrong key", backends.ErrPermission)
		_, err = be.(*backend).store(name).List(t.Context(), "", "", 0)
		wantKind(t, err, "List with a wrong key", backends.ErrPermission)
	})
	t.Run("unreachable, SAS kept out of the message", func(t *testing.T) {
		port := testenv.FreePort(t)
		be, err := New(Config{Endpoint: fmt.Sprintf("http://127.0.0.1:%d/devstoreaccount1", port), SASToken: "sv=2020-01-01&sig=c2VjcmV0"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err = be.(*backend).store(name).Head(ctx, "f")
		wantKind(t, err, "Head of an unreachable store", backends.ErrTransient)
		if strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("the SAS signature is in %q", err)
		}
		t.Logf("message: %v", err)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := f.be.store(name).Head(ctx, "f")
		wantKind(t, err, "Head on a cancelled context", context.Canceled)
		if backends.Kind(err) != nil {
			t.Errorf("cancellation classified as %v", backends.Kind(err))
		}
	})
}

func TestConformance(t *testing.T) {
	f := newFixture(t, Config{BlockSize: testBlockSize, UploadConcurrency: 4, ListPageSize: 100,
		Download: objstore.Download{DownloadConcurrency: 3, DownloadPartSize: 1 << 20}})
	var current atomic.Value
	backendtest.Run(t, func(t *testing.T) backends.Bucket {
		name := f.newContainer(t)
		current.Store(name)
		b, err := f.be.Bucket(name)
		if err != nil {
			t.Fatalf("Bucket: %v", err)
		}
		return b
	}, backendtest.Options{
		PartSize:           testBlockSize,
		FileAndDirSameName: true,
		ListPageSize:       100,
		// Through the SDK's Get Blob Properties (names come back in
		// the headers' case: lower-cased here, as the driver does).
		RawMetadata: func(t *testing.T, _ backends.Bucket, key string) map[string]string {
			props, err := f.be.service.NewContainerClient(current.Load().(string)).NewBlobClient(key).GetProperties(t.Context(), nil)
			if err != nil {
				t.Fatalf("GetProperties(%s): %v", key, err)
			}
			out := map[string]string{}
			for k, v := range props.Metadata {
				out[strings.ToLower(k)] = *v
			}
			return out
		},
		// No PendingUploads: Azure has no unfinished upload object to
		// count; the store tests check that an aborted upload leaves no
		// blob.
	})
}
