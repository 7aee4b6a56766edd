package backendtest

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var failureCases = []testCase{
	{"Errors/Missing", testMissing},
	{"Errors/MkdirExisting", testMkdirExisting},
	{"Errors/RmdirNotEmpty", testRmdirNotEmpty},
	{"Errors/RmdirMissing", testRmdirMissing},
	{"Errors/RmdirFile", testRmdirFile},
	{"Errors/DeleteDirectory", testDeleteDir},
	{"Errors/OpenDirectory", testOpenDir},
	{"Errors/CreateOverDirectory", testCreateOverDir},
	{"Errors/HostileKeys", testHostileKeys},
}

// testMissing looks up keys that do not exist, including below a file.
func testMissing(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "file", []byte("x"))
	for _, key := range []string{"missing", "no/such/dir", "file/below"} {
		checkMissing(t, b, key)
		r, err := b.Open(t.Context(), key, 0)
		if err == nil {
			r.Close()
		}
		wantErr(t, err, "Open("+quote(key)+")", backends.ErrNotExist)
		wantErr(t, b.Delete(t.Context(), key), "Delete("+quote(key)+")", backends.ErrNotExist)
	}
}

func testMkdirExisting(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "file", []byte("x"))
	put(t, b, "implicit/f", []byte("x"))
	mkdir(t, b, "marker")
	for _, key := range []string{"", "file", "implicit", "marker"} {
		wantErr(t, b.Mkdir(t.Context(), key), "Mkdir("+quote(key)+")", backends.ErrExist)
	}
	checkContent(t, b, "file", []byte("x"))
}

func testRmdirNotEmpty(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "marker")
	put(t, b, "marker/f", []byte("x"))
	put(t, b, "implicit/f", []byte("x"))
	mkdir(t, b, "parent/child")
	for _, key := range []string{"marker", "implicit", "parent"} {
		wantErr(t, b.Rmdir(t.Context(), key), "Rmdir("+quote(key)+")", backends.ErrNotEmpty)
		checkDir(t, b, key)
	}
	checkContent(t, b, "marker/f", []byte("x"))
}

func testRmdirMissing(t *testing.T, s *suite) {
	b := s.bucket(t)
	wantErr(t, b.Rmdir(t.Context(), "missing"), `Rmdir("missing")`, backends.ErrNotExist)
	mkdir(t, b, "d")
	if err := b.Rmdir(t.Context(), "d"); err != nil {
		t.Fatalf("Rmdir(\"d\"): %v", err)
	}
	checkMissing(t, b, "d")
	wantErr(t, b.Rmdir(t.Context(), "d"), `second Rmdir("d")`, backends.ErrNotExist)
}

func testRmdirFile(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "file", []byte("x"))
	wantErr(t, b.Rmdir(t.Context(), "file"), `Rmdir("file")`, backends.ErrNotDir)
	checkContent(t, b, "file", []byte("x"))
}

func testDeleteDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "marker")
	put(t, b, "implicit/f", []byte("x"))
	for _, key := range []string{"", "marker", "implicit"} {
		wantErr(t, b.Delete(t.Context(), key), "Delete("+quote(key)+")", backends.ErrIsDir)
	}
	checkDir(t, b, "marker")
	checkContent(t, b, "implicit/f", []byte("x"))
}

func testOpenDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "marker")
	put(t, b, "implicit/f", []byte("x"))
	for _, key := range []string{"", "marker", "implicit"} {
		r, err := b.Open(t.Context(), key, 0)
		if err == nil {
			r.Close()
		}
		wantErr(t, err, "Open("+quote(key)+")", backends.ErrIsDir)
	}
}

// testCreateOverDir expects ErrIsDir from Create or Commit, and the
// directory intact afterwards.
func testCreateOverDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "marker")
	put(t, b, "implicit/f", []byte("x"))
	for _, key := range []string{"", "marker", "implicit"} {
		err := tryPut(t, b, key, []byte("file over a directory"))
		wantErr(t, err, "writing "+quote(key), backends.ErrIsDir)
		checkDir(t, b, key)
	}
	checkContent(t, b, "implicit/f", []byte("x"))
}
