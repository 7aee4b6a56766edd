package gcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

const (
	// chunkQuantum is the granularity of GCS resumable uploads: every
	// chunk but the last must be a multiple of 256 KiB.
	chunkQuantum = 256 << 10
	// DefaultChunkSize is the SDK's own default. Every upload in progress
	// holds one chunk in memory, so this is also the memory per upload.
	DefaultChunkSize = 16 << 20
	// maxChunkSize keeps a typo from costing gigabytes per upload.
	maxChunkSize = 1 << 30
	// DefaultChunkTimeout is as long as the S3 driver's part_timeout.
	DefaultChunkTimeout = 5 * time.Minute
	// DefaultListPageSize is also the most GCS returns per listing request.
	DefaultListPageSize = 1000
)

// storageClasses are the classes GCS accepts for new objects.
var storageClasses = []string{
	"STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE",
	// Legacy classes, still accepted by the API.
	"MULTI_REGIONAL", "REGIONAL", "DURABLE_REDUCED_AVAILABILITY",
}

// Config configures the GCS driver. Zero values mean the defaults.
//
// Credentials come from CredentialsFile, else Application Default
// Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the
// metadata server). Emulators: set Endpoint, or leave it empty and set
// STORAGE_EMULATOR_HOST, which the SDK honours by itself; either way no
// credentials are sent. Endpoint wins over STORAGE_EMULATOR_HOST.
type Config struct {
	// CredentialsFile is a service-account JSON key file. The file holds a
	// private key; only its path ever appears in messages.
	CredentialsFile string `yaml:"credentials_file"`
	// Endpoint is the JSON API base URL of an emulator, for example
	// http://127.0.0.1:4443/storage/v1/ (a bare http://host:port gets
	// /storage/v1/ appended). Requests to it are not authenticated.
	Endpoint string `yaml:"endpoint"`
	// Project is billed for requests to requester-pays buckets (it is
	// sent as userProject). Leave it empty for ordinary buckets: setting
	// it requires serviceusage.services.use on that project.
	Project string `yaml:"project"`
	// ChunkSize is the resumable upload chunk ("16MiB" or a byte count):
	// a multiple of 256 KiB, 16 MiB by default. Files shorter than one chunk are uploaded in one
	// request. Each upload in progress holds one chunk in memory.
	ChunkSize backends.Size `yaml:"chunk_size"`
	// ChunkTimeout bounds one upload request (a chunk, or the whole of a
	// file shorter than one chunk) before the SDK retries it, and Commit's
	// final request: a store that stops answering fails the upload with
	// ErrTransient instead of hanging it. Default 5m.
	ChunkTimeout time.Duration `yaml:"chunk_timeout"`
	// RequestTimeout bounds each metadata request, retries included
	// (attributes, a listing page, a delete; default 1m): a store that
	// accepts connections but never answers fails the FTP command with
	// 451 instead of holding it.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// StorageClass, when set, is the class of every object the driver
	// writes (uploads, directory markers, renamed files); otherwise the
	// bucket's default class applies.
	StorageClass string `yaml:"storage_class"`
	// ListPageSize is the number of entries asked for per listing request,
	// 1 to 1000 (the default).
	ListPageSize int `yaml:"list_page_size"`
	// Directory renames (off by default; see objstore.DirRename):
	// rename_directories, rename_directory_limit.
	objstore.DirRename `yaml:",inline"`
	// Parallel ranged downloads (off by default; see objstore.Download):
	// download_concurrency, download_part_size.
	objstore.Download `yaml:",inline"`
	// object_metadata (default true; see objstore.Metadata).
	objstore.Metadata `yaml:",inline"`

	// creds is CredentialsFile as Validate read it.
	creds objstore.KeptFile
}

// Validate reports every invalid setting, each a *fielderr.Error naming
// its key and wrapping backends.ErrInvalid. Zero values are valid: they
// stand for the defaults. It reads credentials_file, once: the key is
// kept in c, so that New uses the key that was checked and a file changed
// or removed since does not matter.
func (c *Config) Validate() error {
	problems := fielderr.List{Kind: backends.ErrInvalid}
	bad := problems.Add
	if c.Endpoint != "" {
		if _, err := emulatorEndpoint(c.Endpoint); err != nil {
			bad("endpoint", "%v", err)
		}
		if c.CredentialsFile != "" {
			bad("credentials_file", "excludes endpoint (an emulator, reached without credentials)")
		}
	}
	if c.CredentialsFile != "" {
		err := c.creds.Load(c.CredentialsFile, func(data []byte) error { return checkServiceAccount(c.CredentialsFile, data) })
		if err != nil {
			bad("credentials_file", "%v", err)
		}
	}
	switch {
	case c.ChunkSize < 0 || c.ChunkSize%chunkQuantum != 0:
		bad("chunk_size", "%s is not a positive multiple of 256KiB", c.ChunkSize)
	case c.ChunkSize > maxChunkSize:
		bad("chunk_size", "%s is over 1GiB; each upload in progress holds one chunk in memory", c.ChunkSize)
	}
	if c.ChunkTimeout < 0 {
		bad("chunk_timeout", "%s is negative", c.ChunkTimeout)
	}
	if c.RequestTimeout < 0 {
		bad("request_timeout", "%s is negative", c.RequestTimeout)
	}
	if c.ListPageSize < 0 || c.ListPageSize > DefaultListPageSize {
		bad("list_page_size", "%d is outside 1 to %d", c.ListPageSize, DefaultListPageSize)
	}
	if c.StorageClass != "" && !slices.Contains(storageClasses, c.StorageClass) {
		bad("storage_class", "%q is not one of %v", c.StorageClass, storageClasses)
	}
	problems.Include("", c.DirRename.Validate())
	problems.Include("", c.Download.Validate())
	return problems.Err()
}

// checkServiceAccount accepts a service-account key, the only kind of
// credentials file the client takes (see clientOptions). Its messages name
// the file, never a byte of its content.
func checkServiceAccount(path string, data []byte) error {
	var key struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &key) != nil {
		return fmt.Errorf("%s is not a JSON key file", path)
	}
	if key.Type != "service_account" {
		return fmt.Errorf("%s holds credentials of type %q: want a service_account key", path, key.Type)
	}
	return nil
}

// withDefaults returns c with zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.ChunkSize == 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.ChunkTimeout == 0 {
		c.ChunkTimeout = DefaultChunkTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = time.Minute
	}
	if c.ListPageSize == 0 {
		c.ListPageSize = DefaultListPageSize
	}
	return c
}

// String describes the configuration for logs. It holds no secret: the
// credentials file is named, never its content (which Validate kept).
func (c Config) String() string {
	return fmt.Sprintf("gcs{credentials_file=%q endpoint=%q project=%q chunk_size=%s chunk_timeout=%s storage_class=%q list_page_size=%d}",
		c.CredentialsFile, c.Endpoint, c.Project, c.ChunkSize, c.ChunkTimeout, c.StorageClass, c.ListPageSize)
}

// GoString keeps %#v from printing the key Validate kept.
func (c Config) GoString() string { return c.String() }

// emulatorEndpoint checks raw and completes a bare scheme://host[:port]
// with the JSON API path.
func emulatorEndpoint(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		// url's error quotes the input, which may hold a password.
		return "", errors.New("is not a URL")
	case u.User != nil:
		return "", errors.New("must not hold credentials (user info)")
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "", fmt.Errorf("%q is not an http or https URL with a host", raw)
	}
	switch u.Path {
	case "", "/":
		u.Path = "/storage/v1/"
	default:
		if u.Path[len(u.Path)-1] != '/' {
			u.Path += "/"
		}
	}
	return u.String(), nil
}
