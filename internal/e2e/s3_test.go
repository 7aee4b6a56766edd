package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

func TestS3(t *testing.T) {
	runFlows(t, s3Cloud(t, "e2e", "part_size: 5MiB"))
}

// TestS3Options runs flows with the optional behaviours on: directory
// renames, and downloads read as parallel 1 MiB ranges (lftp's download
// and curl's resume from 7 MiB cross many ranges).
func TestS3Options(t *testing.T) {
	c := s3Cloud(t, "e2e-options", "part_size: 5MiB\nrename_directories: true\ndownload_concurrency: 4\ndownload_part_size: 1MiB")
	b := startBridge(t, c)
	t.Run("CurlUploadLftpDownload", func(t *testing.T) { testUploadDownload(t, b, c) })
	t.Run("RenameDirectory", func(t *testing.T) { testRenameDirEnabled(t, b, c) })
}

// s3Cloud starts versitygw with one bucket and returns it as a cloud
// whose backend YAML carries extra.
func s3Cloud(t testing.TB, bucket, extra string) *cloud {
	t.Helper()
	srv := testenv.StartS3(t)
	client := s3.New(s3.Options{
		Region:       srv.Region,
		BaseEndpoint: aws.String(srv.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	return &cloud{
		backend: fmt.Sprintf(`type: s3
endpoint: %s
region: %s
path_style: true
access_key_id: %s
secret_access_key: %s
%s`, srv.Endpoint, srv.Region, srv.AccessKey, srv.SecretKey, extra),
		bucket: bucket,
		read: func(t *testing.T, key string) ([]byte, error) {
			out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				return nil, err
			}
			defer out.Body.Close()
			return io.ReadAll(out.Body)
		},
		put: func(t *testing.T, key string, data []byte) {
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)})
			if err != nil {
				t.Errorf("PutObject %s: %v", key, err)
			}
		},
		pending: func(t *testing.T) int {
			out, err := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
			if err != nil {
				t.Fatalf("ListMultipartUploads: %v", err)
			}
			return len(out.Uploads)
		},
	}
}
