package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// S3Server is a running versitygw (posix store) on loopback.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:PORT (https with StartS3TLS)
	Region    string
	AccessKey string
	SecretKey string
}

// StartS3 starts versitygw with a fresh data directory.
func StartS3(t testing.TB) *S3Server { return startS3(t, "", "") }

// StartS3TLS starts versitygw serving https with the given certificate
// and key, as a store behind a private CA would.
func StartS3TLS(t testing.TB, certFile, keyFile string) *S3Server {
	return startS3(t, certFile, keyFile)
}

func startS3(t testing.TB, certFile, keyFile string) *S3Server {
	t.Helper()
	bin := findBinary("versitygw")
	if bin == "" {
		Missing(t, "versitygw")
	}
	dir := t.TempDir()
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	scheme := "http://"
	// --port with a host: without it versitygw listens on all interfaces.
	args := []string{"--port", addr}
	if certFile != "" {
		scheme = "https://"
		args = append(args, "--cert", certFile, "--key", keyFile)
	}
	s := &S3Server{Endpoint: scheme + addr, Region: "us-east-1", AccessKey: "ftpsbridge-test", SecretKey: "ftpsbridge-test-secret"}
	args = append(args, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region, "--quiet", "posix", dir)
	startProcess(t, addr, bin, args...)
	return s
}

// GCSServer is a running fake-gcs-server (memory backend, plain http).
type GCSServer struct {
	Host     string // 127.0.0.1:PORT, the STORAGE_EMULATOR_HOST form
	Endpoint string // http://127.0.0.1:PORT/storage/v1/
}

// StartGCS starts fake-gcs-server on loopback. Its defaults (0.0.0.0,
// https, a filesystem backend) are all overridden.
func StartGCS(t testing.TB) *GCSServer {
	t.Helper()
	bin := findBinary("fake-gcs-server")
	if bin == "" {
		Missing(t, "fake-gcs-server")
	}
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	startProcess(t, addr, bin, "-host", "127.0.0.1", "-port", strconv.Itoa(port), "-scheme", "http",
		"-backend", "memory", "-external-url", "http://"+addr, "-public-host", addr, "-log-level", "error")
	return &GCSServer{Host: addr, Endpoint: "http://" + addr + "/storage/v1/"}
}

// AzureServer is a running Azurite blob service.
type AzureServer struct {
	Endpoint string // http://127.0.0.1:PORT/devstoreaccount1
	Account  string
	Key      string
}

// The well-known Azurite development account.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// StartAzurite starts Azurite's blob service in memory. The API version
// check is skipped: the azblob SDK sends a newer version than Azurite knows.
func StartAzurite(t testing.TB) *AzureServer {
	t.Helper()
	main := filepath.Join(ToolsDir(), "node", "node_modules", "azurite", "dist", "src", "blob", "main.js")
	if _, err := os.Stat(main); err != nil {
		Missing(t, "azurite")
	}
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	startProcess(t, addr, "node", main, "--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port),
		"--loose", "--skipApiVersionCheck", "--inMemoryPersistence", "--disableTelemetry", "--silent")
	return &AzureServer{Endpoint: fmt.Sprintf("http://%s/%s", addr, AzuriteAccount), Account: AzuriteAccount, Key: AzuriteKey}
}
