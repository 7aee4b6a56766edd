package ftps_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// gatedBackend holds every listing back after its first page until gate
// is closed: a server that gathered the whole listing before sending
// would never send anything.
type gatedBackend struct {
	backends.Backend
	gate chan struct{}
}

func (g *gatedBackend) Bucket(name string) (backends.Bucket, error) {
	b, err := g.Backend.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &gatedBucket{Bucket: b, g: g}, nil
}

type gatedBucket struct {
	backends.Bucket
	g *gatedBackend
}

func (b *gatedBucket) List(ctx context.Context, dir string) (backends.Lister, error) {
	l, err := b.Bucket.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	return &gatedLister{Lister: l, gate: b.g.gate}, nil
}

type gatedLister struct {
	backends.Lister
	gate  chan struct{}
	pages int
}

func (l *gatedLister) Next(ctx context.Context) ([]backends.Entry, error) {
	if l.pages++; l.pages > 1 {
		select {
		case <-l.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return l.Lister.Next(ctx)
}

// TestListingStreams: LIST, NLST and MLSD write each page of the store's
// listing to the client as it arrives (a prefix of 100,000 objects starts
// at once), rather than gathering the directory in memory first.
func TestListingStreams(t *testing.T) {
	gb := &gatedBackend{}
	ts := startServer(t, func(s *setup) {
		s.wrap = func(b backends.Backend) backends.Backend { gb.Backend = b; return gb }
	})
	const n = 2500 // three pages of the memory backend
	for i := range n {
		ts.putObject(t, fmt.Sprintf("alice/many/f%05d", i), nil)
	}
	c := loggedIn(t, ts)
	for _, cmd := range []string{"LIST many", "NLST many", "MLSD many"} {
		t.Run(strings.Fields(cmd)[0], func(t *testing.T) {
			gb.gate = make(chan struct{})
			dc := c.openData(true)
			c.send(cmd)
			if code, text := c.reply(); code != 150 {
				t.Fatalf("%s: %d %s", cmd, code, text)
			}
			dc.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(dc)
			first, err := r.ReadString('\n')
			if err != nil || !strings.Contains(first, "f00000") {
				close(gb.gate)
				t.Fatalf("%s: no entry before the store's second page: %q, %v", cmd, first, err)
			}
			close(gb.gate)
			rest, err := io.ReadAll(r)
			dc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := 1 + strings.Count(string(rest), "\n"); got != n {
				t.Errorf("%s: %d lines, want %d", cmd, got, n)
			}
			if code, text := c.reply(); code != 226 {
				t.Errorf("%s: %d %s", cmd, code, text)
			}
		})
	}
}
