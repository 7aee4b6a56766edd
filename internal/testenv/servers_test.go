package testenv

import (
	"net/http"
	"testing"
	"time"
)

// TestServersStart proves that test-deps installed every server and that
// each answers HTTP on loopback.
func TestServersStart(t *testing.T) {
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(t *testing.T, url string) {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
	}
	t.Run("s3", func(t *testing.T) { get(t, StartS3(t).Endpoint) })
	t.Run("gcs", func(t *testing.T) { get(t, StartGCS(t).Endpoint+"b?project=test") })
	t.Run("azure", func(t *testing.T) { get(t, StartAzurite(t).Endpoint+"?comp=list") })
}
