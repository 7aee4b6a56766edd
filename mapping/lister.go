package mapping

import (
	"context"
	"io"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// staticLister lists the virtual directories above mount points, which
// exist only in the session and have no storage of their own.
type staticLister struct {
	entries []backends.Entry
	done    bool
}

func (l *staticLister) Next(ctx context.Context) ([]backends.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.done || len(l.entries) == 0 {
		return nil, io.EOF
	}
	l.done = true
	return l.entries, nil
}

func (l *staticLister) Close() error { return nil }

// mergeLister streams a bucket listing with mount points merged in as
// directories, keeping the lexical order the contract promises. A mount
// point hides a stored entry of the same name, as on a Unix mount.
type mergeLister struct {
	inner     backends.Lister
	virtual   []backends.Entry // sorted; those not yet emitted
	innerDone bool
}

func (l *mergeLister) Next(ctx context.Context) ([]backends.Entry, error) {
	for !l.innerDone {
		page, err := l.inner.Next(ctx)
		if err == io.EOF {
			l.innerDone = true
			break
		}
		out := l.merge(page)
		if err != nil || len(out) > 0 {
			return out, err
		}
	}
	if len(l.virtual) == 0 {
		return nil, io.EOF
	}
	out := l.virtual
	l.virtual = nil
	return out, nil
}

// merge interleaves the pending mount points that sort before or at the
// entries of page. Those after its last entry wait for later pages.
func (l *mergeLister) merge(page []backends.Entry) []backends.Entry {
	out := make([]backends.Entry, 0, len(page))
	for _, e := range page {
		for len(l.virtual) > 0 && l.virtual[0].Name < e.Name {
			out = append(out, l.virtual[0])
			l.virtual = l.virtual[1:]
		}
		if len(l.virtual) > 0 && l.virtual[0].Name == e.Name {
			out = append(out, l.virtual[0])
			l.virtual = l.virtual[1:]
			continue
		}
		out = append(out, e)
	}
	return out
}

func (l *mergeLister) Close() error { return l.inner.Close() }
