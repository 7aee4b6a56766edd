package objstore_test

import (
	"errors"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// TestStorAsksOnce counts the questions one upload asks the store about
// its key, through the real caller (mapping's Create, as STOR uses it):
// the condition travels in CreateOptions, so nobody stats the key first
// and Create asks one question. A new file costs one listing (is it a
// directory?), never two; a user who may not overwrite costs a HEAD as
// well (is a file there?); a resume one HEAD (the version to keep).
func TestStorAsksOnce(t *testing.T) {
	const all = mapping.PermAll
	const noOverwrite = mapping.PermAll &^ mapping.PermOverwrite
	for _, c := range []struct {
		name         string
		perm         mapping.Perm
		existing     string // content of "f" before the upload, "" for none
		offset       int64
		heads, lists int64
		err          error
	}{
		{"new file", all, "", 0, 0, 1, nil},
		{"new file, no overwrite", noOverwrite, "", 0, 1, 1, nil},
		{"replacing a file", all, "old", 0, 0, 1, nil},
		{"replacing a file, no overwrite", noOverwrite, "old", 0, 1, 0, backends.ErrPermission},
		{"resume", all, "old", 2, 1, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := objstore.NewCountingStore()
			if c.existing != "" {
				s.Put("f", []byte(c.existing))
			}
			sess, err := mapping.NewSession("/", mapping.Mount{Path: "/", Perm: c.perm, Bucket: objstore.NewBucket(s, objstore.Options{})})
			if err != nil {
				t.Fatal(err)
			}
			w, err := sess.Create(t.Context(), "/f", c.offset, backends.CreateOptions{})
			if err == nil {
				if _, err = w.Write([]byte("new")); err == nil {
					err = w.Commit()
				}
			}
			if !errors.Is(err, c.err) || (err != nil) != (c.err != nil) {
				t.Fatalf("upload: %v, want %v", err, c.err)
			}
			if heads, lists := s.Requests(); heads != c.heads || lists != c.lists {
				t.Errorf("the upload made %d Heads and %d Lists, want %d and %d", heads, lists, c.heads, c.lists)
			}
			if c.err != nil {
				return
			}
			want := c.existing[:c.offset] + "new"
			if e, err := sess.Stat(t.Context(), "/f"); err != nil || e.Size != int64(len(want)) {
				t.Errorf("Stat after the upload: %+v, %v; want %d bytes", e, err, len(want))
			}
		})
	}
}
