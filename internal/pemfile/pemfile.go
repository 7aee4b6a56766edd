// Package pemfile reads PEM bundles of CA certificates, for the FTPS
// listener's client_ca_file and a storage endpoint's ca_file alike.
package pemfile

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// CertPool reads the CA bundle at path. Every CERTIFICATE block must
// parse, and there must be at least one: a bundle that silently trusts
// less than the operator wrote is worse than none.
func CertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCertPool(path, data)
}

// ParseCertPool is CertPool for a bundle already read from the file named
// path (used only in messages), for callers that read the file themselves.
func ParseCertPool(path string, data []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
