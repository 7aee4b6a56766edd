package e2e

import (
	"context"
	"fmt"
	"io"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

func TestGCS(t *testing.T) {
	runFlows(t, gcsCloud(t, "e2e", "chunk_size: 1MiB"))
}

// gcsCloud starts fake-gcs-server with one bucket and returns it as a
// cloud whose backend YAML carries extra.
func gcsCloud(t testing.TB, bucket, extra string) *cloud {
	t.Helper()
	srv := testenv.StartGCS(t)
	client, err := storage.NewClient(context.Background(), option.WithEndpoint(srv.Endpoint), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Bucket(bucket).Create(context.Background(), "test", nil); err != nil {
		t.Fatal(err)
	}
	b := client.Bucket(bucket)
	return &cloud{
		backend: fmt.Sprintf("type: gcs\nendpoint: http://%s\n%s", srv.Host, extra),
		bucket:  bucket,
		read: func(t *testing.T, key string) ([]byte, error) {
			r, err := b.Object(key).NewReader(context.Background())
			if err != nil {
				return nil, err
			}
			defer r.Close()
			return io.ReadAll(r)
		},
		put: func(t *testing.T, key string, data []byte) {
			w := b.Object(key).NewWriter(context.Background())
			w.Write(data)
			if err := w.Close(); err != nil {
				t.Errorf("writing %s: %v", key, err)
			}
		},
		// Unfinished resumable sessions are not objects and cannot be
		// listed; the flows check that no object appears instead.
		pending: func(t *testing.T) int { return -1 },
	}
}
