package gcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

var _ objstore.Store = (*store)(nil)

// listAttrs are the only object fields a listing asks for (prefixes come
// regardless): a page of names costs far less than a page of full metadata.
// Metadata is listed for the modification times MFMT records.
var listAttrs = []string{"Name", "Size", "Updated", "Generation", "Metadata"}

// store is objstore.Store over one GCS bucket.
type store struct {
	bucket       *storage.BucketHandle
	chunkSize    int
	chunkTimeout time.Duration
	// requestTimeout bounds a metadata request; classify reports its
	// expiry (the caller's ctx still alive) as ErrTransient.
	requestTimeout time.Duration
	storageClass   string
	pageSize       int
}

// object returns the handle on key.
func (s *store) object(key string) *storage.ObjectHandle {
	return s.bucket.Object(key)
}

// pinned returns the handle on key at generation version ("" for the live
// object). A handle pinned to a generation that was overwritten or
// deleted answers 404, which callers report as ErrTransient.
func (s *store) pinned(key, version string) (*storage.ObjectHandle, error) {
	h := s.object(key)
	if version == "" {
		return h, nil
	}
	gen, err := strconv.ParseInt(version, 10, 64)
	if err != nil {
		return nil, invalid("version %q of %q is not a GCS generation", version, key)
	}
	return h.Generation(gen), nil
}

func toObject(a *storage.ObjectAttrs) objstore.Object {
	mod := a.Updated
	if mod.IsZero() {
		mod = a.Created
	}
	return objstore.Object{
		Key:      a.Name,
		Size:     a.Size,
		ModTime:  mod,
		Version:  strconv.FormatInt(a.Generation, 10),
		Metadata: objstore.LowerKeys(a.Metadata),
	}
}

func (s *store) Head(ctx context.Context, key string) (objstore.Object, error) {
	rctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	attrs, err := s.object(key).Attrs(rctx)
	if err != nil {
		return objstore.Object{}, classify(ctx, "head", key, err)
	}
	return toObject(attrs), nil
}

// List fetches one page with the SDK's Pager, which asks the service for
// at most limit entries (objects and prefixes together) per request and
// returns the token of the next page, so a listing never holds more than
// one page however large the prefix.
//
// The page is then normalised (see trimPage), which costs little against
// GCS itself and makes fake-gcs-server list correctly too.
func (s *store) List(ctx context.Context, prefix, token string, limit int) (objstore.Page, error) {
	if limit <= 0 {
		limit = s.pageSize
	}
	tok, err := decodeListToken(token)
	if err != nil {
		return objstore.Page{}, err
	}
	q := &storage.Query{Prefix: prefix, Delimiter: "/", StartOffset: tok.Start}
	if err := q.SetAttrSelection(listAttrs); err != nil {
		return objstore.Page{}, classify(ctx, "list", prefix, err)
	}
	var attrs []*storage.ObjectAttrs
	rctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	next, err := iterator.NewPager(s.bucket.Objects(rctx, q), limit, tok.Page).NextPage(&attrs)
	if err != nil {
		return objstore.Page{}, classify(ctx, "list", prefix, err)
	}
	attrs, page := trimPage(attrs, limit, tok, next)
	for _, a := range attrs {
		if a.Prefix != "" {
			page.Prefixes = append(page.Prefixes, a.Prefix)
		} else {
			page.Objects = append(page.Objects, toObject(a))
		}
	}
	return page, nil
}

// trimPage sorts a fetched page (the SDK appends a response's prefixes
// after its objects), drops duplicates and, when the service answered
// with more entries than asked for, cuts the page to limit. It returns
// the entries to report and a Page holding only the next page's token.
//
// GCS counts objects and prefixes together against maxResults and pages
// through them in key order: it never answers with more than limit, and
// its own page token is kept. fake-gcs-server counts only objects, and
// returns every common prefix at or after the page's start on every page,
// including prefixes past objects it has not returned yet. Of such an
// answer, only entries up to the last object are known to be complete
// (all of them when it is the last page). The page is cut within those,
// and the next page starts (StartOffset, inclusive) at the first entry
// not reported; a cut prefix "p/" comes back whole, since all its keys
// sort at or after "p/". Each page keeps at least one entry, so a listing
// always ends.
func trimPage(attrs []*storage.ObjectAttrs, limit int, tok listToken, serverNext string) ([]*storage.ObjectAttrs, objstore.Page) {
	slices.SortFunc(attrs, func(a, b *storage.ObjectAttrs) int { return strings.Compare(listKey(a), listKey(b)) })
	attrs = slices.CompactFunc(attrs, func(a, b *storage.ObjectAttrs) bool {
		return listKey(a) == listKey(b) && (a.Prefix == "") == (b.Prefix == "")
	})
	var page objstore.Page
	if len(attrs) <= limit {
		if serverNext != "" {
			page.Next = listToken{Start: tok.Start, Page: serverNext}.encode()
		}
		return attrs, page
	}
	complete := len(attrs)
	if serverNext != "" {
		for i := len(attrs) - 1; i >= 0; i-- {
			if attrs[i].Prefix == "" { // the last object
				complete = i + 1
				break
			}
		}
	}
	if complete > limit {
		page.Next = listToken{Start: listKey(attrs[limit])}.encode()
		return attrs[:limit], page
	}
	// Everything up to the last object fits: the next page starts just
	// after it ("\x00" makes the smallest longer key). Only emulators
	// get here, GCS never answers with more than it was asked for.
	page.Next = listToken{Start: attrs[complete-1].Name + "\x00"}.encode()
	return attrs[:complete], page
}

// listKey is the key an entry of a listing sorts by.
func listKey(a *storage.ObjectAttrs) string {
	if a.Prefix != "" {
		return a.Prefix
	}
	return a.Name
}

// listToken is where the next page of a listing starts: the query's
// StartOffset and, within that query, the service's page token.
type listToken struct {
	Start string `json:"s,omitempty"`
	Page  string `json:"p,omitempty"`
}

func (t listToken) encode() string {
	b, _ := json.Marshal(t) // two strings cannot fail
	return string(b)
}

func decodeListToken(token string) (listToken, error) {
	var t listToken
	if token == "" {
		return t, nil
	}
	if err := json.Unmarshal([]byte(token), &t); err != nil {
		return t, invalid("list token %q is not one of this driver's", token)
	}
	return t, nil
}

func (s *store) Get(ctx context.Context, key string, offset, length int64, version string) (io.ReadCloser, error) {
	h, err := s.pinned(key, version)
	if err != nil {
		return nil, err
	}
	if length <= 0 {
		length = -1 // to the end
	}
	r, err := h.NewRangeReader(ctx, offset, length)
	if err != nil {
		if version != "" && errors.Is(kindOf(err), backends.ErrNotExist) {
			return nil, changed("get", key, err)
		}
		return nil, classify(ctx, "get", key, err)
	}
	return &objectReader{ctx: ctx, r: r, key: key, pinned: version != ""}, nil
}

// objectReader classifies errors that arrive mid-stream. The SDK resumes
// a broken stream itself (pinned to the generation it started with, with
// backoff, within the client's retry deadline), so what reaches here is
// final: a network error after those retries is ErrTransient, and a
// resume that finds the generation gone means the object changed.
type objectReader struct {
	ctx    context.Context
	r      *storage.Reader
	key    string
	pinned bool
}

func (o *objectReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err == nil || errors.Is(err, io.EOF) {
		return n, err
	}
	if o.pinned && errors.Is(kindOf(err), backends.ErrNotExist) {
		return n, changed("read", o.key, err)
	}
	if kindOf(err) == nil && o.ctx.Err() == nil {
		// What the SDK gave up on: the connection, not the object.
		return n, fmt.Errorf("gcs: read %q: %w: %w", o.key, backends.ErrTransient, err)
	}
	return n, classify(o.ctx, "read", o.key, err)
}

func (o *objectReader) Close() error { return o.r.Close() }

// PutEmpty writes a zero-byte object in one request.
func (s *store) PutEmpty(ctx context.Context, key string) error {
	// Bounded like an upload's final request; classify is given the
	// caller's ctx, so that this deadline reads as ErrTransient.
	wctx, cancel := context.WithTimeout(ctx, s.chunkTimeout)
	defer cancel()
	w := s.newWriter(wctx, key)
	// The smallest chunk: the buffer that lets the SDK retry the request
	// costs 256 KiB instead of a whole upload chunk.
	w.ChunkSize = googleapi.MinUploadChunkSize
	return classify(ctx, "put", key, w.Close())
}

func (s *store) Create(ctx context.Context, key string, opts objstore.WriteOptions) (backends.Writer, error) {
	if opts.KeepBytes >= objstore.MinServerCopy {
		return s.createComposed(ctx, key, opts)
	}
	return objstore.CreateWithHead(ctx, s, s.createWriter(ctx, key, opts), opts)
}

// createWriter is the staged upload of a new object at key.
func (s *store) createWriter(ctx context.Context, key string, opts objstore.WriteOptions) *objectWriter {
	wctx, cancel := context.WithCancelCause(ctx)
	w := s.newWriter(wctx, key)
	w.Metadata = opts.Metadata
	return &objectWriter{w: w, ctx: wctx, cancel: cancel, key: key, commitTimeout: s.chunkTimeout, s: s, final: opts.Final, parent: ctx}
}

// newWriter returns the SDK writer for a new generation of key.
//
// Uploads are retried by the SDK even though they carry no generation
// precondition (storage.RetryAlways; by default only conditional writes
// are). That is safe here: every upload writes a fresh generation whose
// content is fully defined by this stream, and the chunk buffer holds
// exactly the bytes a retry resends. Resumable chunks are idempotent by
// design (the session tracks the offset). A retried single-request upload
// whose first attempt did succeed stores the same bytes once more as a
// newer generation; the only thing lost is a concurrent upload to the
// same key that landed in between, which last-writer-wins loses anyway.
func (s *store) newWriter(ctx context.Context, key string) *storage.Writer {
	h := s.object(key).Retryer(storage.WithPolicy(storage.RetryAlways))
	w := h.NewWriter(ctx)
	w.ChunkSize = s.chunkSize
	w.ChunkTransferTimeout = s.chunkTimeout
	w.StorageClass = s.storageClass
	return w
}

// Copy rewrites src's pinned generation to dst server side. The Copier
// repeats the rewrite call with its token until done, so objects too large
// for one call (across locations or storage classes) copy in steps.
//
// Like uploads, copies are retried without a precondition: the source is
// pinned, so a repeat produces the same content at dst.
func (s *store) Copy(ctx context.Context, src objstore.Object, dst string) error {
	from, err := s.pinned(src.Key, src.Version)
	if err != nil {
		return err
	}
	to := s.object(dst).Retryer(storage.WithPolicy(storage.RetryAlways))
	c := to.CopierFrom(from)
	if s.storageClass != "" {
		// A rewrite otherwise gives the destination the bucket's
		// default class, whatever the source's.
		c.StorageClass = s.storageClass
	}
	_, err = c.Run(ctx)
	if err != nil && src.Version != "" && errors.Is(kindOf(err), backends.ErrNotExist) {
		return changed("copy", src.Key, err)
	}
	return classify(ctx, "copy to "+strconv.Quote(dst)+" from", src.Key, err)
}

// Delete removes the live generation of key. It is not retried after an
// ambiguous failure: without a generation precondition a repeat could
// delete an object uploaded in between.
func (s *store) Delete(ctx context.Context, key string) error {
	rctx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	err := s.object(key).Delete(rctx)
	if errors.Is(kindOf(err), backends.ErrNotExist) {
		return nil
	}
	return classify(ctx, "delete", key, err)
}
