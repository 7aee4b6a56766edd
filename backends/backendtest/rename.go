package backendtest

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var renameCases = []testCase{
	{"Rename/File", testRenameFile},
	{"Rename/ReplacesFile", testRenameReplaces},
	{"Rename/MissingSource", testRenameMissing},
	{"Rename/OntoDirectory", testRenameOntoDir},
	{"Rename/Directory", testRenameDir},
}

func rename(t *testing.T, b backends.Bucket, from, to string) {
	t.Helper()
	if err := b.Rename(t.Context(), from, to); err != nil {
		t.Fatalf("Rename(%q, %q): %v", from, to, err)
	}
}

// testRenameFile moves a file into directories that do not exist yet.
func testRenameFile(t *testing.T, s *suite) {
	b := s.bucket(t)
	data := randomBytes(4, 70_001)
	put(t, b, "src/f", data)
	rename(t, b, "src/f", "dst/deep/g")
	checkMissing(t, b, "src/f")
	checkContent(t, b, "dst/deep/g", data)
	s.checkNames(t, b, "dst/deep", "g")
	if entries, _ := s.list(t, b, "src"); len(entries) != 0 {
		t.Errorf("List(\"src\") after moving its only file = %q, want nothing", names(entries))
	}
}

func testRenameReplaces(t *testing.T, s *suite) {
	b := s.bucket(t)
	src, old := []byte("new"), []byte("the old, longer destination")
	put(t, b, "a", src)
	put(t, b, "b", old)
	rename(t, b, "a", "b")
	checkMissing(t, b, "a")
	checkFile(t, b, "b", int64(len(src)))
	checkContent(t, b, "b", src)
	s.checkNames(t, b, "", "b")
}

func testRenameMissing(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "dst", []byte("keep"))
	wantErr(t, b.Rename(t.Context(), "missing", "dst"), `Rename("missing", "dst")`, backends.ErrNotExist)
	wantErr(t, b.Rename(t.Context(), "no/such/file", "x"), `Rename("no/such/file", "x")`, backends.ErrNotExist)
	checkContent(t, b, "dst", []byte("keep"))
	checkMissing(t, b, "x")
}

func testRenameOntoDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "f", []byte("file"))
	put(t, b, "dir/child", []byte("child"))
	mkdir(t, b, "empty")
	for _, dst := range []string{"dir", "empty"} {
		err := b.Rename(t.Context(), "f", dst)
		wantErr(t, err, `Rename("f", "`+dst+`")`, backends.ErrIsDir, backends.ErrExist)
		checkDir(t, b, dst)
	}
	checkContent(t, b, "f", []byte("file"))
	checkContent(t, b, "dir/child", []byte("child"))
}

// testRenameDir moves a directory tree: files, a sub-directory that is
// only a marker, and deeper files. A store that does not rename
// directories must refuse with ErrUnsupported and move nothing.
func testRenameDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "d/empty")
	put(t, b, "d/f", []byte("1"))
	put(t, b, "d/sub/g", []byte("22"))
	mkdir(t, b, "taken")
	err := b.Rename(t.Context(), "d", "e")
	if !s.opts.RenamesDirectories {
		wantErr(t, err, `Rename("d", "e")`, backends.ErrUnsupported)
		checkMissing(t, b, "e")
		s.checkNames(t, b, "d", "empty", "f", "sub")
		checkContent(t, b, "d/f", []byte("1"))
		checkContent(t, b, "d/sub/g", []byte("22"))
		return
	}
	if err != nil {
		t.Fatalf("Rename(\"d\", \"e\"): %v", err)
	}
	checkMissing(t, b, "d")
	s.checkNames(t, b, "e", "empty", "f", "sub")
	checkContent(t, b, "e/f", []byte("1"))
	checkContent(t, b, "e/sub/g", []byte("22"))
	checkDir(t, b, "e/empty")

	// Onto an existing directory or file, or below itself: refused, and
	// nothing moves.
	put(t, b, "file", []byte("x"))
	wantErr(t, b.Rename(t.Context(), "e", "taken"), `Rename("e", "taken")`, backends.ErrExist, backends.ErrIsDir)
	wantErr(t, b.Rename(t.Context(), "e", "file"), `Rename("e", "file")`, backends.ErrExist, backends.ErrIsDir)
	wantErr(t, b.Rename(t.Context(), "e", "e/sub/x"), `Rename("e", "e/sub/x")`, backends.ErrInvalid)
	s.checkNames(t, b, "e", "empty", "f", "sub")
	checkContent(t, b, "file", []byte("x"))
}
