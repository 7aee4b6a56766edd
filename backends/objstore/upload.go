package objstore

import (
	"context"
	"time"
)

// PartUpload is one staged, multipart upload to one key, as a block-based
// store offers it (S3 multipart uploads, Azure staged blocks). The shared
// writer from NewPartWriter drives it: it buffers the stream into parts,
// uploads up to Concurrency parts at once, and calls Complete or Abort.
type PartUpload interface {
	// PutWhole stores data as the whole object in one request. The writer
	// calls it instead of Begin when the stream ends within the first
	// part (small files cost one request).
	PutWhole(ctx context.Context, data []byte) error
	// Begin starts the multipart upload; called once, before any part.
	Begin(ctx context.Context) error
	// UploadPart stores part n (1-based, contiguous) holding data, which
	// stays valid and unchanged until the call returns. Calls run
	// concurrently. The returned Part is handed back to Complete.
	UploadPart(ctx context.Context, n int, data []byte) (Part, error)
	// Complete makes the object visible from parts, in order of N.
	Complete(ctx context.Context, parts []Part) error
	// Abort discards everything staged since Begin. It is called only
	// after Begin, with a context that is not the (possibly cancelled)
	// upload context, so cleanup still happens after a disconnect.
	Abort(ctx context.Context) error
}

// Part is what a store returned for one uploaded part.
type Part struct {
	N    int
	Size int64
	// ID is the store's handle for the part (an S3 ETag, an Azure block
	// ID); Checksum its integrity value when the store asks for one back.
	ID       string
	Checksum string
}

// PartOptions shape the writer of NewPartWriter.
type PartOptions struct {
	// PartSize is the size of every part but the last, at least while
	// the upload is shorter than GrowAfter parts.
	PartSize int64
	// Concurrency is how many parts are uploaded at once.
	Concurrency int
	// MaxParts is the store's limit on parts per upload (10,000 in S3,
	// 50,000 in Azure); parts grow so a long stream never reaches it.
	MaxParts int
	// MaxPartSize is the store's limit on one part's size.
	MaxPartSize int64
	// PartTimeout bounds one part's upload (all the SDK's retries
	// included), so one stuck request cannot hang a session; 0 means none.
	PartTimeout time.Duration
	// Staged are parts already in the upload (Begin was called): the
	// server-side copies of a resumed upload's head, numbered 1 to
	// len(Staged). The stream's parts follow them, and the upload is
	// multipart however short the stream (never PutWhole).
	Staged []Part
}
