package objstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

var (
	_ backends.Describer = (*bucket)(nil)
	_ backends.Toucher   = (*bucket)(nil)
)

// writeOptions turns the caller's options into the store's: the origin
// as metadata (when recorded), the digests, and the object to resume,
// which Create found at key (Key "" when there is none).
func (b *bucket) writeOptions(key string, opts backends.CreateOptions, existing Object) (WriteOptions, error) {
	var w WriteOptions
	if b.opts.Metadata.originOn() && !opts.Origin.IsZero() {
		w.Metadata = originMetadata(opts.Origin)
	}
	if opts.Digests != nil {
		w.Final = func() map[string]string { return digestMetadata(opts.Digests()) }
	}
	if opts.Keep > 0 {
		if existing.Key == "" {
			return w, fmt.Errorf("cannot resume %q, it does not exist: %w", key, backends.ErrInvalid)
		}
		if existing.Size < opts.Keep {
			return w, fmt.Errorf("%q has only %d bytes, cannot resume at %d: %w", key, existing.Size, opts.Keep, backends.ErrInvalid)
		}
		w.Keep, w.KeepBytes = existing, opts.Keep
	}
	return w, nil
}

// Describe returns what key's metadata records.
func (b *bucket) Describe(ctx context.Context, key string) (backends.FileInfo, error) {
	obj, err := b.file(ctx, key)
	if err != nil {
		return backends.FileInfo{}, err
	}
	return fileInfo(obj), nil
}

// SetModTime records t as key's modification time, in its metadata. It
// asks the store nothing more when the time is already t (on S3 every
// change is a copy of the object onto itself).
func (b *bucket) SetModTime(ctx context.Context, key string, t time.Time) error {
	obj, err := b.file(ctx, key)
	if err != nil {
		return err
	}
	if modTime(obj).Equal(t) {
		return nil
	}
	return b.s.UpdateMetadata(ctx, obj, map[string]string{MetaModTime: t.UTC().Format(time.RFC3339Nano)})
}

// file heads key, which must be a file.
func (b *bucket) file(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	if key == "" {
		return Object{}, fmt.Errorf("the root: %w", backends.ErrIsDir)
	}
	obj, err := b.s.Head(ctx, key)
	if errors.Is(err, backends.ErrNotExist) {
		return Object{}, b.missing(ctx, key)
	}
	return obj, err
}
