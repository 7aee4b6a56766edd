package ftps

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// announceRule announces ip (nil: the address the client connected to)
// to clients in nets (nil: everyone).
type announceRule struct {
	nets []netip.Prefix
	ip   net.IP
}

// announceTable holds, per listener and for sessions of no configured
// listener, the rules PASV replies follow, first match wins: the
// listener's passive_ip_overrides, the passive section's, then the
// listener's public_host or else the passive section's.
type announceTable struct {
	listeners [][]announceRule
	fallback  []announceRule
}

// resolveTimeout bounds the lookup of one public_host name.
const resolveTimeout = 10 * time.Second

// ResolvePublicHosts resolves the DNS names among public_host and
// passive_ip_overrides to IPv4 addresses; PASV replies use the result
// until the next call (at start, and on SIGHUP), never a lookup per PASV.
// On error the previous addresses stay.
func (s *Server) ResolvePublicHosts() error {
	p := s.cfg.Passive
	overrides, err := resolveOverrides("passive.passive_ip_overrides", p.PassiveIPOverrides)
	if err != nil {
		return err
	}
	def, err := resolveHost("passive.public_host", p.PublicHost)
	if err != nil {
		return err
	}
	t := &announceTable{fallback: append(overrides, announceRule{ip: def})}
	for i, l := range s.cfg.Listeners {
		own, err := resolveOverrides(fmt.Sprintf("listeners.%d.passive_ip_overrides", i), l.PassiveIPOverrides)
		if err != nil {
			return err
		}
		rules := append(own, overrides...)
		host := announceRule{ip: def}
		if l.PublicHost != "" {
			ip, err := resolveHost(fmt.Sprintf("listeners.%d.public_host", i), l.PublicHost)
			if err != nil {
				return err
			}
			host.ip = ip
		}
		t.listeners = append(t.listeners, append(rules, host))
	}
	s.announce.Store(t)
	return nil
}

func resolveOverrides(key string, list []IPOverride) ([]announceRule, error) {
	var rules []announceRule
	for i, o := range list {
		nets, _ := parseNetworks(o.Networks) // validated already
		ip, err := resolveHost(fmt.Sprintf("%s.%d.public_host", key, i), o.PublicHost)
		if err != nil {
			return nil, err
		}
		rules = append(rules, announceRule{nets: nets, ip: ip})
	}
	return rules, nil
}

// resolveHost returns nil for "" and auto, the address for an IPv4
// literal, and the first IPv4 address of a name.
func resolveHost(key, h string) (net.IP, error) {
	if h == "" || h == PublicHostAuto {
		return nil, nil
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.To4(), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", h)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%s: cannot resolve %q to an IPv4 address: %v", key, h, err)
	}
	return ips[0].To4(), nil
}

// announceIP is the IPv4 address a PASV reply gives this session's
// client, or nil when there is none (an IPv6 control connection).
func (s *session) announceIP() net.IP {
	t := s.srv.announce.Load()
	rules := t.fallback
	if i := s.origin.listener.index; i >= 0 && i < len(t.listeners) {
		rules = t.listeners[i]
	}
	client := addrOf(s.conn.RemoteAddr())
	for _, r := range rules {
		if r.nets != nil && !containsAddr(r.nets, client) {
			continue
		}
		if r.ip != nil {
			return r.ip
		}
		break
	}
	// auto: the address the client connected to, which behind a load
	// balancer is the PROXY header's destination.
	if local, ok := s.conn.LocalAddr().(*net.TCPAddr); ok {
		return local.IP.To4()
	}
	return nil
}

func containsAddr(nets []netip.Prefix, a netip.Addr) bool {
	for _, n := range nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// from records where the session's connection came from; a session
// behind a load balancer logs the balancer's address beside the client's.
func (s *session) from(o origin) *session {
	if o.socketLocal == nil {
		o.socketLocal, _ = s.conn.LocalAddr().(*net.TCPAddr)
	}
	s.origin = o
	if o.via != nil {
		s.log = s.log.With("via", o.via.String())
	}
	return s
}
