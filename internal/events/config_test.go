package events

import (
	"fmt"
	"strings"
	"testing"
)

// TestSecretDoesNotPrint: a configuration printed in a log or an error
// does not show the secret.
func TestSecretDoesNotPrint(t *testing.T) {
	c := testTarget("https://127.0.0.1:1/")
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, c); strings.Contains(out, testSecret) {
			t.Errorf("%s prints the secret: %s", format, out)
		}
	}
}

// TestNewFailsOnBadTLSFiles: an unreadable ca_file or client
// certificate fails the start, naming the key.
func TestNewFailsOnBadTLSFiles(t *testing.T) {
	c := testTarget("https://127.0.0.1:1/")
	c.CAFile = "/nonexistent/ca.pem"
	if _, err := New([]TargetConfig{c}, Options{DataDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "events.0.ca_file") {
		t.Errorf("ca_file: %v", err)
	}
	c.CAFile, c.ClientCert, c.ClientKey = "", "/nonexistent/c.pem", "/nonexistent/k.pem"
	if _, err := New([]TargetConfig{c}, Options{DataDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "events.0.client_cert") {
		t.Errorf("client_cert: %v", err)
	}
}
