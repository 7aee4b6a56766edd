package gcs

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

func TestValidate(t *testing.T) {
	key := writeServiceAccountKey(t)
	valid := []Config{
		{},
		{ChunkSize: chunkQuantum, ListPageSize: 1},
		{ChunkSize: 64 << 20, ListPageSize: 1000, StorageClass: "NEARLINE", Project: "p"},
		{Endpoint: "http://127.0.0.1:4443"},
		{Endpoint: "https://emulator.test/storage/v1/"},
		{CredentialsFile: key},
	}
	for _, c := range valid {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	invalid := []struct {
		cfg Config
		key string
	}{
		{Config{ChunkSize: 1000}, "chunk_size"},
		{Config{ChunkSize: -chunkQuantum}, "chunk_size"},
		{Config{ChunkSize: 2 << 30}, "chunk_size"},
		{Config{ListPageSize: -1}, "list_page_size"},
		{Config{ListPageSize: 1001}, "list_page_size"},
		{Config{DirRename: objstore.DirRename{RenameDirectoryLimit: -1}}, "rename_directory_limit"},
		{Config{StorageClass: "nearline"}, "storage_class"},
		{Config{Endpoint: "127.0.0.1:4443"}, "endpoint"},
		{Config{Endpoint: "ftp://host/"}, "endpoint"},
		{Config{Endpoint: "http://127.0.0.1:4443", CredentialsFile: key}, "credentials_file"},
		{Config{CredentialsFile: filepath.Join(t.TempDir(), "missing.json")}, "credentials_file"},
		{Config{CredentialsFile: writeFile(t, "user.json", `{"type": "authorized_user"}`)}, "credentials_file"},
		{Config{CredentialsFile: writeFile(t, "garbage.json", "secret-bytes")}, "credentials_file"},
	}
	for _, c := range invalid {
		err := c.cfg.Validate()
		if !errors.Is(err, backends.ErrInvalid) || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%+v: %v, want ErrInvalid naming %s", c.cfg, err, c.key)
		}
	}
}

func TestValidateHidesEndpointPassword(t *testing.T) {
	for _, endpoint := range []string{"http://user:hunter2@host/", "http://user:hunter2@host:bad port/"} {
		err := (&Config{Endpoint: endpoint}).Validate()
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Validate(%q) = %v: want an error without the password", endpoint, err)
		}
	}
}

func TestEmulatorEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4443":               "http://127.0.0.1:4443/storage/v1/",
		"http://127.0.0.1:4443/":              "http://127.0.0.1:4443/storage/v1/",
		"http://127.0.0.1:4443/storage/v1":    "http://127.0.0.1:4443/storage/v1/",
		"https://emu.test/custom/storage/v1/": "https://emu.test/custom/storage/v1/",
	} {
		if got, err := emulatorEndpoint(in); err != nil || got != want {
			t.Errorf("emulatorEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestBucketNeedsAName(t *testing.T) {
	be, err := New(Config{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if _, err := be.Bucket(""); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf(`Bucket(""): %v, want ErrInvalid`, err)
	}
}

func TestUnreachableIsTransient(t *testing.T) {
	be, err := New(Config{Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	// No waiting between retries: the refused connection itself is the
	// subject here.
	be.(*backend).client.SetRetry(storage.WithMaxAttempts(1))
	b, err := be.Bucket("b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), "k"); !errors.Is(err, backends.ErrTransient) {
		t.Errorf("Stat with the store unreachable: %v, want ErrTransient", err)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{storage.ErrObjectNotExist, backends.ErrNotExist},
		{storage.ErrBucketNotExist, backends.ErrNotExist},
		{&googleapi.Error{Code: 404}, backends.ErrNotExist},
		{&googleapi.Error{Code: 401}, backends.ErrPermission},
		{&googleapi.Error{Code: 403}, backends.ErrPermission},
		{&googleapi.Error{Code: 409}, backends.ErrExist},
		{&googleapi.Error{Code: 412}, backends.ErrTransient},
		{&googleapi.Error{Code: 429}, backends.ErrTransient},
		{&googleapi.Error{Code: 503}, backends.ErrTransient},
		{fmt.Errorf("retry deadline: %w", &googleapi.Error{Code: 500}), backends.ErrTransient},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, backends.ErrTransient},
	}
	for _, c := range cases {
		got := classify(context.Background(), "op", "key", c.err)
		if backends.Kind(got) != c.want || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v, kind %v; want kind %v, wrapping the original", c.err, got, backends.Kind(got), c.want)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{context.Canceled, context.DeadlineExceeded} {
		got := classify(cancelled, "op", "key", err)
		if !errors.Is(got, err) || backends.Kind(got) != nil {
			t.Errorf("classify(%v) = %v: the caller's cancellation must pass through unclassified", err, got)
		}
		// The SDK's own deadlines, under a live context: the store is slow.
		got = classify(context.Background(), "op", "key", err)
		if !errors.Is(got, err) || backends.Kind(got) != backends.ErrTransient {
			t.Errorf("classify(%v) under a live context = %v, want ErrTransient", err, got)
		}
	}
	stalled, stop := context.WithCancelCause(context.Background())
	stop(fmt.Errorf("no answer: %w", backends.ErrTransient))
	if got := classify(stalled, "op", "key", context.Canceled); backends.Kind(got) != backends.ErrTransient {
		t.Errorf("cancelled for a stall: %v, want ErrTransient", got)
	}
	if got := classify(context.Background(), "op", "key", &googleapi.Error{Code: 412}); !strings.Contains(got.Error(), "changed") {
		t.Errorf("412 reads %q, want it to say the object changed", got)
	}
}

// TestTrimPageKeepsGCSPages checks that a page shaped as GCS answers (no
// more entries than asked for, prefixes last) is passed on whole, with
// the service's token.
func TestTrimPageKeepsGCSPages(t *testing.T) {
	attrs := []*storage.ObjectAttrs{{Name: "d/a"}, {Name: "d/c"}, {Prefix: "d/b/"}, {Prefix: "d/x/"}}
	got, page := trimPage(attrs, 4, listToken{}, "opaque")
	if len(got) != 4 || listKey(got[1]) != "d/b/" || listKey(got[3]) != "d/x/" {
		t.Errorf("kept %d entries, order %v %v", len(got), listKey(got[1]), listKey(got[3]))
	}
	tok, err := decodeListToken(page.Next)
	if err != nil || tok.Page != "opaque" || tok.Start != "" {
		t.Errorf("next token %q (%+v, %v), want the service's", page.Next, tok, err)
	}
}

func TestConfigYAML(t *testing.T) {
	var c Config
	key := writeServiceAccountKey(t)
	src := "credentials_file: " + key + "\nchunk_size: 8MiB\nstorage_class: COLDLINE\nlist_page_size: 500\nproject: billing\n" +
		"rename_directories: true\nrename_directory_limit: 50\n"
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	want := Config{CredentialsFile: key, ChunkSize: 8 << 20, StorageClass: "COLDLINE", ListPageSize: 500, Project: "billing",
		DirRename: objstore.DirRename{RenameDirectories: true, RenameDirectoryLimit: 50}}
	if c != want {
		t.Errorf("decoded %s, want %s", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

// TestCredentialsReadOnce checks that the key file is read by Validate
// alone: New uses the bytes that were checked, so a file removed (or
// rotated) in between changes nothing, and no message quotes the key.
func TestCredentialsReadOnce(t *testing.T) {
	key := writeServiceAccountKey(t)
	cfg := Config{CredentialsFile: key}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	be, err := New(cfg)
	if err != nil {
		t.Fatalf("New after the key file was removed: %v", err)
	}
	be.Close()
	// Without a validated copy, New must read the file, and fails.
	if _, err := New(Config{CredentialsFile: key}); !errors.Is(err, backends.ErrInvalid) || !strings.Contains(err.Error(), "credentials_file") {
		t.Fatalf("New of a removed key file = %v, want ErrInvalid naming credentials_file", err)
	}
	for _, out := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg)} {
		if strings.Contains(out, "PRIVATE KEY") {
			t.Fatalf("the kept key is printed: %s", out)
		}
	}
	garbage := writeFile(t, "garbage.json", "secret-bytes")
	if err := (&Config{CredentialsFile: garbage}).Validate(); err == nil || strings.Contains(err.Error(), "secret-bytes") {
		t.Fatalf("Validate of a malformed key = %v, want an error without the content", err)
	}
}

// writeServiceAccountKey writes a service-account key file, as the
// console makes them, with a fresh RSA key.
func writeServiceAccountKey(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	data, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "test", "private_key_id": "1",
		"private_key": string(pemKey), "client_email": "ftpsbridge@test.iam.gserviceaccount.com",
		"client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "sa.json", string(data))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
