package identity

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ftpsbridge/ftpsbridge/internal/pemfile"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// HTTP is an identity provider reached by POSTing JSON over HTTPS.
//
// The request body is a mapping.IdentityRequest. The provider answers:
//   - 200 with {"user": {...}}: the login is good, and the object is the
//     user's definition with the keys of a users: entry (no credentials);
//   - 200 with {"refuse": true}, or 401, 403 or 404: the login is refused
//     (530, and it counts as a failed login);
//   - anything else (other statuses, a body over 1 MiB, JSON that does
//     not decode strictly, a timeout): the provider is unavailable (421).
type HTTP struct {
	url    string
	client *http.Client
}

var _ mapping.IdentityProvider = (*HTTP)(nil)

// New makes the provider of c (c.Type must be "http").
func New(c Config) (*HTTP, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pool, err := pemfile.CertPool(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("identity.ca_file: %w", err)
		}
		tc.RootCAs = pool
	}
	if c.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("identity.client_cert/client_key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 32,
		MaxConnsPerHost:     64, // a burst of logins queues here, not at the provider
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: c.Timeout,
	}
	return &HTTP{url: c.URL, client: &http.Client{Transport: tr, Timeout: c.Timeout,
		// A redirect could send the password elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// answer is the body of a 200 reply.
type answer struct {
	User   *mapping.UserConfig `yaml:"user"`
	Refuse bool                `yaml:"refuse"`
}

// Identify asks the provider about one login. Its errors never quote the
// request (which holds the password) or the answer.
func (h *HTTP) Identify(ctx context.Context, req mapping.IdentityRequest) (*mapping.UserConfig, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("identity provider request failed: %w", redact(err))
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return nil, mapping.ErrRefused
	default:
		return nil, fmt.Errorf("identity provider answered HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the identity provider's answer: %w", redact(err))
	}
	if len(data) > MaxResponseBytes {
		return nil, fmt.Errorf("identity provider's answer is over %d bytes", MaxResponseBytes)
	}
	return decodeAnswer(data)
}

// decodeAnswer decodes a 200 body strictly: JSON, one object, only the
// keys of a users: entry.
func decodeAnswer(data []byte) (*mapping.UserConfig, error) {
	if !json.Valid(data) {
		return nil, errors.New("identity provider's answer is not JSON")
	}
	// JSON is YAML, and the users: vocabulary is defined by yaml tags.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var a answer
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("identity provider's answer does not decode: %w", err)
	}
	switch {
	case a.Refuse:
		return nil, mapping.ErrRefused
	case a.User == nil:
		return nil, errors.New(`identity provider's answer has neither "user" nor "refuse": true`)
	}
	return a.User, nil
}

// redact drops the URL from net/http's errors: it is configuration, not
// secret, but the operator knows it, and a URL may carry a token.
func redact(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
