package ftps

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/fielderr"
)

// Modes of proxy_protocol.
const (
	ProxyOff      = "off"      // no header is read; the socket's peer is the client
	ProxyOptional = "optional" // a trusted source may send a header
	ProxyRequired = "required" // every connection must come from a trusted source with a header
)

// defaultHeaderTimeout bounds the wait for a PROXY header when
// proxy_protocol.header_timeout is not set.
const defaultHeaderTimeout = 5 * time.Second

// maxHeaderTimeout bounds proxy_protocol.header_timeout: a connection
// waiting for its header holds a goroutine and a descriptor.
const maxHeaderTimeout = time.Minute

// ProxyProtocolConfig is the proxy_protocol of a listener or of the
// passive data ports: whether connections arrive through a load balancer
// that sends the PROXY protocol (v1 or v2), and from which addresses.
type ProxyProtocolConfig struct {
	// Mode is off (the default), optional or required.
	Mode string `yaml:"mode"`
	// Trusted are the networks (CIDR) or addresses of the load
	// balancers. Only they may send a header; a header from anywhere
	// else is refused.
	Trusted []string `yaml:"trusted"`
	// HeaderTimeout bounds the wait for the header (default 5s).
	HeaderTimeout time.Duration `yaml:"header_timeout"`
}

// IPOverride announces PublicHost in PASV replies to clients from
// Networks (passive_ip_overrides).
type IPOverride struct {
	Networks   []string `yaml:"networks"`
	PublicHost string   `yaml:"public_host"`
}

// PublicHostAuto announces the address the client connected to: the
// control connection's local address, or the PROXY header's destination.
const PublicHostAuto = "auto"

func (p ProxyProtocolConfig) mode() string {
	if p.Mode == "" {
		return ProxyOff
	}
	return p.Mode
}

func (p ProxyProtocolConfig) headerTimeout() time.Duration {
	if p.HeaderTimeout == 0 {
		return defaultHeaderTimeout
	}
	return p.HeaderTimeout
}

func (p ProxyProtocolConfig) validate(key string) error {
	switch p.mode() {
	case ProxyOff, ProxyOptional, ProxyRequired:
	default:
		return fielderr.New(key+".mode", "want off, optional or required, got %q", p.Mode)
	}
	if _, err := parseNetworks(p.Trusted); err != nil {
		return fielderr.New(key+".trusted", "%v", err)
	}
	if p.mode() != ProxyOff && len(p.Trusted) == 0 {
		return fielderr.New(key+".trusted", "name the load balancers' networks: a header from any other source is refused")
	}
	if d := p.HeaderTimeout; d < 0 || d > maxHeaderTimeout {
		return fielderr.New(key+".header_timeout", "want 0 (5s) to %v, got %v", maxHeaderTimeout, d)
	}
	return nil
}

// parseNetworks reads CIDRs and single addresses (a /32 or /128).
func parseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("want a network (10.0.0.0/8) or an address, got %q", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// validatePublicHost accepts "", auto, an IPv4 address or a DNS name;
// names are resolved when the server starts and on SIGHUP
// (Server.ResolvePublicHosts).
func validatePublicHost(key, h string) error {
	if h == "" || h == PublicHostAuto {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil {
		if ip.To4() == nil {
			return fielderr.New(key, "PASV carries only IPv4 addresses, got %q (EPSV needs no address)", h)
		}
		return nil
	}
	if !validHostname(h) {
		return fielderr.New(key, "want an IPv4 address, a DNS name or auto, got %q", h)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 || h == "" {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func validateOverrides(key string, list []IPOverride) error {
	for i, o := range list {
		k := fmt.Sprintf("%s.%d", key, i)
		if len(o.Networks) == 0 {
			return fielderr.New(k+".networks", "at least one network is required")
		}
		if _, err := parseNetworks(o.Networks); err != nil {
			return fielderr.New(k+".networks", "%v", err)
		}
		if o.PublicHost == "" {
			return fielderr.New(k+".public_host", "required")
		}
		if err := validatePublicHost(k+".public_host", o.PublicHost); err != nil {
			return err
		}
	}
	return nil
}

// validateBalancing checks the keys of running behind load balancers:
// proxy_protocol, public_host and passive_ip_overrides of the listeners
// and of passive, and the passive port limits.
func (c *Config) validateBalancing() error {
	for i, l := range c.Listeners {
		k := fmt.Sprintf("listeners.%d", i)
		if err := l.ProxyProtocol.validate(k + ".proxy_protocol"); err != nil {
			return err
		}
		if err := validatePublicHost(k+".public_host", l.PublicHost); err != nil {
			return err
		}
		if err := validateOverrides(k+".passive_ip_overrides", l.PassiveIPOverrides); err != nil {
			return err
		}
	}
	p := c.Passive
	if err := p.ProxyProtocol.validate("passive.proxy_protocol"); err != nil {
		return err
	}
	if err := validatePublicHost("passive.public_host", p.PublicHost); err != nil {
		return err
	}
	if err := validateOverrides("passive.passive_ip_overrides", p.PassiveIPOverrides); err != nil {
		return err
	}
	if p.MaxPortsPerUser < 0 {
		return fielderr.New("passive.max_ports_per_user", "must not be negative (0: three quarters of port_range)")
	}
	if p.MaxPortsPerIP < 0 {
		return fielderr.New("passive.max_ports_per_ip", "must not be negative (0: the whole port_range)")
	}
	return nil
}

// portLimits returns the passive ports one user and one client address
// may hold at once: the configured values, or three quarters of the
// range for a user (a quarter stays for everyone else at the same
// address; other addresses share every port anyway) and the whole range
// for an address (ports are shared across addresses, so an address only
// ever holds its own view of the range). A burst of one user's sessions
// on a busy machine keeps ports pending for a while: 200 sessions of one
// user on 200 ports held more than 50 at once on 2 cores.
func (p PassiveConfig) portLimits() (perUser, perIP int) {
	lo, hi, _ := ParsePortRange(p.PortRange)
	n := hi - lo + 1
	perUser, perIP = p.MaxPortsPerUser, p.MaxPortsPerIP
	if perUser == 0 {
		perUser = max(1, n*3/4)
	}
	if perIP == 0 {
		perIP = n
	}
	return perUser, perIP
}
