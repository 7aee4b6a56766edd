package backendtest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// awkwardNames are single elements that URL encoding, shell quoting or
// option parsing tend to mangle.
var awkwardNames = []string{
	"with space.txt",
	" leading space",
	"résumé 日本.txt",
	"plus+sign",
	"percent%20literal%",
	"hash#tag",
	"question?mark",
	"amp&ersand",
	"equals=sign",
	"-rf",
	"--",
	"dots..in..name",
	".hidden",
	"semi;colon,comma",
	"quote'single\"double",
	"brace{x}[y](z)",
	"tilde~dollar$at@",
	strings.Repeat("long", 50),
}

var nameCases = []testCase{
	{"Names/Awkward", testAwkwardNames},
	{"Names/DeepPrefix", testDeepPrefix},
}

// testAwkwardNames writes one file per awkward name into one directory,
// then checks each one through every operation.
func testAwkwardNames(t *testing.T, s *suite) {
	b := s.bucket(t)
	want := slices.Clone(awkwardNames)
	for i, name := range want {
		put(t, b, "n/"+name, fmt.Appendf(nil, "content %d of %s", i, name))
	}
	slices.Sort(want)
	entries := s.checkNames(t, b, "n", want...)
	for _, e := range entries {
		if e.IsDir {
			t.Errorf("List(\"n\"): %q is a directory, want a file", e.Name)
		}
	}
	for i, name := range awkwardNames {
		key := "n/" + name
		content := fmt.Appendf(nil, "content %d of %s", i, name)
		checkFile(t, b, key, int64(len(content)))
		if got := stat(t, b, key); got.Name != name {
			t.Errorf("Stat(%q).Name = %q, want %q", key, got.Name, name)
		}
		checkContent(t, b, key, content)
		if err := b.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q): %v", key, err)
		}
		checkMissing(t, b, key)
	}
	if entries, _ := s.list(t, b, "n"); len(entries) != 0 {
		t.Errorf("List(\"n\") after deleting everything = %q, want nothing", names(entries))
	}
}

// testDeepPrefix writes a file seven levels down and finds it through
// every level.
func testDeepPrefix(t *testing.T, s *suite) {
	b := s.bucket(t)
	const key = "a/b/c/d/e/f/file"
	content := []byte("deep")
	put(t, b, key, content)
	dirs := strings.Split(key, "/")
	for i := range len(dirs) - 1 {
		dir := strings.Join(dirs[:i], "/")
		entries := s.checkNames(t, b, dir, dirs[i])
		if len(entries) == 1 && !entries[0].IsDir {
			t.Errorf("List(%q): %q is a file, want a directory", dir, dirs[i])
		}
		checkDir(t, b, strings.Join(dirs[:i+1], "/"))
	}
	s.checkNames(t, b, "a/b/c/d/e/f", "file")
	checkFile(t, b, key, int64(len(content)))
	if got := get(t, b, key); !bytes.Equal(got, content) {
		t.Errorf("content of %q = %q, want %q", key, got, content)
	}
	if err := b.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
	checkMissing(t, b, key)
}

// checkListed fails unless name appears in dir exactly once.
func (s *suite) checkListed(t *testing.T, b backends.Bucket, dir, name string) backends.Entry {
	t.Helper()
	entries, _ := s.list(t, b, dir)
	var found []backends.Entry
	for _, e := range entries {
		if e.Name == name {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("List(%q) has %q %d times, want once (listing: %q)", dir, name, len(found), names(entries))
	}
	return found[0]
}
