package mapping_test

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends/memory"
	"github.com/ftpsbridge/ftpsbridge/mapping/mappingtest"
)

// TestIsolationSuite runs the isolation suite over the memory backend;
// the cloud drivers run the same suite against their emulators.
func TestIsolationSuite(t *testing.T) {
	mappingtest.RunIsolation(t, func(t *testing.T) mappingtest.Target {
		return mappingtest.Target{Backend: memory.New(), Bucket: "shared"}
	})
}
