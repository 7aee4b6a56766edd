package ftps

import "net"

// listenerState is what a listener's sessions need of its configuration.
type listenerState struct {
	cfg ListenerConfig
	// index is the listener's place in Config.Listeners, -1 for one
	// given to Serve without a configuration.
	index  int
	policy proxyPolicy
}

// origin is where a session's control connection came from.
type origin struct {
	listener *listenerState
	// via is the load balancer's address when the connection arrived
	// with a PROXY header naming the client; nil for a direct client.
	via net.Addr
	// socketLocal is this end of the socket: passive listeners bind
	// there (the PROXY header's destination is the balancer's address).
	socketLocal *net.TCPAddr
}

// configureListener records the configuration Serve applies to l.
func (s *Server) configureListener(l net.Listener, index int, lc ListenerConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lstate == nil {
		s.lstate = map[net.Listener]*listenerState{}
	}
	s.lstate[l] = &listenerState{cfg: lc, index: index, policy: newProxyPolicy(lc.ProxyProtocol)}
}

// ServeListener serves l with the settings of Config.Listeners[index]
// (TLS mode, proxy_protocol, public_host), as ListenAndServe does for a
// listener it opened itself.
func (s *Server) ServeListener(l net.Listener, index int) error {
	lc := s.cfg.Listeners[index]
	s.configureListener(l, index, lc)
	return s.Serve(l, lc.TLS)
}

func (s *Server) listenerOf(l net.Listener, mode string) *listenerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ls := s.lstate[l]; ls != nil {
		return ls
	}
	return &listenerState{cfg: ListenerConfig{TLS: mode}, index: -1, policy: proxyPolicy{mode: ProxyOff}}
}

// admit serves a new control connection. With proxy_protocol on, the
// header is read in the connection's own goroutine, so a slow or silent
// sender never holds up the accept loop; bans and session limits then
// apply to the client the header names.
func (s *Server) admit(conn net.Conn, ls *listenerState) {
	local, _ := conn.LocalAddr().(*net.TCPAddr)
	if ls.policy.mode == ProxyOff {
		s.startSession(conn, origin{listener: ls, socketLocal: local})
		return
	}
	if s.pendingHeaders.Add(1) > int64(s.cfg.Server.MaxSessions) {
		// As many connections as sessions allowed are already waiting
		// for their header: refuse rather than grow without bound.
		s.pendingHeaders.Add(-1)
		s.log.Warn("connection refused", "remote", conn.RemoteAddr().String(), "reason", "too many connections waiting for a PROXY header")
		s.obs.ConnectionRefused("proxy_protocol")
		conn.Close()
		return
	}
	go func() {
		a, err := readProxyHeader(conn, ls.policy, true, s.log)
		s.pendingHeaders.Add(-1)
		if err != nil {
			s.log.Warn("connection refused", "remote", conn.RemoteAddr().String(), "listener", conn.LocalAddr().String(), "reason", err.Error())
			s.obs.ConnectionRefused("proxy_protocol")
			conn.Close()
			return
		}
		s.startSession(a.conn, origin{listener: ls, via: a.via, socketLocal: local})
	}()
}
