package mapping

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestCreateResume(t *testing.T) {
	tests := []struct {
		name     string
		perm     Perm
		existing string // "" for no file
		offset   int64
		data     string
		want     string // stored afterwards; "" with wantErr means unchanged
		wantErr  error
	}{
		{"new file", PermUpload, "", 0, "abc", "abc", nil},
		{"resume middle", PermUpload | PermOverwrite, "0123456789", 4, "xyz", "0123xyz", nil},
		{"append at end", PermUpload | PermOverwrite, "0123", 4, "45", "012345", nil},
		{"resume large", PermUpload | PermOverwrite, strings.Repeat("z", 300000), 250000, "!",
			strings.Repeat("z", 250000) + "!", nil},
		{"overwrite from zero", PermUpload | PermOverwrite, "old", 0, "new", "new", nil},
		{"offset past end", PermUpload | PermOverwrite, "0123", 5, "x", "", backends.ErrInvalid},
		{"offset on missing file", PermUpload | PermOverwrite, "", 1, "x", "", backends.ErrInvalid},
		{"negative offset", PermUpload | PermOverwrite, "0123", -1, "x", "", backends.ErrInvalid},
		{"resume needs overwrite", PermUpload, "0123", 2, "x", "", backends.ErrPermission},
		{"resume of missing needs overwrite too", PermUpload, "", 2, "x", "", backends.ErrPermission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testBucket(t, newTestBackend(), "")
			if tc.existing != "" {
				put(t, b, "u/f", tc.existing)
			}
			s := session(t, b, "u", tc.perm)
			err := upload(s, "/f", tc.offset, tc.data)
			wantErr(t, "upload", err, tc.wantErr)
			got, ok := get(t, b, "u/f")
			want := tc.want
			if tc.wantErr != nil {
				want = tc.existing
			}
			if got != want || ok != (want != "") {
				t.Fatalf("stored %d bytes %.20q (exists %v), want %d bytes %.20q", len(got), got, ok, len(want), want)
			}
		})
	}
}

func TestCreateResumeAbortsOnCopyFailure(t *testing.T) {
	inner := testBucket(t, newTestBackend(), "")
	put(t, inner, "u/f", "0123456789")
	b := &flakyBucket{Bucket: inner}
	s := session(t, b, "u", PermAll)
	_, err := s.Create(context.Background(), "/f", 8)
	if !errors.Is(err, errFlaky) {
		t.Fatalf("Create = %v, want the read error", err)
	}
	if b.w == nil || !b.w.aborted || b.w.committed {
		t.Fatalf("writer not aborted: %+v", b.w)
	}
	if data, _ := get(t, inner, "u/f"); data != "0123456789" {
		t.Fatalf("original changed to %q", data)
	}
}

func TestCreateResumeFileShrank(t *testing.T) {
	inner := testBucket(t, newTestBackend(), "")
	put(t, inner, "u/f", "0123456789")
	b := &flakyBucket{Bucket: inner, short: true}
	s := session(t, b, "u", PermAll)
	_, err := s.Create(context.Background(), "/f", 8)
	wantErr(t, "create", err, backends.ErrInvalid)
	if b.w == nil || !b.w.aborted {
		t.Fatal("writer not aborted")
	}
}

var errFlaky = errors.New("connection reset")

// flakyBucket serves reads that fail after a few bytes (or end early,
// with short) and tracks the writer it hands out.
type flakyBucket struct {
	backends.Bucket
	short bool
	w     *trackingWriter
}

func (b *flakyBucket) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	r, err := b.Bucket.Open(ctx, key, off)
	if err != nil {
		return nil, err
	}
	var rest io.Reader = iotestErr{}
	if b.short {
		rest = strings.NewReader("")
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(r, 3), rest), r}, nil
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errFlaky }

func (b *flakyBucket) Create(ctx context.Context, key string) (backends.Writer, error) {
	w, err := b.Bucket.Create(ctx, key, backends.CreateOptions{})
	if err != nil {
		return nil, err
	}
	b.w = &trackingWriter{Writer: w}
	return b.w, nil
}

type trackingWriter struct {
	backends.Writer
	aborted, committed bool
}

func (w *trackingWriter) Abort() error  { w.aborted = true; return w.Writer.Abort() }
func (w *trackingWriter) Commit() error { w.committed = true; return w.Writer.Commit() }
