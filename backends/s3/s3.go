// Package s3 is the ftpsbridge driver for Amazon S3 and S3-compatible
// stores, on github.com/aws/aws-sdk-go-v2.
//
// It supplies the raw calls of objstore.Store and objstore.PartUpload;
// package objstore makes a file tree of them. Uploads are multipart
// (lazily: a file shorter than one part is a single PutObject), every
// part carries a checksum that S3 verifies, downloads are ranged reads
// pinned to the object's ETag, listings are ListObjectsV2 pages with a
// "/" delimiter.
package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/pemfile"
)

// New builds the SDK client; it makes no request, so a store that is down
// at start-up fails the first command, not the server.
func New(cfg Config) (backends.Backend, error) {
	return newBackend(cfg, nil)
}

// newBackend is New, with the HTTP client replaced when one is given
// (tests inspect the requests).
func newBackend(cfg Config, httpClient s3.HTTPClient) (*backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	cfg = cfg.withDefaults()
	var roots *x509.CertPool
	if pem := cfg.ca.Bytes(); pem != nil {
		// The bytes Validate read and checked; the file is not read again.
		var err error
		if roots, err = pemfile.ParseCertPool(cfg.CAFile, pem); err != nil {
			return nil, fmt.Errorf("s3: ca_file: %v: %w", err, backends.ErrInvalid)
		}
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryMaxAttempts(cfg.MaxAttempts),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			// Many sessions upload at once; the SDK's default of a few
			// idle connections per host would reconnect constantly.
			t.MaxIdleConnsPerHost = 256
			if roots != nil {
				if t.TLSClientConfig == nil {
					t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				t.TLSClientConfig.RootCAs = roots
			}
		})),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)))
	}
	if cfg.RequestChecksum == "when_required" {
		opts = append(opts, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired))
	} else {
		opts = append(opts, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenSupported))
	}
	if cfg.ResponseChecksumValidation == "when_required" {
		opts = append(opts, config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	} else {
		opts = append(opts, config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenSupported))
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: loading AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		if cfg.Endpoint == "" {
			return nil, fmt.Errorf("s3: no region: set region or AWS_REGION: %w", backends.ErrInvalid)
		}
		// S3-compatible stores sign with a region but rarely care which.
		awsCfg.Region = "us-east-1"
	}
	// The SDK logs to stderr by default (warnings such as composite
	// checksums it cannot validate); route it to the server's log.
	awsCfg.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		slog.Debug(fmt.Sprintf(format, v...), "component", "aws-sdk", "class", string(c))
	})
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		if httpClient != nil {
			o.HTTPClient = httpClient
		}
	})
	be := &backend{client: client, cfg: cfg, log: slog.Default().With("backend", "s3")}
	if cfg.ListingModTimes == nil || *cfg.ListingModTimes {
		be.modTimes = objstore.NewModTimes(cfg.ListingModTimesCache)
	}
	return be, nil
}

type backend struct {
	client *s3.Client
	cfg    Config
	log    *slog.Logger
	// modTimes is shared by all the backend's buckets (users from an
	// identity provider get a bucket handle per login); nil when
	// listing_mod_times is off.
	modTimes *objstore.ModTimes
}

// bucketName accepts S3's bucket naming rules, loosely: lower case,
// digits, dots and dashes, 3 to 63 long (S3-compatible stores allow a
// little more: underscores and upper case).
var bucketName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]$`)

func (b *backend) Bucket(name string) (backends.Bucket, error) {
	if name == "" {
		return nil, fmt.Errorf("s3: a user of an S3 backend needs a bucket: %w", backends.ErrInvalid)
	}
	if !bucketName.MatchString(name) {
		return nil, fmt.Errorf("s3: invalid bucket name %q: %w", name, backends.ErrInvalid)
	}
	st := &store{client: b.client, bucket: name, cfg: b.cfg, log: b.log.With("bucket", name)}
	return objstore.NewBucket(st, objstore.Options{ListPageSize: b.cfg.ListPageSize, ReadStallTimeout: b.cfg.ReadStallTimeout, Rename: b.cfg.DirRename, Download: b.cfg.Download, Metadata: b.cfg.Metadata, ModTimes: b.modTimes, ModTimesNamespace: name}), nil
}

func (b *backend) Close() error { return nil }
