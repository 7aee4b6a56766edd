package gcs

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/mapping/mappingtest"
)

// TestIsolation runs the isolation suite against fake-gcs-server.
func TestIsolation(t *testing.T) {
	s := startServer(t, Config{ChunkSize: testChunkSize})
	mappingtest.RunIsolation(t, func(t *testing.T) mappingtest.Target {
		return mappingtest.Target{Backend: s.be, Bucket: s.newBucketName(t)}
	})
}
