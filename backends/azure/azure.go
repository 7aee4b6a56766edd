// Package azure is the ftpsbridge driver for Azure Blob Storage (and
// Azurite), on github.com/Azure/azure-sdk-for-go/sdk/storage/azblob.
//
// It supplies the raw calls of objstore.Store and objstore.PartUpload;
// package objstore makes a file tree of them. A bucket is a container.
// Files are block blobs: a file shorter than one block is one Put Blob,
// a longer one is staged as blocks (each carrying an MD5 the service
// checks) and committed with one Put Block List. Downloads are ranged
// reads pinned to the blob's ETag; listings are "/"-delimited List Blobs
// pages; renames are server-side copies.
//
// It must never put a secret in a message: account keys, connection
// strings and SAS tokens stay out of errors and logs (request URLs are
// logged without their query).
package azure

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

// New builds the SDK client; it makes no request (the default credential
// chain fetches its first token lazily too), so a store that is down at
// start-up fails the first command, not the server.
func New(cfg Config) (backends.Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	cfg = cfg.withDefaults()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Many sessions upload at once; a few idle connections per host
	// would reconnect constantly.
	transport.MaxIdleConnsPerHost = 256
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	opts := &service.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: &http.Client{Transport: transport},
		Telemetry: policy.TelemetryOptions{ApplicationID: "ftpsbridge"},
	}}

	be := &backend{cfg: cfg, transport: transport, log: slog.Default().With("backend", "azure")}
	var err error
	switch {
	case cfg.ConnectionString != "":
		be.service, err = service.NewClientFromConnectionString(cfg.ConnectionString, opts)
		if err != nil {
			// The SDK's message could quote the string; say only which key.
			return nil, fmt.Errorf("azure: connection_string is malformed: %w", backends.ErrInvalid)
		}
	case cfg.AccountKey != "":
		cred, err := service.NewSharedKeyCredential(cfg.AccountName, cfg.AccountKey)
		if err != nil {
			return nil, fmt.Errorf("azure: account_key is not a valid shared key: %w", backends.ErrInvalid)
		}
		be.service, err = service.NewClientWithSharedKeyCredential(cfg.serviceURL(), cred, opts)
		if err != nil {
			return nil, fmt.Errorf("azure: endpoint %q: %w", redactURL(cfg.serviceURL()), err)
		}
	case cfg.SASToken != "":
		be.service, err = service.NewClientWithNoCredential(cfg.serviceURL()+"?"+strings.TrimPrefix(cfg.SASToken, "?"), opts)
		if err != nil {
			return nil, fmt.Errorf("azure: endpoint %q with sas_token: %w", redactURL(cfg.serviceURL()), backends.ErrInvalid)
		}
	default:
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: transport}},
		})
		if err != nil {
			return nil, fmt.Errorf("azure: the default Azure credential chain: %w", err)
		}
		be.service, err = service.NewClient(cfg.serviceURL(), cred, opts)
		if err != nil {
			return nil, fmt.Errorf("azure: endpoint %q: %w", redactURL(cfg.serviceURL()), err)
		}
		// Copy Blob From URL cannot authorize its source with the
		// request's token: copies sign a user delegation SAS instead.
		be.delegate = true
	}
	return be, nil
}

type backend struct {
	cfg       Config
	service   *service.Client
	delegate  bool
	transport *http.Transport
	log       *slog.Logger
}

// containerName is Azure's rule: 3 to 63 lower-case letters, digits and
// single dashes, starting and ending with a letter or digit; or "$root".
var containerName = regexp.MustCompile(`^(\$root|[a-z0-9](-?[a-z0-9])+)$`)

// Bucket returns the container name. It makes no request: a missing
// container reads as missing files (ContainerNotFound is ErrNotExist).
func (b *backend) Bucket(name string) (backends.Bucket, error) {
	if name == "" {
		return nil, fmt.Errorf("azure: a user of an Azure backend needs a container (bucket): %w", backends.ErrInvalid)
	}
	if len(name) < 3 || len(name) > 63 || !containerName.MatchString(name) {
		return nil, fmt.Errorf("azure: invalid container name %q (3 to 63 lower-case letters, digits and single dashes): %w", name, backends.ErrInvalid)
	}
	return objstore.NewBucket(b.store(name), objstore.Options{ListPageSize: b.cfg.ListPageSize, Rename: b.cfg.DirRename, Download: b.cfg.Download, Metadata: b.cfg.Metadata}), nil
}

// store is the raw objstore.Store of container name.
func (b *backend) store(name string) *store {
	st := &store{
		container: b.service.NewContainerClient(name),
		cfg:       b.cfg,
		log:       b.log.With("container", name),
	}
	if b.delegate {
		st.delegation = b.service
	}
	return st
}

// Close drops idle connections; the clients hold nothing else.
func (b *backend) Close() error {
	b.transport.CloseIdleConnections()
	return nil
}
