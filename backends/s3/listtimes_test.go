package s3

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// headCounter counts the HEAD requests an S3 client makes.
type headCounter struct{ heads atomic.Int64 }

func (c *headCounter) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodHead {
		c.heads.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func listed(t *testing.T, b backends.Bucket, dir string) map[string]backends.Entry {
	t.Helper()
	l, err := b.List(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := map[string]backends.Entry{}
	for {
		page, err := l.Next(t.Context())
		for _, e := range page {
			out[e.Name] = e
		}
		if err != nil {
			break
		}
	}
	return out
}

// TestListingModTimes: S3 listings carry no metadata, so the times MFMT
// set are looked up with one HEAD per file the first time a directory is
// listed, and not again while the objects stay the same; an object
// changed since (here overwritten) is looked up afresh and shows its new
// time; with listing_mod_times off, no HEAD is made at all.
func TestListingModTimes(t *testing.T) {
	srv := testenv.StartS3(t)
	for _, on := range []bool{true, false} {
		name := map[bool]string{true: "on", false: "off"}[on]
		t.Run(name, func(t *testing.T) {
			hc := &headCounter{}
			be, err := newBackend(Config{
				Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
				AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
				PartSize: testPartSize, ListingModTimes: &on,
			}, hc)
			if err != nil {
				t.Fatal(err)
			}
			bucket := "mtimes-" + name
			if _, err := be.client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			b, err := be.Bucket(bucket)
			if err != nil {
				t.Fatal(err)
			}
			const files = 5
			for i := range files {
				w, err := b.Create(t.Context(), "d/f"+string(rune('0'+i)), backends.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				w.Write([]byte("x"))
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			mt := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			if err := b.(backends.Toucher).SetModTime(t.Context(), "d/f1", mt); err != nil {
				t.Fatal(err)
			}

			hc.heads.Store(0)
			first := listed(t, b, "d")
			if len(first) != files {
				t.Fatalf("listed %d files, want %d: %v", len(first), files, first)
			}
			if got := first["f1"].ModTime; on != got.Equal(mt) {
				t.Errorf("listing_mod_times %v: f1 listed at %v (MFMT set %v)", on, got, mt)
			}
			wantHeads := int64(0)
			if on {
				wantHeads = files
			}
			if n := hc.heads.Load(); n != wantHeads {
				t.Errorf("first listing made %d HEADs, want %d", n, wantHeads)
			}

			hc.heads.Store(0)
			again := listed(t, b, "d")
			if n := hc.heads.Load(); n != 0 {
				t.Errorf("second listing made %d HEADs, want 0 (cached)", n)
			}
			if !again["f1"].ModTime.Equal(first["f1"].ModTime) {
				t.Errorf("second listing: f1 at %v, first said %v", again["f1"].ModTime, first["f1"].ModTime)
			}
			if !on {
				return
			}

			// Overwrite f1 behind the cache's back (another replica, another
			// tool): the new object has no MFMT time.
			if _, err := be.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("d/f1"), Body: bytes.NewReader([]byte("new"))}); err != nil {
				t.Fatal(err)
			}
			hc.heads.Store(0)
			after := listed(t, b, "d")
			if after["f1"].ModTime.Equal(mt) {
				t.Errorf("overwritten f1 still listed at the old MFMT time %v", mt)
			}
			if n := hc.heads.Load(); n != 1 {
				t.Errorf("listing after one overwrite made %d HEADs, want 1", n)
			}
			if be.modTimes.Len() != files {
				t.Errorf("cache holds %d objects, want %d", be.modTimes.Len(), files)
			}
		})
	}
}
