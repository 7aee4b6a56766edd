package afs

import (
	"context"
	"io"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Open reads key from offset. A staged upload replaces the object by
// rename, so an open reader keeps the version it opened (the old inode on
// disk, the old node in memory) and never sees a mix of two versions.
func (b *bucket) Open(ctx context.Context, key string, offset int64) (backends.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := backends.CheckKey(key); err != nil {
		return nil, err
	}
	what := subject("open", key)
	switch {
	case offset < 0:
		return nil, fail(what+": negative offset", backends.ErrInvalid)
	case key == "":
		return nil, fail(what, backends.ErrIsDir)
	}
	f, err := b.fs.Open(b.path(key))
	if err != nil {
		return nil, classifyLookup(what, err)
	}
	size, err := checkReadable(what, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if offset >= size {
		f.Close()
		return eofReader{size: size}, nil
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, classify(what, err)
	}
	return &reader{ctx: ctx, f: f, what: what, size: size}, nil
}

// checkReadable returns the size of the opened f, refusing directories and
// anything that is not a regular file. The check is made on the open
// handle, so a name swapped meanwhile cannot slip a FIFO past it.
func checkReadable(what string, f afero.File) (int64, error) {
	info, err := f.Stat()
	switch {
	case err != nil:
		return 0, classify(what, err)
	case info.IsDir():
		return 0, fail(what, backends.ErrIsDir)
	case !info.Mode().IsRegular():
		return 0, fail(what+": not a regular file", backends.ErrPermission)
	}
	return info.Size(), nil
}

// reader stops reading once its context is cancelled, so an abandoned
// transfer does not keep the disk busy.
type reader struct {
	ctx  context.Context
	f    afero.File
	what string
	size int64
}

func (r *reader) Size() int64 { return r.size }

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF {
		err = classify(r.what, err)
	}
	return n, err
}

func (r *reader) Close() error {
	return r.f.Close()
}

// eofReader is what Open returns for an offset at or past the end.
type eofReader struct{ size int64 }

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
func (eofReader) Close() error             { return nil }
func (e eofReader) Size() int64            { return e.size }
