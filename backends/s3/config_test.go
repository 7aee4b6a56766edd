package s3

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestCAFileReadOnce checks that ca_file is read by Validate alone and
// kept: New trusts exactly the certificates that were checked, so a file
// removed in between changes nothing; without a validated copy, New reads
// the file itself (and fails when it is gone).
func TestCAFileReadOnce(t *testing.T) {
	ca := testenv.NewCA(t, "private store CA")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	ca.WriteCA(t, caFile)
	written, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Endpoint: "https://127.0.0.1:1", Region: "us-east-1", CAFile: caFile}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(caFile); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate again after the file was removed read it again: %v", err)
	}
	be, err := New(cfg)
	if err != nil {
		t.Fatalf("New after the file was removed: %v", err)
	}
	be.Close()
	if !bytes.Equal(cfg.ca.Bytes(), written) {
		t.Fatal("the kept bundle is not the file that was written")
	}
	if _, err := New(Config{Endpoint: cfg.Endpoint, Region: cfg.Region, CAFile: caFile}); !errors.Is(err, backends.ErrInvalid) || !strings.Contains(err.Error(), "ca_file") {
		t.Fatalf("New with a removed, never validated ca_file = %v, want ErrInvalid naming ca_file", err)
	}
}

// TestValidateNamesEveryKey checks that every problem is reported, each
// as a *fielderr.Error naming its key, including those of the settings
// objstore shares between drivers.
func TestValidateNamesEveryKey(t *testing.T) {
	cfg := Config{PartSize: 1 << 20, UploadConcurrency: 100, AccessKeyID: "AKIA", SSE: "rot13", Endpoint: "s3.example"}
	cfg.DownloadConcurrency = 99
	err := cfg.Validate()
	var got []string
	for _, leaf := range fielderr.Leaves(err) {
		var fe *fielderr.Error
		if !errors.As(leaf, &fe) || !errors.Is(leaf, backends.ErrInvalid) {
			t.Fatalf("%v: not a *fielderr.Error wrapping ErrInvalid", leaf)
		}
		got = append(got, fe.Field)
	}
	want := "part_size upload_concurrency access_key_id sse endpoint download_concurrency"
	if strings.Join(got, " ") != want {
		t.Fatalf("keys %q, want %q (from %v)", got, want, err)
	}
}
