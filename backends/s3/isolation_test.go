package s3

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/mapping/mappingtest"
)

// TestIsolation runs the isolation suite (two users on one bucket under
// different prefixes, every hostile path, through mapping and end to end
// over FTPS) against versitygw.
func TestIsolation(t *testing.T) {
	f := newFixture(t, Config{PartSize: testPartSize})
	mappingtest.RunIsolation(t, func(t *testing.T) mappingtest.Target {
		return mappingtest.Target{Backend: f.be, Bucket: f.newBucketName(t)}
	})
}
