package events

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
	"github.com/ftpsbridge/ftpsbridge/internal/pemfile"
)

// newClient builds the HTTP client of one target: its own CA and client
// certificate, its timeout per request, and no redirects (a signed body
// is meant for the URL configured, nowhere else).
func newClient(c TargetConfig) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pool, err := pemfile.CertPool(c.CAFile)
		if err != nil {
			return nil, fielderr.New("ca_file", "%v", err)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if c.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, fielderr.New("client_cert", "%v", err)
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{
		Transport: tr,
		Timeout:   c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// errRejected marks an answer that retrying will not change (a 4xx other
// than 408 and 429, or a redirect): the receiver refuses this event.
var errRejected = errors.New("rejected by receiver")

// post sends one event, signed now.
func (t *target) post(ctx context.Context, it item) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.URL, bytes.NewReader(it.body))
	if err != nil {
		return fmt.Errorf("%w: %v", errRejected, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ftpsbridge")
	req.Header.Set("X-Ftpsbridge-Event", it.kind)
	req.Header.Set("X-Ftpsbridge-Id", it.id)
	req.Header.Set(SignatureHeader, Sign(string(t.cfg.Secret), time.Now(), it.body))
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("receiver answered %s", resp.Status)
	default:
		return fmt.Errorf("%w: %s", errRejected, resp.Status)
	}
}
