package s3

import (
	"fmt"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/internal/pemfile"
)

// Config configures one S3 (or S3-compatible) backend.
type Config struct {
	// Region of the buckets; else the SDK's chain (AWS_REGION, profile).
	// S3-compatible stores usually accept "us-east-1".
	Region string `yaml:"region"`
	// Endpoint and PathStyle reach S3-compatible stores (MinIO, Ceph,
	// versitygw, Cloudflare R2, Wasabi): "https://host:port".
	Endpoint  string `yaml:"endpoint"`
	PathStyle bool   `yaml:"path_style"`
	// CAFile is a PEM bundle of the CAs that sign the endpoint's
	// certificate, trusted instead of the system's: for stores behind a
	// private CA (on-premises Ceph, MinIO, ECS). Needs an https endpoint.
	CAFile string `yaml:"ca_file"`
	// Static credentials; when empty the SDK's default chain applies
	// (environment, shared profile, web identity, container, IMDS).
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	SessionToken    string `yaml:"session_token"`
	// Profile selects a shared-config profile for the default chain.
	Profile string `yaml:"profile"`

	// PartSize is the multipart part size (default 16 MiB, at least
	// 5 MiB); UploadConcurrency how many parts upload at once (default 4).
	// Memory per upload: PartSize x (UploadConcurrency + 1).
	PartSize          backends.Size `yaml:"part_size"`
	UploadConcurrency int           `yaml:"upload_concurrency"`
	// PartTimeout bounds one part's upload, retries included (default 5m).
	PartTimeout time.Duration `yaml:"part_timeout"`
	// ReadStallTimeout fails a download from which S3 has sent nothing
	// for this long (after resuming it up to three times); default 1m.
	ReadStallTimeout time.Duration `yaml:"read_stall_timeout"`
	// MaxAttempts per request, the first included (default 5); retries
	// back off as the SDK does.
	MaxAttempts int `yaml:"max_attempts"`
	// RequestTimeout bounds each metadata request, retries included
	// (HEAD, listing, directory marker, delete, starting and aborting a
	// multipart upload; default 1m): a store that accepts connections but
	// never answers fails the FTP command with 451 instead of holding it.
	// Data transfers have part_timeout and read_stall_timeout instead;
	// completions and server-side copies of large objects are unbounded,
	// since some stores legitimately take minutes over them.
	RequestTimeout time.Duration `yaml:"request_timeout"`

	// SSE is "", "AES256" or "aws:kms" (then SSEKMSKeyID optionally
	// names the key; else the bucket's default KMS key).
	SSE          string `yaml:"sse"`
	SSEKMSKeyID  string `yaml:"sse_kms_key_id"`
	StorageClass string `yaml:"storage_class"`

	// RequestChecksum and ResponseChecksumValidation are the SDK's
	// checksum modes: "when_supported" (the default) or "when_required".
	// Some S3-compatible stores (older MinIO and Ceph, R2) reject the
	// newer checksum headers: use when_required there. Uploads are
	// integrity-checked either way: parts carry a CRC32C in the first
	// mode and a Content-MD5 in the second.
	RequestChecksum            string `yaml:"request_checksum"`
	ResponseChecksumValidation string `yaml:"response_checksum_validation"`
	// ChecksumType is how a multipart upload's CRC32C covers the object:
	// "full_object" (the default): the CRC of all its bytes, which the
	// store checks against the parts it assembled, together with the
	// object's size; "composite": a checksum of the parts' checksums, for
	// stores that predate full-object checksums. Each part's own CRC32C
	// is checked in both.
	ChecksumType string `yaml:"checksum_type"`

	// SignPayload includes the SHA-256 of every upload's bytes in the
	// request signature. Off by default: TLS protects the bytes in
	// transit and the store verifies each part's checksum anyway.
	SignPayload bool `yaml:"sign_payload"`

	// ListPageSize is the MaxKeys of each listing request (default 1000).
	ListPageSize int `yaml:"list_page_size"`
	// Directory renames (off by default; see objstore.DirRename):
	// rename_directories, rename_directory_limit.
	objstore.DirRename `yaml:",inline"`
	// Parallel ranged downloads (off by default; see objstore.Download):
	// download_concurrency, download_part_size.
	objstore.Download `yaml:",inline"`
	// object_metadata (default true; see objstore.Metadata).
	objstore.Metadata `yaml:",inline"`
	// ListingModTimes makes LIST and MLSD show the times MFMT set, at the
	// cost of one HEAD per file the first time it is listed (S3 lists no
	// metadata); default true. ListingModTimesCache is how many objects'
	// answers are remembered (default 50,000, about 15 MiB).
	ListingModTimes      *bool `yaml:"listing_mod_times"`
	ListingModTimesCache int   `yaml:"listing_mod_times_cache"`

	// ca is CAFile as Validate read it.
	ca objstore.KeptFile
}

// defaultModTimesCache bounds the listing-time cache: some 300 bytes per
// object remembered.
const defaultModTimesCache = 50000

const (
	minPartSize     = 5 << 20
	maxPartSize     = 5 << 30
	defaultPartSize = 16 << 20
	maxParts        = 10000
)

// Validate reports every value S3 would refuse, each a *fielderr.Error
// naming its key and wrapping backends.ErrInvalid. It reads ca_file, once:
// the certificates are kept in c, so that New trusts the bundle that was
// checked and a file changed or removed since does not matter.
func (c *Config) Validate() error {
	problems := fielderr.List{Kind: backends.ErrInvalid}
	bad := problems.Add
	if c.PartSize != 0 && (c.PartSize < minPartSize || c.PartSize > maxPartSize) {
		bad("part_size", "%s is outside S3's limits 5MiB..5GiB", c.PartSize)
	}
	if c.UploadConcurrency < 0 || c.UploadConcurrency > 64 {
		bad("upload_concurrency", "%d must be between 1 and 64", c.UploadConcurrency)
	}
	if c.PartTimeout < 0 {
		bad("part_timeout", "must not be negative")
	}
	if c.ReadStallTimeout < 0 {
		bad("read_stall_timeout", "must not be negative")
	}
	if c.RequestTimeout < 0 {
		bad("request_timeout", "must not be negative")
	}
	if c.MaxAttempts < 0 {
		bad("max_attempts", "must not be negative")
	}
	switch {
	case c.AccessKeyID != "" && c.SecretAccessKey == "":
		bad("access_key_id", "needs secret_access_key")
	case c.AccessKeyID == "" && c.SecretAccessKey != "":
		bad("secret_access_key", "needs access_key_id")
	}
	switch c.SSE {
	case "", "AES256", "aws:kms":
	default:
		bad("sse", "%q must be AES256 or aws:kms", c.SSE)
	}
	if c.SSEKMSKeyID != "" && c.SSE != "aws:kms" {
		bad("sse_kms_key_id", "needs sse: aws:kms")
	}
	for _, mode := range [...]struct{ key, value string }{
		{"request_checksum", c.RequestChecksum},
		{"response_checksum_validation", c.ResponseChecksumValidation},
	} {
		if mode.value != "" && mode.value != "when_supported" && mode.value != "when_required" {
			bad(mode.key, "%q must be when_supported or when_required", mode.value)
		}
	}
	if c.ChecksumType != "" && c.ChecksumType != "full_object" && c.ChecksumType != "composite" {
		bad("checksum_type", "%q must be full_object or composite", c.ChecksumType)
	}
	if c.ChecksumType != "" && c.RequestChecksum == "when_required" {
		bad("checksum_type", "needs request_checksum: when_supported (with when_required, parts carry a Content-MD5)")
	}
	if c.Endpoint != "" && !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		bad("endpoint", "%q must start with https:// (or http:// for a local test store)", c.Endpoint)
	}
	if c.CAFile != "" {
		if !strings.HasPrefix(c.Endpoint, "https://") {
			bad("ca_file", "needs an https:// endpoint")
		}
		err := c.ca.Load(c.CAFile, func(data []byte) error {
			_, err := pemfile.ParseCertPool(c.CAFile, data)
			return err
		})
		if err != nil {
			bad("ca_file", "%v", err)
		}
	}
	if c.ListPageSize < 0 || c.ListPageSize > 1000 {
		bad("list_page_size", "%d must be between 1 and 1000", c.ListPageSize)
	}
	if c.ListingModTimesCache < 0 {
		bad("listing_mod_times_cache", "must not be negative")
	}
	problems.Include("", c.DirRename.Validate())
	problems.Include("", c.Download.Validate())
	return problems.Err()
}

// withDefaults fills in what the operator left out.
func (c Config) withDefaults() Config {
	if c.PartSize == 0 {
		c.PartSize = defaultPartSize
	}
	if c.UploadConcurrency == 0 {
		c.UploadConcurrency = 4
	}
	if c.PartTimeout == 0 {
		c.PartTimeout = 5 * time.Minute
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = time.Minute
	}
	if c.ListPageSize == 0 {
		c.ListPageSize = 1000
	}
	if c.ListingModTimesCache == 0 {
		c.ListingModTimesCache = defaultModTimesCache
	}
	if c.RequestChecksum == "" {
		c.RequestChecksum = "when_supported"
	}
	if c.ResponseChecksumValidation == "" {
		c.ResponseChecksumValidation = "when_supported"
	}
	if c.ChecksumType == "" && c.RequestChecksum == "when_supported" {
		c.ChecksumType = "full_object"
	}
	return c
}

// String describes the configuration without its secrets, for logs.
func (c Config) String() string {
	secret := ""
	if c.SecretAccessKey != "" {
		secret = " secret_access_key=[redacted]"
	}
	return fmt.Sprintf("s3{region=%q endpoint=%q path_style=%v access_key_id=%q%s part_size=%s upload_concurrency=%d}",
		c.Region, c.Endpoint, c.PathStyle, c.AccessKeyID, secret, c.PartSize, c.UploadConcurrency)
}
