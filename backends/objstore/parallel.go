package objstore

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Download is the part of a driver's configuration about reading one
// download as several ranges at once. One stream from a cloud store is
// slower than what the store serves to concurrent byte-range requests (the
// pattern Amazon's S3 guidelines recommend for large objects); ranges read
// in parallel ahead of the client let a large download reach the link's
// speed. It costs
// memory (DownloadConcurrency x DownloadPartSize per download) and
// requests, so it is off (one stream) unless configured.
type Download struct {
	// DownloadConcurrency is how many ranges of one download are read
	// from the store at once; 0 or 1 reads one stream.
	DownloadConcurrency int `yaml:"download_concurrency"`
	// DownloadPartSize is the size of each range (default 8 MiB).
	DownloadPartSize backends.Size `yaml:"download_part_size"`
}

const (
	defaultDownloadPartSize = 8 << 20
	minDownloadPartSize     = 256 << 10
	maxDownloadPartSize     = 1 << 30
	maxDownloadConcurrency  = 64
)

// Validate reports every setting out of range, each a *fielderr.Error
// naming its key and wrapping backends.ErrInvalid.
func (d Download) Validate() error {
	problems := fielderr.List{Kind: backends.ErrInvalid}
	if d.DownloadConcurrency < 0 || d.DownloadConcurrency > maxDownloadConcurrency {
		problems.Add("download_concurrency", "%d must be between 1 and %d", d.DownloadConcurrency, maxDownloadConcurrency)
	}
	if d.DownloadPartSize != 0 && (d.DownloadPartSize < minDownloadPartSize || d.DownloadPartSize > maxDownloadPartSize) {
		problems.Add("download_part_size", "%s must be between 256KiB and 1GiB", d.DownloadPartSize)
	}
	return problems.Err()
}

func (d Download) partSize() int64 {
	if d.DownloadPartSize > 0 {
		return int64(d.DownloadPartSize)
	}
	return defaultDownloadPartSize
}

// parallel says whether reading n bytes goes in parallel ranges: only
// when configured and when there is more than one range to read.
func (d Download) parallel(n int64) bool {
	return d.DownloadConcurrency > 1 && n > d.partSize()
}

// span is one range of a parallel download, read into a buffer of its
// own by a goroutine of its own.
type span struct {
	buf  []byte
	n    int
	err  error
	done chan struct{}
}

// parallelReader delivers an object from an offset, in order, while up
// to concurrency ranges are read ahead. Each range is a reader of its own:
// pinned to the version first seen, resumed when its stream breaks, and
// bounded by the stall watchdog, like a single-stream download.
type parallelReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	s      Store
	obj    Object
	start  int64
	part   int64
	stall  time.Duration
	ranges int

	spans []*span // in order; spans[0] is the one being delivered
	next  int     // the next range to start
	off   int     // bytes of spans[0] already delivered
	wg    sync.WaitGroup
	err   error
	// closed is set by Close; Read and WriteTo run on one goroutine.
	closed bool
}

// newParallelReader opens the first range before it returns, so that a
// download the store refuses (denied, gone) fails before the transfer
// starts, as a single-stream one does.
func newParallelReader(ctx context.Context, s Store, obj Object, offset int64, d Download, stall time.Duration) (*parallelReader, error) {
	ctx, cancel := context.WithCancel(ctx)
	part := d.partSize()
	p := &parallelReader{
		ctx: ctx, cancel: cancel, s: s, obj: obj, start: offset, part: part, stall: stall,
		ranges: int((obj.Size - offset + part - 1) / part),
	}
	first, err := newReader(ctx, s, obj, offset, min(offset+part, obj.Size), stall)
	if err != nil {
		cancel()
		return nil, err
	}
	p.launch(first)
	for range min(d.DownloadConcurrency, p.ranges) - 1 {
		p.launch(nil)
	}
	return p, nil
}

// Size is the whole object's size.
func (p *parallelReader) Size() int64 { return p.obj.Size }

// launch starts reading the next range, with r when it is open already.
func (p *parallelReader) launch(r *reader) {
	off := p.start + int64(p.next)*p.part
	end := min(off+p.part, p.obj.Size)
	p.next++
	sp := &span{buf: getBuffer(p.part)[:end-off], done: make(chan struct{})}
	p.spans = append(p.spans, sp)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(sp.done)
		if r == nil {
			var err error
			if r, err = newReader(p.ctx, p.s, p.obj, off, end, p.stall); err != nil {
				sp.err = err
				return
			}
		}
		defer r.Close()
		// The reader ends with io.EOF only at the range's end, and the
		// buffer is exactly the range: it fills, or err is a failure.
		sp.n, sp.err = fill(r, sp.buf)
	}()
}

// head waits for the range being delivered and returns it. A failed
// range fails the download, after the ranges before it were delivered.
func (p *parallelReader) head() (*span, error) {
	if p.err != nil {
		return nil, p.err
	}
	sp := p.spans[0]
	<-sp.done
	if sp.err != nil {
		p.err = sp.err
		p.cancel()
		return nil, sp.err
	}
	return sp, nil
}

// advance recycles the delivered range's buffer and starts the next one,
// so that at most concurrency buffers exist at any time.
func (p *parallelReader) advance() {
	putBuffer(p.spans[0].buf)
	p.spans[0] = nil
	p.spans = p.spans[1:]
	p.off = 0
	if p.next < p.ranges {
		p.launch(nil)
	}
}

func (p *parallelReader) Read(b []byte) (int, error) {
	if p.closed {
		return 0, fmt.Errorf("read after close: %w", backends.ErrInvalid)
	}
	for len(p.spans) > 0 {
		sp, err := p.head()
		if err != nil {
			return 0, err
		}
		if p.off < sp.n {
			n := copy(b, sp.buf[p.off:sp.n])
			p.off += n
			return n, nil
		}
		p.advance()
	}
	return 0, io.EOF
}

// WriteTo writes the ranges as they complete, in writeChunk pieces (the
// size the front end's TLS writes are tuned for).
func (p *parallelReader) WriteTo(w io.Writer) (int64, error) {
	if p.closed {
		return 0, fmt.Errorf("read after close: %w", backends.ErrInvalid)
	}
	var total int64
	for len(p.spans) > 0 {
		sp, err := p.head()
		if err != nil {
			return total, err
		}
		for p.off < sp.n {
			chunk := sp.buf[p.off:min(p.off+writeChunk, sp.n)]
			m, err := w.Write(chunk)
			total += int64(m)
			p.off += m
			if err == nil && m < len(chunk) {
				err = io.ErrShortWrite
			}
			if err != nil {
				p.err = err
				p.cancel()
				return total, err
			}
		}
		p.advance()
	}
	return total, nil
}

func (p *parallelReader) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.cancel()
	p.wg.Wait()
	for _, sp := range p.spans {
		putBuffer(sp.buf)
	}
	p.spans = nil
	return nil
}
