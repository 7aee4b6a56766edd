package azure

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/mapping/mappingtest"
)

// TestIsolation runs the isolation suite against Azurite.
func TestIsolation(t *testing.T) {
	f := newFixture(t, Config{})
	mappingtest.RunIsolation(t, func(t *testing.T) mappingtest.Target {
		return mappingtest.Target{Backend: f.be, Bucket: f.newContainer(t)}
	})
}
