package afs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/spf13/afero"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// createAttempts bounds the retries of Create when a concurrent abort
// removes the fresh parent directory between ensureDir and the temporary
// file's creation.
const createAttempts = 3

// Create stages an upload to key in a hidden temporary file beside it (in
// the same directory, hence on the same file system, so that Commit's
// rename is atomic). Missing parents are created now, because the
// temporary file needs them, and removed again by Abort if still empty.
func (b *bucket) Create(ctx context.Context, key string, opts backends.CreateOptions) (backends.Writer, error) {
	if opts.Keep > 0 && opts.IfNotExist {
		return nil, fail(subject("create", key)+": resuming a file that must not exist", backends.ErrInvalid)
	}
	w, err := b.create(ctx, key, opts.IfNotExist)
	if err != nil || opts.Keep == 0 {
		return w, err
	}
	if err := b.keepHead(key, w, opts.Keep); err != nil {
		_ = w.Abort()
		return nil, err
	}
	return w, nil
}

// create refuses a directory at key, and a file too when ifNotExist.
func (b *bucket) create(ctx context.Context, key string, ifNotExist bool) (*writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := backends.CheckKey(key); err != nil {
		return nil, err
	}
	what := subject("create", key)
	if key == "" {
		return nil, fail(what, backends.ErrIsDir)
	}
	switch found, isDir, err := b.exists("create", key); {
	case err != nil:
		return nil, err
	case isDir:
		return nil, fail(what, backends.ErrIsDir)
	case found && ifNotExist:
		return nil, fail(what, backends.ErrExist)
	}
	var err error
	for range createAttempts {
		var made []string
		if made, err = b.ensureDir(what, parentKey(key)); err != nil {
			b.removeMade(made)
			return nil, err
		}
		var f afero.File
		var tmp string
		if f, tmp, err = b.createTemp(what, path.Dir(b.path(key))); err == nil {
			return b.newWriter(ctx, key, f, tmp, made), nil
		}
		b.removeMade(made)
		if !isNotExist(err) {
			break
		}
	}
	return nil, err
}

// createTemp creates a fresh, exclusive temporary file in directory dir.
func (b *bucket) createTemp(what, dir string) (afero.File, string, error) {
	var err error
	for range createAttempts {
		var buf [12]byte
		if _, err = rand.Read(buf[:]); err != nil {
			return nil, "", fmt.Errorf("%s: %w", what, err)
		}
		tmp := path.Join(dir, backends.TempPrefix+hex.EncodeToString(buf[:]))
		var f afero.File
		f, err = b.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			return f, tmp, nil
		}
		if err = classify(what, err); !errors.Is(err, backends.ErrExist) {
			break
		}
	}
	return nil, "", err
}

// Writer states.
const (
	writing = iota
	committed
	aborted
)

var (
	errAborted   = fmt.Errorf("upload aborted: %w", fs.ErrClosed)
	errCommitted = fmt.Errorf("upload already committed: %w", fs.ErrClosed)
)
