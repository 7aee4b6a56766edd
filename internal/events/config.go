package events

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Kinds lists every event kind, in the order the README documents them.
var Kinds = []string{
	ftps.EventUpload, ftps.EventUploadFailed, ftps.EventDownload, ftps.EventDelete,
	ftps.EventRename, ftps.EventMkdir, ftps.EventRmdir, ftps.EventLoginFailed, ftps.EventBan,
}

// TargetConfig is one entry of the events section: a webhook and the
// kinds of event it is sent. Zero values take the defaults below.
type TargetConfig struct {
	// Name labels the target's metrics and names its spool directory
	// (data_dir/events/NAME), so it must stay the same across restarts.
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of every request.
	Secret Secret `yaml:"secret"`
	// Kinds are the event kinds sent; "all" means every kind.
	Kinds   []string      `yaml:"kinds"`
	Timeout time.Duration `yaml:"timeout"`
	// CAFile replaces the system roots for an https URL; ClientCert and
	// ClientKey present a client certificate (mutual TLS).
	CAFile     string `yaml:"ca_file"`
	ClientCert string `yaml:"client_cert"`
	ClientKey  string `yaml:"client_key"`
	// QueueSize bounds the events held in memory; past it they are
	// dropped (and counted), never waited for.
	QueueSize int `yaml:"queue_size"`
	// Retries is how many times an event is resent from memory before
	// the target counts as down and its events go to the spool; 0 takes
	// the default, -1 spools at the first failure.
	Retries int `yaml:"retries"`
	// MaxBackoff caps the wait between attempts.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// SpoolMaxEvents bounds the events kept on disk while the target is
	// down; 0 takes the default, -1 turns the spool off.
	SpoolMaxEvents int `yaml:"spool_max_events"`
}

// Secret is a shared key that does not print itself.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return `"[redacted]"` }

// Defaults.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultQueueSize      = 1000
	DefaultRetries        = 3
	DefaultMaxBackoff     = 60 * time.Second
	DefaultSpoolMaxEvents = 100000
	minSecretLen          = 16
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// withDefaults fills in the zero values.
func (c TargetConfig) withDefaults() TargetConfig {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.SpoolMaxEvents == 0 {
		c.SpoolMaxEvents = DefaultSpoolMaxEvents
	}
	if slices.Contains(c.Kinds, "all") {
		c.Kinds = Kinds
	}
	return c
}

// Validate checks every target; field names are relative to events.
func Validate(targets []TargetConfig) error {
	seen := map[string]bool{}
	for i, t := range targets {
		if err := t.validate(); err != nil {
			return fielderr.Within(fmt.Sprintf("events.%d", i), err)
		}
		if seen[t.Name] {
			return fielderr.New(fmt.Sprintf("events.%d.name", i), "duplicate target name %q", t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

func (c TargetConfig) validate() error {
	if !nameRE.MatchString(c.Name) {
		return fielderr.New("name", "want 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fielderr.New("url", "want an absolute http:// or https:// URL")
	}
	if len(c.Secret) < minSecretLen {
		return fielderr.New("secret", "want at least %d characters (a random string shared with the receiver)", minSecretLen)
	}
	if len(c.Kinds) == 0 {
		return fielderr.New("kinds", "list the event kinds to send (or all): %v", Kinds)
	}
	for j, k := range c.Kinds {
		if k != "all" && !slices.Contains(Kinds, k) {
			return fielderr.New(fmt.Sprintf("kinds.%d", j), "unknown event kind %q; want one of %v or all", k, Kinds)
		}
	}
	if (c.ClientCert == "") != (c.ClientKey == "") {
		return fielderr.New("client_cert", "client_cert and client_key go together")
	}
	if (c.CAFile != "" || c.ClientCert != "") && u.Scheme != "https" {
		return fielderr.New("url", "ca_file and client_cert need an https:// URL")
	}
	switch {
	case c.Timeout < 0:
		return fielderr.New("timeout", "must not be negative")
	case c.QueueSize < 0:
		return fielderr.New("queue_size", "must not be negative")
	case c.Retries < -1:
		return fielderr.New("retries", "want a count, 0 for the default or -1 to spool at the first failure")
	case c.MaxBackoff < 0:
		return fielderr.New("max_backoff", "must not be negative")
	case c.SpoolMaxEvents < -1:
		return fielderr.New("spool_max_events", "want a count, 0 for the default or -1 for no spool")
	}
	return nil
}
