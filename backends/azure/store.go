package azure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// store is objstore.Store over one container.
type store struct {
	container *container.Client
	// delegation, when set, signs copy sources with a user delegation
	// SAS (token credentials); otherwise with the shared key, or the
	// configured SAS is used as it is.
	delegation *service.Client
	cfg        Config
	log        *slog.Logger
}

var (
	_ objstore.Store      = (*store)(nil)
	_ objstore.PartUpload = (*blockUpload)(nil)
)

// Azure's limits on blob names.
const (
	maxNameLength   = 1024
	maxNameSegments = 254
)

// nameProblem says why Azure cannot hold a blob named key, or "". The
// service (its HTTP front end) drops a trailing dot from every path
// element, so "a./b." would be stored, read and deleted as "a/b": a
// write would land on another file and a read would return one.
func nameProblem(key string) string {
	if utf8.RuneCountInString(key) > maxNameLength {
		return "the name is longer than Azure's 1,024 characters"
	}
	n := 0
	for elem := range strings.SplitSeq(key, "/") {
		n++
		if strings.HasSuffix(elem, ".") {
			return "Azure cannot store a name element that ends with a dot (it drops the dot)"
		}
	}
	if n > maxNameSegments {
		return "the name has more than Azure's 254 path elements"
	}
	return ""
}

// unstorable is the error for writing a name Azure cannot hold.
func unstorable(op, key, problem string) error {
	return fmt.Errorf("azure %s %q: %s: %w", op, key, problem, backends.ErrInvalid)
}

// absent is the error for reading a name Azure cannot hold: no blob of
// that name can exist, so it is missing (never the blob Azure would
// confuse it with).
func absent(op, key, problem string) error {
	return fmt.Errorf("azure %s %q: %s: %w", op, key, problem, backends.ErrNotExist)
}

// bounded limits ctx to request_timeout for one metadata request (see
// objstore.Bounded).
func (s *store) bounded(ctx context.Context, op, key string) (context.Context, func(error) error) {
	return objstore.Bounded(ctx, s.cfg.RequestTimeout, "azure", op, key, classify)
}

func (s *store) Head(ctx context.Context, key string) (objstore.Object, error) {
	if p := nameProblem(key); p != "" {
		return objstore.Object{}, absent("stat", key, p)
	}
	rctx, done := s.bounded(ctx, "stat", key)
	props, err := s.container.NewBlobClient(key).GetProperties(rctx, nil)
	if err := done(err); err != nil {
		return objstore.Object{}, err
	}
	return objstore.Object{
		Key:      key,
		Size:     deref(props.ContentLength),
		ModTime:  deref(props.LastModified),
		Version:  string(deref(props.ETag)),
		Metadata: fromAzure(props.Metadata),
	}, nil
}

func (s *store) List(ctx context.Context, prefix, token string, limit int) (objstore.Page, error) {
	// Metadata is listed for the modification times MFMT records.
	opts := &container.ListBlobsHierarchyOptions{Include: container.ListBlobsInclude{Metadata: true}}
	if prefix != "" {
		opts.Prefix = &prefix
	}
	if token != "" {
		opts.Marker = &token
	}
	if limit > 0 {
		opts.MaxResults = to.Ptr(int32(min(limit, maxListPageSize)))
	}
	// One pager per page: the caller holds the token between pages, so
	// a listing never keeps a pager (or its memory) alive.
	rctx, done := s.bounded(ctx, "list", prefix)
	resp, err := s.container.NewListBlobsHierarchyPager("/", opts).NextPage(rctx)
	if err := done(err); err != nil {
		return objstore.Page{}, err
	}
	var page objstore.Page
	if seg := resp.Segment; seg != nil {
		page.Objects = make([]objstore.Object, 0, len(seg.BlobItems))
		for _, item := range seg.BlobItems {
			if item == nil || item.Name == nil {
				continue
			}
			o := objstore.Object{Key: *item.Name}
			if p := item.Properties; p != nil {
				o.Size = deref(p.ContentLength)
				o.ModTime = deref(p.LastModified)
				o.Version = string(deref(p.ETag))
			}
			o.Metadata = fromAzure(item.Metadata)
			page.Objects = append(page.Objects, o)
		}
		page.Prefixes = make([]string, 0, len(seg.BlobPrefixes))
		for _, p := range seg.BlobPrefixes {
			if p != nil && p.Name != nil {
				page.Prefixes = append(page.Prefixes, *p.Name)
			}
		}
	}
	page.Next = deref(resp.NextMarker)
	return page, nil
}

// Get returns the response body itself, not the SDK's RetryReader: the
// objstore reader already resumes a broken stream from the byte it
// reached, pinned to the same ETag, for every driver alike; a second
// retry layer here would multiply the attempts and hide the failures
// from it.
func (s *store) Get(ctx context.Context, key string, offset, length int64, version string) (io.ReadCloser, error) {
	if p := nameProblem(key); p != "" {
		return nil, absent("read", key, p)
	}
	opts := &blob.DownloadStreamOptions{}
	switch {
	case length > 0:
		opts.Range = blob.HTTPRange{Offset: offset, Count: length}
	case offset > 0:
		opts.Range = blob.HTTPRange{Offset: offset, Count: blob.CountToEnd}
	}
	if version != "" {
		etag := azcore.ETag(version)
		opts.AccessConditions = &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag},
		}
	}
	resp, err := s.container.NewBlobClient(key).DownloadStream(ctx, opts)
	if err != nil {
		return nil, classify("read", key, err)
	}
	if resp.Body == nil {
		return nil, fmt.Errorf("azure read %q: the service sent no body: %w", key, backends.ErrTransient)
	}
	return &body{ReadCloser: resp.Body, key: key}, nil
}

// body classifies the errors of a download stream: a broken connection
// is unclassified (the objstore reader resumes it), a cancelled context
// passes through.
type body struct {
	io.ReadCloser
	key string
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("azure read %q: %w", b.key, withoutQuery(err))
	}
	return n, err
}

func (s *store) PutEmpty(ctx context.Context, key string) error {
	if p := nameProblem(key); p != "" {
		return unstorable("mkdir", key, p)
	}
	rctx, done := s.bounded(ctx, "mkdir", key)
	_, err := s.container.NewBlockBlobClient(key).Upload(rctx, streaming.NopCloser(bytes.NewReader(nil)), nil)
	return done(err)
}

func (s *store) Create(ctx context.Context, key string, opts objstore.WriteOptions) (backends.Writer, error) {
	if p := nameProblem(key); p != "" {
		return nil, unstorable("upload", key, p)
	}
	up := &blockUpload{
		s:      s,
		key:    key,
		blob:   s.container.NewBlockBlobClient(key),
		prefix: newBlockPrefix(),
		meta:   opts.Metadata,
		final:  opts.Final,
	}
	popts := objstore.PartOptions{
		PartSize:    int64(s.cfg.BlockSize),
		Concurrency: s.cfg.UploadConcurrency,
		MaxParts:    maxBlocks,
		MaxPartSize: maxBlockSize,
		PartTimeout: s.cfg.PartTimeout,
	}
	if opts.KeepBytes >= objstore.MinServerCopy {
		staged, err := up.copyHead(ctx, opts.Keep, opts.KeepBytes)
		if err != nil {
			return nil, err
		}
		popts.Staged = staged
		return objstore.NewPartWriter(ctx, up, popts), nil
	}
	return objstore.CreateWithHead(ctx, s, objstore.NewPartWriter(ctx, up, popts), opts)
}

// newBlockPrefix returns 32 random hex digits: unique per upload, and
// always of one length, as Azure wants every block ID of a blob to be.
func newBlockPrefix() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Delete removes the blob with its snapshots (Azure refuses to delete a
// blob that has snapshots otherwise; an FTP client cannot see them).
// With soft delete or versioning on the account, both stay recoverable.
func (s *store) Delete(ctx context.Context, key string) error {
	if nameProblem(key) != "" {
		return nil // no such blob can exist
	}
	rctx, done := s.bounded(ctx, "delete", key)
	_, err := s.container.NewBlobClient(key).Delete(rctx, &blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	})
	err = done(err)
	if errors.Is(err, backends.ErrNotExist) && !bloberror.HasCode(err, bloberror.ContainerNotFound) {
		return nil
	}
	return err
}

// deref is *p, or the zero value for nil: the SDK makes every response
// field a pointer.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
