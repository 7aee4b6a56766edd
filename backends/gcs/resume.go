package gcs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"cloud.google.com/go/storage"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// createComposed resumes an upload server side: the client's bytes are
// staged in a hidden object beside the key (never listed, see
// backends.TempPrefix), and Commit composes the existing object (pinned
// to its generation) with it into the key, then deletes the staged one.
// Compose takes whole objects, so this applies only when the whole
// existing object is kept (APPE, or REST at its size); a resume inside
// the object reads the head back instead.
func (s *store) createComposed(ctx context.Context, key string, opts objstore.WriteOptions) (backends.Writer, error) {
	if opts.KeepBytes != opts.Keep.Size {
		return objstore.CreateWithHead(ctx, s, s.createWriter(ctx, key, opts), opts)
	}
	tmp := objstore.TempKey(key)
	part := s.createWriter(ctx, tmp, objstore.WriteOptions{})
	return &composedWriter{objectWriter: part, s: s, key: key, tmp: tmp, head: opts.Keep, meta: opts.Metadata}, nil
}

// composedWriter is a resumed upload staged in the object tmp.
type composedWriter struct {
	*objectWriter
	s    *store
	key  string
	tmp  string
	head objstore.Object
	meta map[string]string
}

// Commit finalizes the staged part, then composes. The staged object is
// deleted whatever happens; the existing object is replaced only by a
// successful compose, which is atomic.
func (c *composedWriter) Commit() error {
	if err := c.objectWriter.Commit(); err != nil {
		return err
	}
	defer c.dropTemp()
	attrs := c.objectWriter.w.Attrs()
	if attrs == nil {
		return fmt.Errorf("gcs: resume %q: the staged part has no attributes: %w", c.key, backends.ErrTransient)
	}
	gen, err := strconv.ParseInt(c.head.Version, 10, 64)
	if err != nil {
		return invalid("version %q of %q is not a GCS generation", c.head.Version, c.head.Key)
	}
	from := c.s.object(c.head.Key).Generation(gen)
	part := c.s.object(c.tmp).Generation(attrs.Generation)
	// The key must still hold the object whose head is kept.
	dst := c.s.object(c.key).If(storage.Conditions{GenerationMatch: gen})
	comp := dst.ComposerFrom(from, part)
	comp.Metadata = c.meta
	comp.StorageClass = c.s.storageClass
	ctx, cancel := context.WithTimeout(c.parent, c.s.chunkTimeout)
	defer cancel()
	if _, err := comp.Run(ctx); err != nil {
		return classify(ctx, "resume (compose)", c.key, err)
	}
	return nil
}

// Abort discards the staged part (and the object, if it was finalized).
func (c *composedWriter) Abort() error {
	c.objectWriter.Abort()
	c.dropTemp()
	return nil
}

func (c *composedWriter) dropTemp() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.parent), c.s.requestTimeout)
	defer cancel()
	if err := c.s.Delete(ctx, c.tmp); err != nil {
		slog.Warn("staged part of a resumed upload not deleted", "key", c.tmp, "err", err)
	}
}
