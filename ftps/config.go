package ftps

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Config is the front end's part of config.yaml: the server, listeners,
// tls and passive sections. Field names are the operators' contract.
type Config struct {
	Server    ServerConfig     `yaml:"server"`
	Listeners []ListenerConfig `yaml:"listeners"`
	TLS       TLSConfig        `yaml:"tls"`
	Passive   PassiveConfig    `yaml:"passive"`
	Active    ActiveConfig     `yaml:"active"`
}

// ServerConfig holds limits and timeouts.
type ServerConfig struct {
	// Hash sets the digests recorded at upload and the read bound of HASH.
	Hash HashConfig `yaml:"hash"`
	// DataDir holds state the server creates itself, such as the
	// self-signed certificate generated on first start.
	DataDir string `yaml:"data_dir"`
	// IdleTimeout closes a control connection that sends no command for
	// this long (never during a transfer).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// DataTimeout bounds the wait for a data connection to be opened, and
	// for a data connection that makes no progress.
	DataTimeout time.Duration `yaml:"data_timeout"`
	// ShutdownTimeout is how long running transfers may continue after
	// SIGTERM before they are aborted.
	ShutdownTimeout  time.Duration `yaml:"shutdown_timeout"`
	MaxSessions      int           `yaml:"max_sessions"`
	MaxSessionsPerIP int           `yaml:"max_sessions_per_ip"`
	// Banner is the text of the 220 greeting.
	Banner string `yaml:"banner"`
	// LoginFailures bans addresses that keep failing to log in.
	LoginFailures LoginFailuresConfig `yaml:"login_failures"`
	// LoginCheckTimeout bounds how long a login may wait for its credentials to
	// be checked; past it the client gets 421 busy, not 530.
	LoginCheckTimeout time.Duration `yaml:"login_check_timeout"`
	// DrainDelay is how long the listeners keep accepting after SIGTERM
	// while /readyz already answers 503, so that a load balancer takes
	// the replica out of rotation before its port closes. 0 (the
	// default) stops accepting at once.
	DrainDelay time.Duration `yaml:"drain_delay"`
	// LoginTimeout closes a session that has not logged in this long
	// after connecting, whatever it sends (see prelogin.go).
	LoginTimeout time.Duration `yaml:"login_timeout"`
	// MaxUnauthenticatedSessions bounds the sessions open at once that
	// have not logged in; 0 means half of MaxSessions.
	MaxUnauthenticatedSessions int `yaml:"max_unauthenticated_sessions"`
}

// LoginFailuresConfig is the brute-force protection: after Max failed
// logins within Window, from one address or for one user name, the
// address is refused (421 at connect) for Ban. Max 0 turns it off.
type LoginFailuresConfig struct {
	Max    int           `yaml:"max"`
	Window time.Duration `yaml:"window"`
	Ban    time.Duration `yaml:"ban"`
}

// TLS modes of a listener.
const (
	TLSExplicit = "explicit" // plaintext greeting, AUTH TLS required before login
	TLSImplicit = "implicit" // TLS from the first byte (port 990 style)
	TLSNone     = "none"     // plaintext allowed: only for trusted networks
)

// ListenerConfig is one control-connection listener.
type ListenerConfig struct {
	Address string `yaml:"address"`
	TLS     string `yaml:"tls"`
	// ProxyProtocol, PublicHost and PassiveIPOverrides: see
	// proxy_config.go. PublicHost and the overrides, when set, take the
	// place of the passive section's for sessions of this listener.
	ProxyProtocol      ProxyProtocolConfig `yaml:"proxy_protocol"`
	PublicHost         string              `yaml:"public_host"`
	PassiveIPOverrides []IPOverride        `yaml:"passive_ip_overrides"`
}

// Session reuse policies for data connections (tls.session_reuse).
const (
	ReuseDisabled = "disabled"
	ReuseAllowed  = "allowed"
	ReuseRequired = "required"
)

// TLSConfig configures certificates and TLS policy.
type TLSConfig struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	MinVersion   string `yaml:"min_version"`
	ClientCAFile string `yaml:"client_ca_file"`
	SessionReuse string `yaml:"session_reuse"`
	// UploadWithoutCloseNotify says what to do with an upload whose TLS
	// data connection ended without close_notify: commit or abort.
	UploadWithoutCloseNotify string `yaml:"upload_without_close_notify"`
	// CipherSuites are the TLS 1.2 suites offered, by IANA name; empty
	// means ECDHE with AES-GCM or ChaCha20-Poly1305 (see tls_suites.go).
	CipherSuites []string `yaml:"cipher_suites"`
}

// Policies for uploads that end without TLS close_notify.
const (
	UncleanCommit = "commit"
	UncleanAbort  = "abort"
)

// PassiveConfig configures passive-mode data connections.
type PassiveConfig struct {
	PortRange string `yaml:"port_range"`
	// PublicHost is what PASV replies announce when the server sits
	// behind NAT or a load balancer: an IPv4 address, a DNS name
	// (resolved at start and on SIGHUP) or auto; empty or auto means the
	// address the client connected to.
	PublicHost string `yaml:"public_host"`
	// PassiveIPOverrides announce another address to clients from given
	// networks (internal clients get the internal address).
	PassiveIPOverrides []IPOverride `yaml:"passive_ip_overrides"`
	// ProxyProtocol is read on the passive data ports.
	ProxyProtocol ProxyProtocolConfig `yaml:"proxy_protocol"`
	// MaxPortsPerUser and MaxPortsPerIP bound the passive ports one user
	// and one client address may hold waiting for a data connection (0:
	// three quarters of the range, and all of it).
	MaxPortsPerUser int `yaml:"max_ports_per_user"`
	MaxPortsPerIP   int `yaml:"max_ports_per_ip"`
	// ReplyDelay holds back each 227/229 reply this long. curl 7.88
	// (Debian 12's) stalls a full second when that reply has already
	// arrived by the time it finishes sending PASV/EPSV; a reply a moment
	// later takes its normal path. 0 replies at once.
	ReplyDelay time.Duration `yaml:"reply_delay"`
}

// maxReplyDelay bounds passive.reply_delay: the session waits through it.
const maxReplyDelay = 100 * time.Millisecond

// ActiveConfig configures active-mode (PORT/EPRT) data connections.
type ActiveConfig struct {
	Enabled bool `yaml:"enabled"`
	// AllowBehindProxy allows PORT/EPRT on control connections that came
	// with a PROXY header; a replica behind a load balancer can rarely
	// reach the client itself.
	AllowBehindProxy bool `yaml:"allow_behind_proxy"`
}

// DefaultConfig returns the defaults that apply to keys config.yaml omits.
func DefaultConfig() Config {
	return Config{
		Server: ServerConfig{
			DataDir:           "./data",
			IdleTimeout:       5 * time.Minute,
			DataTimeout:       30 * time.Second,
			ShutdownTimeout:   30 * time.Second,
			MaxSessions:       500,
			MaxSessionsPerIP:  20,
			Banner:            "ftpsbridge ready",
			LoginFailures:     LoginFailuresConfig{Max: 5, Window: 5 * time.Minute, Ban: 15 * time.Minute},
			LoginCheckTimeout: 30 * time.Second,
			Hash:              defaultHashConfig(),
			LoginTimeout:      DefaultLoginTimeout,
		},
		TLS:     TLSConfig{MinVersion: "1.2", SessionReuse: ReuseAllowed, UploadWithoutCloseNotify: UncleanCommit},
		Passive: PassiveConfig{PortRange: "50000-50099", ReplyDelay: time.Millisecond},
		Active:  ActiveConfig{Enabled: true},
	}
}

// Validate checks the configuration without touching the network or disk.
func (c *Config) Validate() error {
	s := c.Server
	if err := s.Hash.validate(); err != nil {
		return err
	}
	if s.IdleTimeout <= 0 {
		return fielderr.New("server.idle_timeout", "must be positive")
	}
	if s.DataTimeout <= 0 {
		return fielderr.New("server.data_timeout", "must be positive")
	}
	if s.ShutdownTimeout < 0 {
		return fielderr.New("server.shutdown_timeout", "must not be negative")
	}
	if s.DrainDelay < 0 {
		return fielderr.New("server.drain_delay", "must not be negative")
	}
	if s.MaxSessions <= 0 {
		return fielderr.New("server.max_sessions", "must be positive")
	}
	if s.MaxSessionsPerIP <= 0 {
		return fielderr.New("server.max_sessions_per_ip", "must be positive")
	}
	if strings.ContainsAny(s.Banner, "\r\n") {
		return fielderr.New("server.banner", "must be one line")
	}
	if err := s.LoginFailures.validate(); err != nil {
		return err
	}
	if s.LoginCheckTimeout <= 0 {
		return fielderr.New("server.login_check_timeout", "must be positive")
	}
	if err := s.validateLogin(); err != nil {
		return err
	}
	if err := validateListeners(c.Listeners); err != nil {
		return err
	}
	if _, err := tlsVersion(c.TLS.MinVersion); err != nil {
		return fielderr.New("tls.min_version", "%v", err)
	}
	if _, _, err := cipherSuites(c.TLS.CipherSuites); err != nil {
		return err
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return fielderr.New("tls.cert_file", "cert_file and key_file must be set together")
	}
	switch c.TLS.SessionReuse {
	case ReuseDisabled, ReuseAllowed, ReuseRequired:
	default:
		return fielderr.New("tls.session_reuse", "want disabled, allowed or required, got %q", c.TLS.SessionReuse)
	}
	switch c.TLS.UploadWithoutCloseNotify {
	case UncleanCommit, UncleanAbort:
	default:
		return fielderr.New("tls.upload_without_close_notify", "want commit or abort, got %q", c.TLS.UploadWithoutCloseNotify)
	}
	if _, _, err := ParsePortRange(c.Passive.PortRange); err != nil {
		return fielderr.New("passive.port_range", "%v", err)
	}
	if d := c.Passive.ReplyDelay; d < 0 || d > maxReplyDelay {
		return fielderr.New("passive.reply_delay", "want 0 to %v, got %v", maxReplyDelay, d)
	}
	return c.validateBalancing()
}

func validateListeners(listeners []ListenerConfig) error {
	if len(listeners) == 0 {
		return fielderr.New("listeners", "at least one listener is required")
	}
	for i, l := range listeners {
		if _, _, err := net.SplitHostPort(l.Address); err != nil {
			return fielderr.New(fmt.Sprintf("listeners.%d.address", i), "want host:port: %v", err)
		}
		switch l.TLS {
		case TLSExplicit, TLSImplicit, TLSNone:
		default:
			return fielderr.New(fmt.Sprintf("listeners.%d.tls", i), "want explicit, implicit or none, got %q", l.TLS)
		}
	}
	return nil
}

func (lf LoginFailuresConfig) validate() error {
	switch {
	case lf.Max < 0:
		return fielderr.New("server.login_failures.max", "must not be negative (0 turns the protection off)")
	case lf.Max == 0:
		return nil
	case lf.Window <= 0:
		return fielderr.New("server.login_failures.window", "must be positive")
	case lf.Ban <= 0:
		return fielderr.New("server.login_failures.ban", "must be positive")
	}
	return nil
}

// ParsePortRange parses "50000-50099" (or a single port).
func ParsePortRange(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	if !found {
		b = a
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("want LOW-HIGH, got %q", s)
	}
	if lo < 1024 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("range %q must lie within 1024-65535, low before high", s)
	}
	return lo, hi, nil
}
