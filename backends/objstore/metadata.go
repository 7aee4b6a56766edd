package objstore

import (
	"net/url"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// The object metadata keys ftpsbridge writes. They are lower-case ASCII
// letters, digits and underscores, the one spelling valid everywhere: S3
// lower-cases x-amz-meta- names, Azure wants C# identifiers (no dashes),
// GCS takes anything. Drivers hand back metadata with lower-cased keys
// (Azure's SDK capitalises them from the response headers).
const (
	MetaUser     = "ftpsbridge_user"
	MetaClient   = "ftpsbridge_client"
	MetaSession  = "ftpsbridge_session"
	MetaUploaded = "ftpsbridge_uploaded"
	// MetaModTime is the modification time MFMT set (RFC 3339, UTC).
	MetaModTime = "ftpsbridge_mtime"
	// MetaDigestPrefix starts the key of each recorded digest:
	// ftpsbridge_sha256, ftpsbridge_sha1, ftpsbridge_md5, ftpsbridge_crc32.
	MetaDigestPrefix = "ftpsbridge_"
)

// digestNames are the digests a key of MetaDigestPrefix may hold.
var digestNames = []string{"sha256", "sha1", "md5", "crc32"}

// Metadata is the part of a driver's configuration about object metadata.
type Metadata struct {
	// ObjectMetadata records the uploader (user, client address, session
	// and upload time) on every object written; default on.
	ObjectMetadata *bool `yaml:"object_metadata"`
}

// originOn reports whether the uploader is recorded.
func (m Metadata) originOn() bool { return m.ObjectMetadata == nil || *m.ObjectMetadata }

// WriteOptions are what objstore asks of a Store's Create.
type WriteOptions struct {
	// Metadata is stored with the object (keys as above).
	Metadata map[string]string
	// Final, when set, returns more metadata once the stream has ended
	// (the digests): the driver adds it before the object becomes
	// visible where the store allows, else right after.
	Final func() map[string]string
	// Keep, when its Key is set, is the object now at the key, pinned to
	// its Version: the new object starts with its first KeepBytes bytes.
	Keep      Object
	KeepBytes int64
}

// originMetadata is the metadata recording o.
func originMetadata(o backends.Origin) map[string]string {
	m := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			m[k] = metaValue(v)
		}
	}
	put(MetaUser, o.User)
	put(MetaClient, o.Client)
	put(MetaSession, o.Session)
	if !o.Started.IsZero() {
		m[MetaUploaded] = o.Started.UTC().Format(time.RFC3339Nano)
	}
	return m
}

// metaValue makes v safe as a metadata value everywhere: S3 and Azure
// carry values in HTTP headers (printable ASCII only), so anything else
// is percent-encoded (a user name with an accent reads back encoded).
func metaValue(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '%' {
			return url.PathEscape(v)
		}
	}
	return v
}

// metaText undoes metaValue.
func metaText(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	if s, err := url.PathUnescape(v); err == nil {
		return s
	}
	return v
}

// LowerKeys returns m with its keys lower-cased, for drivers whose SDK
// returns them in another case.
func LowerKeys(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// modTime is the time MFMT recorded in o's metadata, else the store's.
func modTime(o Object) time.Time {
	if v, ok := o.Metadata[MetaModTime]; ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return o.ModTime
}

// fileInfo reads what o's metadata records.
func fileInfo(o Object) backends.FileInfo {
	fi := backends.FileInfo{Entry: fileEntry(o)}
	md := o.Metadata
	fi.Origin = backends.Origin{
		User:    metaText(md[MetaUser]),
		Client:  metaText(md[MetaClient]),
		Session: metaText(md[MetaSession]),
	}
	if t, err := time.Parse(time.RFC3339Nano, md[MetaUploaded]); err == nil {
		fi.Origin.Started = t
	}
	for _, name := range digestNames {
		if v := md[MetaDigestPrefix+name]; v != "" {
			if fi.Digests == nil {
				fi.Digests = map[string]string{}
			}
			fi.Digests[name] = v
		}
	}
	return fi
}

// digestMetadata turns Digests' answer into metadata, keeping only the
// known names.
func digestMetadata(sums map[string]string) map[string]string {
	m := map[string]string{}
	for _, name := range digestNames {
		if v := sums[name]; v != "" {
			m[MetaDigestPrefix+name] = v
		}
	}
	return m
}

// Merged returns a copy of base with set laid over it.
func Merged(base, set map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(set))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}
