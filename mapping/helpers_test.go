package mapping

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/afs"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// Pin the interfaces the FTP front end needs.
var (
	_ ftps.FileSystem    = (*Session)(nil)
	_ ftps.Authenticator = (*Users)(nil)
)

// newTestBackend returns an empty in-memory backend whose buckets record
// every key they are asked about. Listings come in pages of two, so that
// merging mount points into listings is tested across page boundaries.
func newTestBackend() *recordingBackend {
	return newRecordingBackend(afs.New(afero.NewMemMapFs(), afs.Options{ListPageSize: 2}))
}

func testBucket(t *testing.T, be *recordingBackend, name string) *recordingBucket {
	t.Helper()
	b, err := be.bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// put stores an object directly in a bucket, bypassing any session.
func put(t *testing.T, b backends.Bucket, key, data string) {
	t.Helper()
	w, err := b.Create(context.Background(), key, backends.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("commit %s: %v", key, err)
	}
}

// get reads an object directly from a bucket; ok is false when missing.
func get(t *testing.T, b backends.Bucket, key string) (string, bool) {
	t.Helper()
	r, err := b.Open(context.Background(), key, 0)
	if errors.Is(err, backends.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), true
}

// listNames lists a session directory fully and returns entry names, with
// a trailing "/" for directories.
func listNames(t *testing.T, s ftps.FileSystem, dir string) ([]string, error) {
	t.Helper()
	l, err := s.List(context.Background(), dir)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var names []string
	for {
		page, err := l.Next(context.Background())
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		for _, e := range page {
			if e.IsDir {
				names = append(names, e.Name+"/")
			} else {
				names = append(names, e.Name)
			}
		}
	}
}

// upload writes data to path through a session and commits it.
func upload(s ftps.FileSystem, p string, offset int64, data string) error {
	w, err := s.Create(context.Background(), p, offset, backends.CreateOptions{})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, data); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Commit()
}

// download reads path through a session from offset.
func download(s ftps.FileSystem, p string, offset int64) (string, error) {
	r, err := s.Open(context.Background(), p, offset)
	if err != nil {
		return "", err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return string(data), err
}

// session builds a single-mount session at "/" on b.
func session(t *testing.T, b backends.Bucket, prefix string, perm Perm) *Session {
	t.Helper()
	s, err := NewSession("/", Mount{Path: "/", Prefix: prefix, Perm: perm, Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

var _ ftps.PermissionReporter = (*Session)(nil)
