// Package gcs is the ftpsbridge driver for Google Cloud Storage.
//
// It implements only objstore.Store over one bucket with the
// cloud.google.com/go/storage client over HTTP: reads are pinned to the
// generation that was looked up, uploads stream through a resumable
// session that is finalized on Commit, and renames are server-side
// rewrites. Directories, key checks and listings as file trees are package
// objstore's business; the classification of the SDK's errors lives in
// errors.go, once.
//
// It must never create or delete buckets, and never put credentials (the
// key file's content, tokens) in an error or log message.
package gcs

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// New validates cfg and makes the GCS client. It does not contact the
// service: a wrong bucket or missing permission shows in the first
// operation.
func New(cfg Config) (backends.Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gcs: %w", err)
	}
	cfg = cfg.withDefaults()
	opts, err := clientOptions(cfg)
	if err != nil {
		return nil, err
	}
	client, err := storage.NewClient(context.Background(), opts...)
	if err != nil {
		// The SDK reports which credentials it could not load, not their
		// content.
		return nil, fmt.Errorf("gcs: making the client: %w", err)
	}
	// The SDK retries idempotent calls until the context ends; an FTP
	// command should rather fail with ErrTransient, which the client
	// may retry itself. Uploads are bounded per chunk instead, by
	// chunk_timeout and the writer's ChunkRetryDeadline.
	client.SetRetry(storage.WithMaxRetryDuration(retryFor))
	return &backend{client: client, cfg: cfg}, nil
}

// retryFor bounds the SDK's retries of one call, made with its jittered
// exponential backoff (from 1 s, doubling).
const retryFor = 30 * time.Second

// clientOptions chooses where the client connects and how it
// authenticates.
func clientOptions(cfg Config) ([]option.ClientOption, error) {
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		endpoint, err := emulatorEndpoint(cfg.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("gcs: endpoint: %v: %w", err, backends.ErrInvalid)
		}
		// Emulators take no credentials; sending none also keeps real
		// ones away from a test server. Reads use the JSON API there:
		// the SDK's default XML reads go to the endpoint's host, which
		// fake-gcs-server routes by its -public-host, so they fail
		// through any proxy or alias.
		opts = append(opts, option.WithEndpoint(endpoint), option.WithoutAuthentication(), storage.WithJSONReads())
	} else if key := cfg.creds.Bytes(); key != nil {
		// Restricted to service-account keys: a general credentials file
		// can name external programs or URLs to fetch tokens from. The
		// bytes are those Validate read and checked.
		opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, key))
	}
	return opts, nil
}

type backend struct {
	client *storage.Client
	cfg    Config
}

// Bucket returns the named bucket. GCS has no root above buckets, so ""
// is refused.
func (b *backend) Bucket(name string) (backends.Bucket, error) {
	if name == "" {
		return nil, fmt.Errorf("gcs backends need a bucket: %w", backends.ErrInvalid)
	}
	return objstore.NewBucket(b.store(name), objstore.Options{ListPageSize: b.cfg.ListPageSize, Rename: b.cfg.DirRename, Download: b.cfg.Download, Metadata: b.cfg.Metadata}), nil
}

// store returns the raw store over bucket name.
func (b *backend) store(name string) *store {
	h := b.client.Bucket(name)
	if b.cfg.Project != "" {
		h = h.UserProject(b.cfg.Project)
	}
	return &store{
		bucket:         h,
		chunkSize:      int(b.cfg.ChunkSize),
		chunkTimeout:   b.cfg.ChunkTimeout,
		requestTimeout: b.cfg.RequestTimeout,
		storageClass:   b.cfg.StorageClass,
		pageSize:       b.cfg.ListPageSize,
	}
}

// Close closes the client; buckets from it stop working.
func (b *backend) Close() error {
	return b.client.Close()
}
