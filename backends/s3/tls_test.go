package s3

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestPrivateCAEndpoint runs the driver against versitygw serving https
// with a certificate from a CA of the test's own, as an on-premises store
// behind a private CA: with ca_file, uploads (single and multipart),
// downloads (whole, from an offset, in parallel ranges) and listings work;
// without it, the store's certificate is refused, never silently trusted.
func TestPrivateCAEndpoint(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writeTestPKI(t, dir)
	srv := testenv.StartS3TLS(t, certFile, keyFile)
	cfg := Config{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, PartSize: testPartSize,
		Download: objstore.Download{DownloadConcurrency: 3, DownloadPartSize: 1 << 20}}

	untrusted, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Validate reads ca_file and keeps the certificates: the backend
	// trusts the bundle that was checked, even once the file is gone.
	cfg.CAFile = filepath.Join(dir, "kept-ca.pem")
	copyFile(t, caFile, cfg.CAFile)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cfg.CAFile); err != nil {
		t.Fatal(err)
	}
	trusted, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	name := "private-ca"
	if _, err := trusted.(*backend).client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("CreateBucket over https with ca_file: %v", err)
	}
	b, err := trusted.Bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 2*testPartSize+12345)
	rand.Read(data)
	for key, body := range map[string][]byte{"small.bin": data[:1000], "dir/big.bin": data} {
		w, err := b.Create(t.Context(), key, backends.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			t.Fatalf("%s: Commit: %v", key, err)
		}
	}
	for _, off := range []int64{0, testPartSize + 7} {
		r, err := b.Open(t.Context(), "dir/big.bin", off)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("reading from %d: %v", off, err)
		}
		if sha256.Sum256(got) != sha256.Sum256(data[off:]) {
			t.Fatalf("reading from %d: %d bytes, not the ones written", off, len(got))
		}
	}
	l, err := b.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		page, err := l.Next(t.Context())
		for _, e := range page {
			names = append(names, e.Name)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(names, ",") != "dir,small.bin" {
		t.Errorf("listing: %v", names)
	}

	ub, err := untrusted.Bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ub.Stat(t.Context(), "small.bin"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without ca_file the private CA's certificate was not refused: %v", err)
	}

	for _, bad := range []Config{
		{Endpoint: "http://127.0.0.1:1", CAFile: caFile},
		{Endpoint: srv.Endpoint, CAFile: filepath.Join(dir, "missing.pem")},
		{Endpoint: srv.Endpoint, CAFile: keyFile},
	} {
		if _, err := New(bad); !errors.Is(err, backends.ErrInvalid) || !strings.Contains(err.Error(), "ca_file") {
			t.Errorf("ca_file %q with endpoint %q: %v", bad.CAFile, bad.Endpoint, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeTestPKI writes a CA and a server certificate for 127.0.0.1 that it
// signed, and returns the CA's file, the certificate's and its key's.
func writeTestPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	ca := testenv.NewCA(t, "private store CA")
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "store.pem"), filepath.Join(dir, "store.key")
	ca.WriteCA(t, caFile)
	testenv.WriteCert(t, certFile, keyFile, ca.Issue(t, testenv.Leaf{Subject: pkix.Name{CommonName: "store"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}))
	return caFile, certFile, keyFile
}
