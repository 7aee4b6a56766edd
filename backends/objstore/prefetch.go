package objstore

import (
	"errors"
	"io"
	"sync"
)

// A download read and written in turns leaves both links idle half the
// time: while the server encrypts and writes to the client, nothing comes
// from the store, and the other way round. WriteTo reads ahead in a
// goroutine of its own, up to prefetchDepth chunks (2 MiB per download),
// so both streams keep moving; the chunks go to the client without a
// further copy.
const (
	prefetchChunk = 256 << 10
	prefetchDepth = 8
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, prefetchChunk); return &b }}

type chunk struct {
	buf *[]byte
	n   int
	err error
}

// WriteTo streams the rest of the object to w. A failed write stops the
// read ahead at once (the store request is cancelled); a failed read is
// returned after the bytes before it were written.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	chunks := make(chan chunk, prefetchDepth)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(chunks)
		for {
			bp := chunkPool.Get().(*[]byte)
			n, err := fill(r, *bp)
			select {
			case chunks <- chunk{bp, n, err}:
			case <-stop:
				chunkPool.Put(bp)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for c := range chunks {
			chunkPool.Put(c.buf)
		}
		wg.Wait()
	}()
	var total int64
	for c := range chunks {
		if c.n > 0 {
			m, err := w.Write((*c.buf)[:c.n])
			total += int64(m)
			if err == nil && m < c.n {
				err = io.ErrShortWrite
			}
			if err != nil {
				chunkPool.Put(c.buf)
				r.abort()
				return total, err
			}
		}
		chunkPool.Put(c.buf)
		if errors.Is(c.err, io.EOF) {
			return total, nil
		}
		if c.err != nil {
			return total, c.err
		}
	}
	return total, nil
}

// fill reads into buf until it is full or r fails; at the end of the
// object the error is io.EOF. (Not io.ReadFull, whose ErrUnexpectedEOF
// would be hard to tell from a truncated store stream's.)
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
