package e2e

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"google.golang.org/api/option"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// The GCS and Azure benchmarks compare transfers through ftpsbridge with
// the same transfers made directly with each cloud's SDK, against the
// emulators (which hold everything in memory, hence 256 MiB, not 1 GiB).
// The emulators are far slower than the real services, so these ratios
// say how much ftpsbridge adds to a slow store, not what a cloud reaches.
const cloudBenchSize = 256 << 20

func BenchmarkGCS(b *testing.B) {
	srv := testenv.StartGCS(b)
	client, err := storage.NewClient(context.Background(), option.WithEndpoint(srv.Endpoint), option.WithoutAuthentication())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	bucket := client.Bucket("bench")
	if err := bucket.Create(context.Background(), "test", nil); err != nil {
		b.Fatal(err)
	}
	c := &cloud{bucket: "bench", backend: "type: gcs\nendpoint: http://" + srv.Host + "\nchunk_size: 16MiB"}
	benchCloud(b, c,
		func(path string) error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			w := bucket.Object("direct/big.bin").NewWriter(context.Background())
			w.ChunkSize = 16 << 20
			if _, err := io.Copy(w, f); err != nil {
				w.Close()
				return err
			}
			return w.Close()
		},
		func() error {
			r, err := bucket.Object("direct/big.bin").NewReader(context.Background())
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(io.Discard, r)
			return err
		})
}

func BenchmarkAzure(b *testing.B) {
	srv := testenv.StartAzurite(b)
	cred, err := azblob.NewSharedKeyCredential(srv.Account, srv.Key)
	if err != nil {
		b.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential(srv.Endpoint+"/", cred, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := client.CreateContainer(context.Background(), "bench", nil); err != nil {
		b.Fatal(err)
	}
	c := &cloud{bucket: "bench", backend: "type: azure\naccount_name: " + srv.Account + "\naccount_key: " + srv.Key +
		"\nendpoint: " + srv.Endpoint + "\nblock_size: 8MiB\nupload_concurrency: 4"}
	benchCloud(b, c,
		func(path string) error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = client.UploadStream(context.Background(), "bench", "direct/big.bin", f,
				&azblob.UploadStreamOptions{BlockSize: 8 << 20, Concurrency: 4})
			return err
		},
		func() error {
			out, err := client.DownloadStream(context.Background(), "bench", "direct/big.bin", nil)
			if err != nil {
				return err
			}
			defer out.Body.Close()
			_, err = io.Copy(io.Discard, out.Body)
			return err
		})
}

// benchCloud alternates, round by round, an upload and a download of the
// same file through ftpsbridge (curl, explicit FTPS) and directly with
// the SDK, and reports the median rates and their ratios.
func benchCloud(b *testing.B, c *cloud, sdkUp func(path string) error, sdkDown func() error) {
	curl := testenv.Tool(b, "curl")
	dir := b.TempDir()
	src := filepath.Join(dir, "big.bin")
	writeRandomFile(b, src, cloudBenchSize)
	br := startBridge(b, c)
	var up, direct, down, directDown []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range 3 {
			up = append(up, mbps(cloudBenchSize, timed(b, func() error {
				return runQuiet(b, curl, append(br.curlArgs("alice"), "-T", src, "ftp://"+br.explicit+"/big.bin")...)
			})))
			direct = append(direct, mbps(cloudBenchSize, timed(b, func() error { return sdkUp(src) })))
			down = append(down, mbps(cloudBenchSize, timed(b, func() error {
				return runQuiet(b, curl, append(br.curlArgs("alice"), "-o", "/dev/null", "ftp://"+br.explicit+"/big.bin")...)
			})))
			directDown = append(directDown, mbps(cloudBenchSize, timed(b, sdkDown)))
		}
	}
	b.StopTimer()
	report := func(name string, v float64, unit string) {
		b.ReportMetric(v, unit)
		b.Logf("%-34s %8.2f %s", name, v, unit)
	}
	report("upload through ftpsbridge", median(up), "upload-MB/s")
	report("upload with the SDK directly", median(direct), "sdk-upload-MB/s")
	report("upload ratio", median(up)/median(direct), "upload-ratio")
	report("download through ftpsbridge", median(down), "download-MB/s")
	report("download with the SDK directly", median(directDown), "sdk-download-MB/s")
	report("download ratio", median(down)/median(directDown), "download-ratio")
}
