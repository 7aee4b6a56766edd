package azure

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/objstore"
)

const (
	testKey  = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVl" // base64 of "secret-account-key-value"
	testSAS  = "sv=2023-11-03&sp=rl&sig=U0VDUkVUU0lH"
	testConn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + testKey + ";EndpointSuffix=core.windows.net"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string // a fragment of the error; "" for valid
	}{
		{"shared key", Config{AccountName: "acct", AccountKey: testKey}, ""},
		{"connection string", Config{ConnectionString: testConn}, ""},
		{"sas token", Config{AccountName: "acct", SASToken: "?" + testSAS}, ""},
		{"default credential", Config{AccountName: "acct"}, ""},
		{"azurite", Config{AccountName: "devstoreaccount1", AccountKey: testKey, Endpoint: "http://127.0.0.1:10000/devstoreaccount1"}, ""},
		{"all settings", Config{AccountName: "acct", BlockSize: 64 << 20, UploadConcurrency: 8, PartTimeout: time.Minute, ListPageSize: 5000}, ""},

		{"nothing", Config{}, "set account_name or endpoint"},
		{"key without account", Config{AccountKey: testKey, Endpoint: "https://x.example/"}, "account_key: needs account_name"},
		{"key and sas", Config{AccountName: "acct", AccountKey: testKey, SASToken: testSAS}, "only one of account_key, connection_string and sas_token"},
		{"connection string and key", Config{ConnectionString: testConn, AccountKey: testKey}, "only one of"},
		{"connection string and account", Config{ConnectionString: testConn, AccountName: "acct"}, "connection_string: names the account"},
		{"key not base64", Config{AccountName: "acct", AccountKey: "not base64!"}, "account_key: is not valid base64"},
		{"sas without sig", Config{AccountName: "acct", SASToken: "sv=2023-11-03"}, "sas_token: is not a SAS"},
		{"bad account", Config{AccountName: "Has_Upper"}, "account_name"},
		{"endpoint scheme", Config{AccountName: "acct", Endpoint: "ftp://x/"}, "endpoint"},
		{"endpoint with query", Config{AccountName: "acct", Endpoint: "https://acct.blob.core.windows.net/?" + testSAS}, "endpoint: must not carry a query"},
		{"block too small", Config{AccountName: "acct", BlockSize: 1000}, "block_size"},
		{"block too large", Config{AccountName: "acct", BlockSize: 4001 << 20}, "block_size"},
		{"concurrency", Config{AccountName: "acct", UploadConcurrency: -1}, "upload_concurrency"},
		{"timeout", Config{AccountName: "acct", PartTimeout: -time.Second}, "part_timeout"},
		{"page size", Config{AccountName: "acct", ListPageSize: 5001}, "list_page_size"},
		{"rename limit", Config{AccountName: "acct", DirRename: objstore.DirRename{RenameDirectoryLimit: -1}}, "rename_directory_limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, backends.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want ErrInvalid mentioning %q", err, c.want)
			}
			for _, secret := range []string{testKey, "U0VDUkVUU0lH"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("a secret is in %q", err)
				}
			}
		})
	}
}

func TestConfigRedacts(t *testing.T) {
	for _, cfg := range []Config{
		{AccountName: "acct", AccountKey: testKey},
		{ConnectionString: testConn},
		{AccountName: "acct", SASToken: testSAS},
	} {
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "azure", cfg)
		for _, out := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), logged.String()} {
			for _, secret := range []string{testKey, "U0VDUkVUU0lH"} {
				if strings.Contains(out, secret) {
					t.Errorf("a secret is printed: %s", out)
				}
			}
		}
		if !strings.Contains(logged.String(), "auth=") {
			t.Errorf("slog output lacks the auth kind: %s", logged.String())
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, backends.ErrInvalid) {
		t.Errorf("New(Config{}) = %v, want ErrInvalid", err)
	}
	be, err := New(Config{AccountName: "acct", AccountKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "ab", "Upper", "double--dash", "-lead", "trail-", "under_score", strings.Repeat("a", 64)} {
		if _, err := be.Bucket(name); !errors.Is(err, backends.ErrInvalid) {
			t.Errorf("Bucket(%q) = %v, want ErrInvalid", name, err)
		}
	}
	for _, name := range []string{"abc", "case-0001", "$root", strings.Repeat("a", 63)} {
		if _, err := be.Bucket(name); err != nil {
			t.Errorf("Bucket(%q): %v", name, err)
		}
	}
}
