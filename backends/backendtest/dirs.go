package backendtest

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var dirCases = []testCase{
	{"Dirs/Root", testRoot},
	{"Dirs/MkdirRmdir", testMkdirRmdir},
	{"Dirs/ImplicitParents", testImplicitParents},
	{"Dirs/FileAndDirSameName", testFileAndDirSameName},
}

func testRoot(t *testing.T, s *suite) {
	b := s.bucket(t)
	e := stat(t, b, "")
	if !e.IsDir || e.Size != 0 {
		t.Errorf("Stat(\"\") = dir %v size %d, want an empty-sized directory", e.IsDir, e.Size)
	}
	s.checkNames(t, b, "")
}

// testMkdirRmdir makes nested directories without their parents and
// removes them bottom up.
func testMkdirRmdir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "p/q/r")
	for _, key := range []string{"p", "p/q", "p/q/r"} {
		checkDir(t, b, key)
	}
	s.checkNames(t, b, "p/q", "r")
	for _, key := range []string{"p/q/r", "p/q", "p"} {
		if err := b.Rmdir(t.Context(), key); err != nil {
			t.Fatalf("Rmdir(%q): %v", key, err)
		}
		checkMissing(t, b, key)
	}
	s.checkNames(t, b, "")
}

// testImplicitParents uploads below directories nobody made. Whether the
// directories outlive the file is store dependent, so that is not checked.
func testImplicitParents(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "d1/d2/f", []byte("x"))
	checkDir(t, b, "d1")
	checkDir(t, b, "d1/d2")
	if e := s.checkListed(t, b, "", "d1"); !e.IsDir {
		t.Errorf("List(\"\"): d1 is a file, want a directory")
	}
	if e := s.checkListed(t, b, "d1", "d2"); !e.IsDir {
		t.Errorf("List(\"d1\"): d2 is a file, want a directory")
	}
	if err := b.Delete(t.Context(), "d1/d2/f"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	checkMissing(t, b, "d1/d2/f")
}

// testFileAndDirSameName checks what a file and a directory of one name
// do, as the store declares: object stores hold "a" and "a/b" at once;
// file systems refuse to write, rename or make a directory below a file,
// and leave the file alone.
func testFileAndDirSameName(t *testing.T, s *suite) {
	b := s.bucket(t)
	if s.opts.FileAndDirSameName {
		put(t, b, "same", []byte("file"))
		put(t, b, "same/child", []byte("child"))
		checkContent(t, b, "same", []byte("file"))
		checkContent(t, b, "same/child", []byte("child"))
		return
	}
	put(t, b, "file", []byte("file"))
	put(t, b, "other", []byte("other"))
	wantErr(t, tryPut(t, b, "file/child", []byte("x")), `writing "file/child"`, backends.ErrNotDir, backends.ErrExist)
	wantErr(t, b.Mkdir(t.Context(), "file/dir"), `Mkdir("file/dir")`, backends.ErrNotDir, backends.ErrExist)
	wantErr(t, b.Rename(t.Context(), "other", "file/moved"), `Rename("other", "file/moved")`, backends.ErrNotDir, backends.ErrExist)
	checkFile(t, b, "file", 4)
	checkContent(t, b, "other", []byte("other"))
	s.checkNames(t, b, "", "file", "other")
}
