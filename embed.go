// Package ftpsbridge holds the embedded default configuration; the server
// itself lives in the ftps, mapping and backends packages and cmd/.
package ftpsbridge

import _ "embed"

// DefaultConfig is config.yaml as shipped: what `ftpsbridge serve` runs
// when no --config is given.
//
//go:embed config.yaml
var DefaultConfig []byte
