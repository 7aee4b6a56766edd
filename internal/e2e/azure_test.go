package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

func TestAzure(t *testing.T) {
	runFlows(t, azureCloud(t, "e2e", "block_size: 1MiB"))
}

// azureCloud starts Azurite with one container and returns it as a cloud
// whose backend YAML carries extra.
func azureCloud(t testing.TB, container, extra string) *cloud {
	t.Helper()
	srv := testenv.StartAzurite(t)
	cred, err := azblob.NewSharedKeyCredential(srv.Account, srv.Key)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential(srv.Endpoint+"/", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(context.Background(), container, nil); err != nil {
		t.Fatal(err)
	}
	return &cloud{
		backend: fmt.Sprintf("type: azure\naccount_name: %s\naccount_key: %s\nendpoint: %s\n%s",
			srv.Account, srv.Key, srv.Endpoint, extra),
		bucket: container,
		read: func(t *testing.T, key string) ([]byte, error) {
			out, err := client.DownloadStream(context.Background(), container, key, nil)
			if err != nil {
				return nil, err
			}
			defer out.Body.Close()
			return io.ReadAll(out.Body)
		},
		put: func(t *testing.T, key string, data []byte) {
			if _, err := client.UploadStream(context.Background(), container, key, bytes.NewReader(data), nil); err != nil {
				t.Errorf("uploading %s: %v", key, err)
			}
		},
		// Staged blocks of an aborted upload are invisible and expire on
		// their own; the flows check that no blob appears instead.
		pending: func(t *testing.T) int { return -1 },
	}
}
