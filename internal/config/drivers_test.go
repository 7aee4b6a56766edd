package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// badBackends has problems in four backends of four types; each line
// below names the key at fault (or the entry, for a key it lacks).
const badBackends = `server: {data_dir: ./d}
listeners: [{address: 127.0.0.1:2121, tls: explicit}]
backends:
  - name: disk
    type: local
  - name: store
    type: s3
    endpoint: http://127.0.0.1:9000
    part_size: 1MiB
    upload_concurrency: 100
    access_key_id: AKIA
    download_concurrency: 99
  - name: cloud
    type: gcs
    chunk_size: 1000
    list_page_size: 5000
    storage_class: nearline
  - name: blob
    type: azure
    account_name: Bad_Name
    block_size: 1KiB
  - name: ram
    type: memory
  - name: ram
    type: memory
users:
  - name: u
    password_hash: "$2a$12$RNtT.Eg54.CNycCu7ovmb.wrj.9wGjsLQmOntMc7R6zYEl9SpEWrK"
    backend: disk
    prefix: u/
    permissions: [list]
`

func TestEveryBackendProblemAtItsKey(t *testing.T) {
	_, err := Parse("cfg.yaml", []byte(badBackends))
	if err == nil {
		t.Fatal("invalid backends accepted")
	}
	want := []string{
		"cfg.yaml:4:5: backends.0.root: is required",
		"cfg.yaml:9:5: backends.1.part_size: 1MiB is outside",
		"cfg.yaml:10:5: backends.1.upload_concurrency: 100 must be between",
		"cfg.yaml:11:5: backends.1.access_key_id: needs secret_access_key",
		"cfg.yaml:12:5: backends.1.download_concurrency: 99 must be between",
		"cfg.yaml:15:5: backends.2.chunk_size: 1000 is not a positive multiple",
		"cfg.yaml:16:5: backends.2.list_page_size: 5000 is outside",
		"cfg.yaml:17:5: backends.2.storage_class: \"nearline\" is not one of",
		"cfg.yaml:20:5: backends.3.account_name: \"Bad_Name\" must be",
		"cfg.yaml:21:5: backends.3.block_size: 1KiB is outside",
		"cfg.yaml:24:5: backends.5.name: duplicate backend name \"ram\" (also backends.4)",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d problems reported, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d: want %q, in file order:\n%v", i, w, err)
		}
	}
}

func TestUnknownKeysInEveryBackend(t *testing.T) {
	text := strings.Replace(badBackends, "    part_size: 1MiB\n", "    part_sise: 1MiB\n", 1)
	text = strings.Replace(text, "    storage_class: nearline\n", "    storage_clas: nearline\n    colour: red\n", 1)
	_, err := Parse("cfg.yaml", []byte(text))
	want := "cfg.yaml:9:5: unknown key \"part_sise\" in backends.1\n" +
		"cfg.yaml:17:5: unknown key \"storage_clas\" in backends.2\n" +
		"cfg.yaml:18:5: unknown key \"colour\" in backends.2"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}

// TestCAFileReadOnce loads a configuration whose S3 backend trusts a
// private CA, removes the CA file, and opens the backends: they use the
// certificates read while validating, not a second read of the file.
func TestCAFileReadOnce(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "store-ca.pem")
	testenv.NewCA(t, "store CA").WriteCA(t, ca)
	text := strings.Replace(base, "  - {name: disk, type: local, root: ./files}\n",
		"  - {name: disk, type: local, root: "+filepath.Join(dir, "files")+"}\n"+
			"  - {name: store, type: s3, region: us-east-1, endpoint: \"https://127.0.0.1:1\", ca_file: "+ca+"}\n", 1)
	c, err := Parse("cfg.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(ca); err != nil {
		t.Fatal(err)
	}
	stores, err := c.OpenBackends()
	if err != nil {
		t.Fatalf("opening the backends after the CA file was removed: %v", err)
	}
	for _, s := range stores {
		s.Close()
	}
	// The file is read, and checked, at Parse.
	if _, err := Parse("cfg.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), "cfg.yaml:5:") || !strings.Contains(err.Error(), "backends.1.ca_file") {
		t.Fatalf("a missing ca_file: %v, want it reported at its key", err)
	}
}
