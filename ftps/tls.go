package ftps

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/pemfile"
)

func tlsVersion(s string) (uint16, error) {
	switch strings.TrimSpace(s) {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("want 1.2 or 1.3, got %q", s)
}

// buildTLSConfig makes the server-wide TLS configuration. Every session
// clones it (see sessionTLS); the clones share its session ticket keys,
// which are set explicitly here because a Clone made before the first
// handshake would otherwise generate keys of its own and nothing would
// resume.
func buildTLSConfig(c TLSConfig, dataDir string, hosts []string, log *slog.Logger) (*tls.Config, error) {
	minVersion, err := tlsVersion(c.MinVersion)
	if err != nil {
		return nil, err
	}
	var cert tls.Certificate
	if c.CertFile != "" {
		cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading tls.cert_file/key_file: %w", err)
		}
	} else {
		cert, err = loadOrCreateSelfSigned(filepath.Join(dataDir, "tls"), hosts, log)
		if err != nil {
			return nil, err
		}
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   minVersion,
	}
	if err := applyCipherSuites(cfg, c, log); err != nil {
		return nil, err
	}
	if c.ClientCAFile != "" {
		pool, err := pemfile.CertPool(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.client_ca_file: %w", err)
		}
		cfg.ClientCAs = pool
		// Password users must still be able to log in without a
		// certificate; a presented certificate is always verified.
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if c.SessionReuse == ReuseDisabled {
		cfg.SessionTicketsDisabled = true
	} else {
		var key [32]byte
		if _, err := rand.Read(key[:]); err != nil {
			return nil, err
		}
		cfg.SetSessionTicketKeys([][32]byte{key})
	}
	return cfg, nil
}

// sessionTLS clones base for one control connection and binds the session
// tickets it issues to that connection: a ticket carries the session's id,
// and only a data connection of the same session, or of another control
// connection of the same user from the same address (logins says which),
// may resume with it. So with session_reuse: required, a third party that
// connects to a passive port first cannot pass as the client, even with a
// ticket of its own.
func sessionTLS(base *tls.Config, sessionID uint64, logins *principals) *tls.Config {
	cfg := base.Clone()
	if cfg.SessionTicketsDisabled {
		return cfg
	}
	var tag [8]byte
	binary.BigEndian.PutUint64(tag[:], sessionID)
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = append(ss.Extra, append([]byte(ticketTagPrefix), tag[:]...))
		return cfg.EncryptTicket(cs, ss)
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := cfg.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, err
		}
		for _, e := range ss.Extra {
			issuer, ok := bytes.CutPrefix(e, []byte(ticketTagPrefix))
			if !ok || len(issuer) != len(tag) {
				continue
			}
			if id := binary.BigEndian.Uint64(issuer); id == sessionID || logins.samePrincipal(sessionID, id) {
				return ss, nil
			}
		}
		// Someone else's ticket: fall back to a full handshake.
		return nil, nil
	}
	return cfg
}

// ticketTagPrefix marks the session ticket extra that names the control
// connection a ticket was issued to.
const ticketTagPrefix = "ftpsbridge-session:"

// loadOrCreateSelfSigned returns the certificate in dir, generating a
// self-signed one on first start so that a fresh clone serves FTPS at once.
func loadOrCreateSelfSigned(dir string, hosts []string, log *slog.Logger) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		log.Info("using generated self-signed certificate", "cert", certPath, "sha256", fingerprint(cert))
		return cert, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, fmt.Errorf("loading %s: %w", certPath, err)
	}
	certPEM, keyPEM, err := selfSigned(hosts)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	log.Warn("generated a self-signed certificate; configure tls.cert_file for production",
		"cert", certPath, "sha256", fingerprint(cert))
	return cert, nil
}

func selfSigned(hosts []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ftpsbridge self-signed", Organization: []string{"ftpsbridge"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(2, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsLoopback() && !ip.IsUnspecified() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "" && h != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// fingerprint is the SHA-256 of the leaf certificate's DER, the form
// clients such as lftp and FileZilla show when asking to trust it.
func fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
