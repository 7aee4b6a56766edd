package backendtest

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// conditionCases check the conditions a caller puts in CreateOptions
// instead of asking the store first: every driver must enforce them
// itself, since no caller stats the key before an upload.
var conditionCases = []testCase{
	{"Create/IfNotExistNewFile", testIfNotExistNew},
	{"Create/IfNotExistRefusesFile", testIfNotExistFile},
	{"Create/IfNotExistRefusesDirectory", testIfNotExistDir},
	{"Create/IfNotExistWithKeepIsInvalid", testIfNotExistKeep},
	{"Create/ResumeOfDirectory", testResumeDir},
}

// tryCreate writes data to key with opts and commits, returning the first
// error (from Create, Write or Commit).
func tryCreate(t *testing.T, b backends.Bucket, key string, opts backends.CreateOptions, data []byte) error {
	t.Helper()
	w, err := b.Create(t.Context(), key, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

func testIfNotExistNew(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "d/other", []byte("x"))
	if err := tryCreate(t, b, "d/f", backends.CreateOptions{IfNotExist: true}, []byte("new")); err != nil {
		t.Fatalf("IfNotExist upload of a new file: %v", err)
	}
	checkContent(t, b, "d/f", []byte("new"))
}

// testIfNotExistFile expects ErrExist from Create itself (before any
// byte is sent), and the file untouched.
func testIfNotExistFile(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "d/f", []byte("old"))
	w, err := b.Create(t.Context(), "d/f", backends.CreateOptions{IfNotExist: true})
	if err == nil {
		w.Abort()
	}
	wantErr(t, err, `Create("d/f", IfNotExist) over a file`, backends.ErrExist)
	checkContent(t, b, "d/f", []byte("old"))
	s.checkNames(t, b, "d", "f")
	s.checkNoPendingUploads(t)
}

// testIfNotExistDir: a directory at key is ErrIsDir with or without the
// condition, marker or implicit.
func testIfNotExistDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "marker")
	put(t, b, "implicit/f", []byte("x"))
	for _, key := range []string{"marker", "implicit"} {
		err := tryCreate(t, b, key, backends.CreateOptions{IfNotExist: true}, []byte("file over a directory"))
		wantErr(t, err, "IfNotExist upload to directory "+quote(key), backends.ErrIsDir)
		checkDir(t, b, key)
	}
	checkContent(t, b, "implicit/f", []byte("x"))
}

func testIfNotExistKeep(t *testing.T, s *suite) {
	b := s.bucket(t)
	put(t, b, "f", []byte("0123"))
	err := tryCreate(t, b, "f", backends.CreateOptions{IfNotExist: true, Keep: 2}, []byte("x"))
	wantErr(t, err, "IfNotExist with Keep", backends.ErrInvalid)
	checkContent(t, b, "f", []byte("0123"))
}

// testResumeDir: a resume names a file; at a directory it is ErrIsDir
// (as any write there), not a missing file.
func testResumeDir(t *testing.T, s *suite) {
	b := s.bucket(t)
	mkdir(t, b, "marker")
	put(t, b, "implicit/f", []byte("0123"))
	for _, key := range []string{"marker", "implicit"} {
		err := tryCreate(t, b, key, backends.CreateOptions{Keep: 2}, []byte("x"))
		wantErr(t, err, "resume of directory "+quote(key), backends.ErrIsDir)
		checkDir(t, b, key)
	}
	checkContent(t, b, "implicit/f", []byte("0123"))
}
