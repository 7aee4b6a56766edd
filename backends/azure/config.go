package azure

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Config configures one Azure Blob Storage account (or Azurite, or a
// sovereign cloud's blob endpoint). The credential is exactly one of:
// account_name with account_key; connection_string; sas_token; or none
// of these, which means the default Azure credential chain (environment,
// workload identity, managed identity, Azure CLI login).
type Config struct {
	// AccountName is the storage account. It makes the default endpoint
	// https://<account_name>.blob.core.windows.net/ and signs requests
	// with AccountKey when that is set.
	AccountName string `yaml:"account_name"`
	// AccountKey is the account's shared key (base64, as the portal
	// shows it). It never appears in messages.
	AccountKey string `yaml:"account_key"`
	// ConnectionString is the portal's connection string; it names the
	// account, the endpoint and the credential (AccountKey or
	// SharedAccessSignature) itself. It never appears in messages.
	ConnectionString string `yaml:"connection_string"`
	// SASToken is an account or container SAS ("sv=...&sig=..."). It needs
	// read, write, delete and list permissions (and create, to write new
	// blobs). It never appears in messages.
	SASToken string `yaml:"sas_token"`
	// Endpoint is the blob service URL, for Azurite
	// (http://127.0.0.1:10000/devstoreaccount1) or a sovereign cloud
	// (https://<account>.blob.core.chinacloudapi.cn/). Default:
	// https://<account_name>.blob.core.windows.net/.
	Endpoint string `yaml:"endpoint"`

	// BlockSize is the size of the staged blocks of an upload (default
	// 8 MiB, at most 4000 MiB); a file shorter than one block is a single
	// request. UploadConcurrency is how many blocks upload at once
	// (default 4). Memory per upload: BlockSize x (UploadConcurrency + 1).
	BlockSize         backends.Size `yaml:"block_size"`
	UploadConcurrency int           `yaml:"upload_concurrency"`
	// PartTimeout bounds one block's upload, retries included (default 5m).
	PartTimeout time.Duration `yaml:"part_timeout"`
	// RequestTimeout bounds each metadata request, retries included
	// (properties, a listing page, a directory marker, a delete; default
	// 1m): a service that accepts connections but never answers fails the
	// FTP command with 451 instead of holding it.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// ListPageSize is the MaxResults of each listing request (default
	// 1000, at most 5000).
	ListPageSize int `yaml:"list_page_size"`
	// Directory renames (off by default; see objstore.DirRename):
	// rename_directories, rename_directory_limit.
	objstore.DirRename `yaml:",inline"`
	// Parallel ranged downloads (off by default; see objstore.Download):
	// download_concurrency, download_part_size.
	objstore.Download `yaml:",inline"`
	// object_metadata (default true; see objstore.Metadata).
	objstore.Metadata `yaml:",inline"`
}

const (
	minBlockSize     = 1 << 20
	maxBlockSize     = 4000 << 20 // Put Block's limit since API version 2019-12-12
	defaultBlockSize = 8 << 20
	maxBlocks        = 50000 // committed blocks per blob
	maxListPageSize  = 5000
)

// accountName is Azure's rule for storage account names.
var accountName = regexp.MustCompile(`^[a-z0-9]{3,24}$`)

// Validate reports every setting Azure would refuse or that contradicts
// another, each a *fielderr.Error naming its key and wrapping
// backends.ErrInvalid; never a secret's value.
func (c *Config) Validate() error {
	problems := fielderr.List{Kind: backends.ErrInvalid}
	bad := problems.Add

	var credentials []string
	for _, cred := range [...]struct{ key, value string }{
		{"account_key", c.AccountKey}, {"connection_string", c.ConnectionString}, {"sas_token", c.SASToken},
	} {
		if cred.value != "" {
			credentials = append(credentials, cred.key)
		}
	}
	if len(credentials) > 1 {
		// Named at the second: the first may be the one meant.
		bad(credentials[1], "set only one of account_key, connection_string and sas_token (%s is set too)", credentials[0])
	}
	if c.AccountName != "" && !accountName.MatchString(c.AccountName) {
		bad("account_name", "%q must be 3 to 24 lower-case letters and digits", c.AccountName)
	}
	if c.AccountKey != "" {
		if c.AccountName == "" {
			bad("account_key", "needs account_name")
		}
		if _, err := base64.StdEncoding.DecodeString(c.AccountKey); err != nil {
			bad("account_key", "is not valid base64 (copy it from the portal's Access keys page)")
		}
	}
	if c.ConnectionString != "" && (c.AccountName != "" || c.Endpoint != "") {
		bad("connection_string", "names the account and endpoint itself: leave account_name and endpoint unset")
	}
	if c.SASToken != "" {
		q, err := url.ParseQuery(strings.TrimPrefix(c.SASToken, "?"))
		if err != nil || q.Get("sig") == "" {
			bad("sas_token", "is not a SAS query string (it must hold sv=... and sig=...)")
		}
	}
	if c.ConnectionString == "" && c.AccountName == "" && c.Endpoint == "" {
		bad("", "set account_name or endpoint (or connection_string)")
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			bad("endpoint", "%q must be an https:// URL (or http:// for Azurite)", redactURL(c.Endpoint))
		case u.RawQuery != "" || u.User != nil:
			// A query here would be a SAS, and String would print it.
			bad("endpoint", "must not carry a query or credentials: put a SAS in sas_token")
		}
	}
	if c.BlockSize != 0 && (c.BlockSize < minBlockSize || c.BlockSize > maxBlockSize) {
		bad("block_size", "%s is outside 1MiB..4000MiB", c.BlockSize)
	}
	if c.UploadConcurrency < 0 || c.UploadConcurrency > 64 {
		bad("upload_concurrency", "%d must be between 1 and 64", c.UploadConcurrency)
	}
	if c.RequestTimeout < 0 {
		bad("request_timeout", "must not be negative")
	}
	if c.PartTimeout < 0 {
		bad("part_timeout", "must not be negative")
	}
	if c.ListPageSize < 0 || c.ListPageSize > maxListPageSize {
		bad("list_page_size", "%d must be between 1 and %d", c.ListPageSize, maxListPageSize)
	}
	problems.Include("", c.DirRename.Validate())
	problems.Include("", c.Download.Validate())
	return problems.Err()
}

// withDefaults fills in what the operator left out.
func (c Config) withDefaults() Config {
	if c.BlockSize == 0 {
		c.BlockSize = defaultBlockSize
	}
	if c.UploadConcurrency == 0 {
		c.UploadConcurrency = 4
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = time.Minute
	}
	if c.PartTimeout == 0 {
		c.PartTimeout = 5 * time.Minute
	}
	if c.ListPageSize == 0 {
		c.ListPageSize = 1000
	}
	return c
}

// serviceURL is the blob service endpoint, ending in "/".
func (c Config) serviceURL() string {
	if c.Endpoint != "" {
		return strings.TrimSuffix(c.Endpoint, "/") + "/"
	}
	return "https://" + c.AccountName + ".blob.core.windows.net/"
}

// auth names the kind of credential, for logs.
func (c Config) auth() string {
	switch {
	case c.AccountKey != "":
		return "shared_key"
	case c.ConnectionString != "":
		return "connection_string"
	case c.SASToken != "":
		return "sas_token"
	}
	return "default_credential"
}

// String describes the configuration without its secrets, for logs.
func (c Config) String() string {
	return fmt.Sprintf("azure{account_name=%q endpoint=%q auth=%s block_size=%s upload_concurrency=%d part_timeout=%s list_page_size=%d}",
		c.AccountName, redactURL(c.Endpoint), c.auth(), c.BlockSize, c.UploadConcurrency, c.PartTimeout, c.ListPageSize)
}

// GoString keeps %#v from printing the secrets.
func (c Config) GoString() string { return c.String() }

// LogValue is what slog prints for a Config: no secrets either.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account_name", c.AccountName),
		slog.String("endpoint", redactURL(c.Endpoint)),
		slog.String("auth", c.auth()),
		slog.String("block_size", c.BlockSize.String()),
		slog.Int("upload_concurrency", c.UploadConcurrency),
		slog.Duration("part_timeout", c.PartTimeout),
		slog.Int("list_page_size", c.ListPageSize),
	)
}

// redactURL drops a URL's query and user information, where a SAS or
// a password would be.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?@"); i >= 0 {
			return raw[:i] + "[redacted]"
		}
		return raw
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	return u.String()
}
