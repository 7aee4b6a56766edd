package objstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// growAfterShare: parts keep PartSize for the first MaxParts/growAfterShare
// parts; after that each part is sized written/(MaxParts/growAfterShare),
// so the stream grows by that fraction per part. With S3's 10,000 parts
// and 16 MiB that is 31.25 GiB at the first size, then growth by e^4 over the
// remaining 8,000 parts: about 1.7 TiB before the part limit, with parts
// of about 512 MiB at 1 TiB. A stream never learns its size in advance
// (STOR carries none), so this is the trade: constant memory for files up
// to 31.25 GiB, slowly growing parts beyond, never a late failure below the
// store's own object size limit.
const growAfterShare = 5

// cleanupTimeout bounds Abort's call to the store, which runs on a
// context of its own because the upload's may be cancelled already.
const cleanupTimeout = time.Minute

// firstBufferSize is where the first part's buffer starts; it doubles up
// to the part size, so a small file never holds a whole part's memory.
const firstBufferSize = 64 << 10

// NewPartWriter returns a backends.Writer that streams into up: the
// stream is cut into parts buffered in memory, up to opts.Concurrency
// parts upload at once while the next fills, so memory per upload stays
// within PartSize x (Concurrency + 1). A stream that ends within the
// first part is stored with one PutWhole. Commit returns once the store
// has assembled the object; any failure, Abort, or cancellation of ctx
// discards the staged parts.
func NewPartWriter(ctx context.Context, up PartUpload, opts PartOptions) backends.Writer {
	if opts.PartSize <= 0 {
		opts.PartSize = 16 << 20
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.MaxParts <= 0 {
		opts.MaxParts = 10000
	}
	if opts.MaxPartSize < opts.PartSize {
		opts.MaxPartSize = opts.PartSize
	}
	uctx, cancel := context.WithCancel(ctx)
	w := &partWriter{
		ctx:    uctx,
		cancel: cancel,
		up:     up,
		opts:   opts,
		budget: opts.PartSize * int64(opts.Concurrency),
	}
	w.cond = sync.NewCond(&w.mu)
	if len(opts.Staged) > 0 {
		w.begun = true
		w.parts = slices.Clone(opts.Staged)
		w.n = len(opts.Staged)
		for _, p := range opts.Staged {
			w.written += p.Size
		}
	}
	// A cancelled context aborts even if the caller never calls Abort.
	w.stopAfter = context.AfterFunc(ctx, func() { w.abort() })
	return w
}

type writerState int

const (
	open writerState = iota
	committing
	committed
	aborted
)

// The fast path of the contract (see backends.Writer): parts are filled
// straight from the upload's source.
var _ io.ReaderFrom = (*partWriter)(nil)

type partWriter struct {
	ctx       context.Context
	cancel    context.CancelFunc
	up        PartUpload
	opts      PartOptions
	stopAfter func() bool

	// Owned by the writing goroutine.
	buf     []byte
	written int64 // bytes in parts handed off
	n       int   // parts handed off

	mu       sync.Mutex
	cond     *sync.Cond
	state    writerState
	begun    bool
	inflight int64 // bytes of parts uploading
	budget   int64 // most bytes uploading at once
	parts    []Part
	err      error // first failure
	wg       sync.WaitGroup
	aborting sync.Once
}

// partSize is the size of the part being filled now.
func (w *partWriter) partSize() int64 {
	growAfter := int64(w.opts.MaxParts / growAfterShare)
	size := w.opts.PartSize
	if int64(w.n) >= growAfter {
		size = max(size, w.written/growAfter)
	}
	return min(size, w.opts.MaxPartSize)
}

// room returns the free space of the part being filled: a full part is
// handed to an uploader first, and a buffer with no space left grows.
func (w *partWriter) room() ([]byte, error) {
	for {
		size := w.partSize()
		if int64(len(w.buf)) == size {
			if err := w.flush(); err != nil {
				return nil, err
			}
			continue
		}
		if len(w.buf) == cap(w.buf) {
			w.grow(size)
		}
		return w.buf[len(w.buf):min(int64(cap(w.buf)), size)], nil
	}
}

func (w *partWriter) Write(p []byte) (int, error) {
	if err := w.failure(); err != nil {
		return 0, err
	}
	total := 0
	for len(p) > 0 {
		free, err := w.room()
		if err != nil {
			return total, err
		}
		n := copy(free, p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
		total += n
	}
	return total, nil
}

// ReadFrom fills the parts straight from r, without the intermediate
// buffer of a Read/Write loop: on an upload every byte would otherwise be
// copied twice in memory, a visible share of a small server's CPU.
func (w *partWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.failure(); err != nil {
			return total, err
		}
		free, err := w.room()
		if err != nil {
			return total, err
		}
		n, err := r.Read(free)
		w.buf = w.buf[:len(w.buf)+n]
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// grow enlarges the buffer being filled towards size: the first part's
// buffer doubles from small, the later ones come whole from the pool.
func (w *partWriter) grow(size int64) {
	if w.n > 0 || len(w.buf) == 0 && size <= firstBufferSize {
		next := getBuffer(size)
		next = append(next, w.buf...)
		putBuffer(w.buf)
		w.buf = next
		return
	}
	c := min(max(int64(cap(w.buf))*2, firstBufferSize), size)
	next := make([]byte, len(w.buf), c)
	copy(next, w.buf)
	w.buf = next
}

// failure returns why the writer cannot take more data, if it cannot.
func (w *partWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.err != nil:
		return w.err
	case w.state == aborted:
		return fmt.Errorf("upload aborted: %w", backends.ErrInvalid)
	case w.state != open:
		return fmt.Errorf("upload already committed: %w", backends.ErrInvalid)
	}
	return nil
}

// flush hands the full buffer to an uploading goroutine, first waiting
// until the in-flight budget has room for it (backpressure on the client).
func (w *partWriter) flush() error {
	data := w.buf
	w.buf = nil
	if n := w.n + 1; n > w.opts.MaxParts {
		putBuffer(data)
		return w.fail(fmt.Errorf("upload exceeds %d parts of at most %d bytes: %w", w.opts.MaxParts, w.opts.MaxPartSize, backends.ErrFileTooLarge))
	}
	if err := w.begin(); err != nil {
		putBuffer(data)
		return err
	}
	size := int64(len(data))
	w.mu.Lock()
	for w.inflight > 0 && w.inflight+size > w.budget && w.err == nil && w.state != aborted {
		w.cond.Wait()
	}
	if err := w.stateErr(); err != nil {
		w.mu.Unlock()
		putBuffer(data)
		return err
	}
	w.inflight += size
	w.wg.Add(1)
	w.mu.Unlock()
	w.n++
	w.written += size
	go w.upload(w.n, data)
	return nil
}

// stateErr is failure's check with mu held.
func (w *partWriter) stateErr() error {
	switch {
	case w.err != nil:
		return w.err
	case w.state == aborted:
		return fmt.Errorf("upload aborted: %w", backends.ErrInvalid)
	}
	return nil
}

// begin starts the multipart upload before the first part. It runs on a
// context that a disconnect cannot cancel half way, since a started
// upload whose ID never arrived could not be aborted; the abort that
// follows a disconnect cleans it up instead.
func (w *partWriter) begin() error {
	w.mu.Lock()
	if w.begun {
		w.mu.Unlock()
		return nil
	}
	if err := w.stateErr(); err != nil {
		w.mu.Unlock()
		return err
	}
	w.begun = true
	w.wg.Add(1)
	w.mu.Unlock()
	defer w.wg.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), cleanupTimeout)
	defer cancel()
	if err := w.up.Begin(ctx); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *partWriter) upload(n int, data []byte) {
	defer w.wg.Done()
	ctx, cancel := w.ctx, context.CancelFunc(func() {})
	if w.opts.PartTimeout > 0 {
		ctx, cancel = context.WithTimeout(w.ctx, w.opts.PartTimeout)
	}
	part, err := w.up.UploadPart(ctx, n, data)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && w.ctx.Err() == nil {
		err = fmt.Errorf("part %d took longer than %s: %w", n, w.opts.PartTimeout, backends.ErrTransient)
	}
	cancel()
	size := int64(len(data))
	putBuffer(data)
	if err != nil {
		w.fail(fmt.Errorf("uploading part %d: %w", n, err))
	}
	w.mu.Lock()
	w.inflight -= size
	if err == nil {
		part.N, part.Size = n, size
		w.parts = append(w.parts, part)
	}
	w.cond.Broadcast()
	w.mu.Unlock()
}

// fail records the first error and stops the parts in flight.
func (w *partWriter) fail(err error) error {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	first := w.err
	w.cond.Broadcast()
	w.mu.Unlock()
	w.cancel()
	return first
}

func (w *partWriter) Commit() error {
	w.mu.Lock()
	if w.state == committed {
		w.mu.Unlock()
		return nil
	}
	if err := w.stateErr(); err != nil {
		w.mu.Unlock()
		w.abort()
		return err
	}
	w.state = committing
	begun := w.begun
	w.mu.Unlock()
	// A cancelled upload must not commit, even if the store would take
	// a request on a dead context (the abort runs asynchronously).
	if err := w.ctx.Err(); err != nil {
		w.abort()
		return fmt.Errorf("upload cancelled: %w", err)
	}

	err := w.finish(begun)
	if err != nil {
		w.abort()
		return err
	}
	w.mu.Lock()
	w.state = committed
	w.mu.Unlock()
	w.stopAfter()
	w.cancel()
	return nil
}

// finish uploads what remains and assembles the object.
func (w *partWriter) finish(begun bool) error {
	if !begun {
		data := w.buf
		w.buf = nil
		defer putBuffer(data)
		if err := w.up.PutWhole(w.ctx, data); err != nil {
			return w.fail(err)
		}
		return nil
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.wg.Wait()
	w.mu.Lock()
	err, parts := w.err, slices.Clone(w.parts)
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if len(parts) != w.n {
		return w.fail(fmt.Errorf("%d of %d parts uploaded: %w", len(parts), w.n, backends.ErrTransient))
	}
	slices.SortFunc(parts, func(a, b Part) int { return cmp.Compare(a.N, b.N) })
	if err := w.up.Complete(w.ctx, parts); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *partWriter) Abort() error {
	w.mu.Lock()
	done := w.state == committed
	w.mu.Unlock()
	if done {
		return nil
	}
	w.abort()
	return nil
}

// abort stops the parts in flight and discards what the store staged.
// It may run on the context's AfterFunc goroutine, so it never touches
// the buffer being filled, which belongs to the writing goroutine.
func (w *partWriter) abort() {
	w.aborting.Do(func() {
		w.mu.Lock()
		if w.state == committed {
			w.mu.Unlock()
			return
		}
		w.state = aborted
		w.cond.Broadcast()
		w.mu.Unlock()
		w.cancel()
		w.wg.Wait()
		w.mu.Lock()
		begun := w.begun
		w.mu.Unlock()
		if begun {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), cleanupTimeout)
			defer cancel()
			// The store's error has nowhere to go but the log, which is
			// the driver's to write: the caller already failed.
			_ = w.up.Abort(ctx)
		}
	})
}
