package ftps

import (
	"bytes"
	"io"
)

// TYPE A (RFC 959 section 3.1.1.1) sends text with CRLF line ends on the
// wire; files are stored with the server's LF.

// crlfWriter turns LF into CRLF on the way to the client. A CR already
// before an LF is kept as is, so CRLF files are not doubled.
type crlfWriter struct {
	w      io.Writer
	lastCR bool
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			n, err := c.w.Write(p)
			written += n
			if n > 0 {
				c.lastCR = p[n-1] == '\r'
			}
			return written, err
		}
		prevCR := c.lastCR
		if i > 0 {
			prevCR = p[i-1] == '\r'
		}
		if _, err := c.w.Write(p[:i]); err != nil {
			return written, err
		}
		nl := "\r\n"
		if prevCR {
			nl = "\n"
		}
		if _, err := io.WriteString(c.w, nl); err != nil {
			return written, err
		}
		written += i + 1
		c.lastCR = false
		p = p[i+1:]
	}
	return written, nil
}

// lfWriter turns CRLF from the client into LF. A CR at the end of one
// write is held back until the next shows whether an LF follows it.
type lfWriter struct {
	w       io.Writer
	pending bool // a CR is held back
	out     []byte
}

func (l *lfWriter) Write(p []byte) (int, error) {
	l.out = l.out[:0]
	for _, b := range p {
		if l.pending {
			l.pending = false
			if b != '\n' {
				l.out = append(l.out, '\r')
			}
		}
		if b == '\r' {
			l.pending = true
			continue
		}
		l.out = append(l.out, b)
	}
	if _, err := l.w.Write(l.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes a CR held back at the very end of the stream.
func (l *lfWriter) Close() error {
	if l.pending {
		l.pending = false
		_, err := l.w.Write([]byte{'\r'})
		return err
	}
	return nil
}
