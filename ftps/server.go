// Package ftps is ftpsbridge's FTP/FTPS protocol front end (RFC 959, 2228,
// 2389, 2428, 3659, 4217): listeners, control connections, command
// dispatch, replies, TLS and data channels.
//
// It knows nothing of clouds, buckets or prefixes: a logged-in session sees
// only the FileSystem that its Authenticator returns. It must never write an
// internal error's text to a client; errors become replies in replies.go.
package ftps

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("ftps: server closed")

// Server is an FTPS server. Create it with New, run it with
// ListenAndServe or Serve, stop it with Shutdown.
type Server struct {
	cfg  Config
	auth Authenticator
	log  *slog.Logger
	// tlsCfg is the configuration new connections start from; ReloadTLS
	// swaps it. Sessions clone it when they start and keep their clone.
	tlsCfg atomic.Pointer[tls.Config]
	hosts  []string // listener hosts, for a self-signed certificate
	ports  *passivePool
	// announce is what PASV replies announce, with public_host names
	// resolved (see ResolvePublicHosts).
	announce atomic.Pointer[announceTable]
	// pendingHeaders counts connections waiting for a PROXY header.
	pendingHeaders atomic.Int64
	guard          *loginGuard
	obs            Observer
	// logins says who is logged in on each control connection, for TLS
	// session reuse across them (see principals).
	logins *principals
	events EventSink
	// warns rate-limits the warnings a client can trigger in bulk.
	warns *logThrottle
	reg   registry // open sessions and recent transfers, for the console

	// baseCtx is the parent of every session's context; cancelling it
	// aborts all transfers (the last step of Shutdown).
	baseCtx    context.Context
	baseCancel context.CancelFunc
	// closing is closed when Shutdown begins: sessions finish their
	// transfer, then say 421 and close.
	closing chan struct{}

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	perIP     map[string]int
	lstate    map[net.Listener]*listenerState
	sessions  int
	preLogin  int // sessions not logged in yet (see prelogin.go)
	wg        sync.WaitGroup
	nextID    atomic.Uint64
	closed    bool
}

// New validates cfg, loads or generates the certificate, and returns a
// server ready to serve.
func New(cfg Config, auth Authenticator, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	var hosts []string
	for _, l := range cfg.Listeners {
		if h, _, err := net.SplitHostPort(l.Address); err == nil {
			hosts = append(hosts, h)
		}
	}
	tlsCfg, err := buildTLSConfig(cfg.TLS, cfg.Server.DataDir, hosts, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{
		cfg:        cfg,
		auth:       auth,
		log:        log,
		hosts:      hosts,
		obs:        noObserver{},
		events:     noEvents{},
		ports:      newPassivePool(cfg.Passive, log),
		warns:      newLogThrottle(defaultThrottleWindow),
		guard:      newLoginGuard(cfg.Server.LoginFailures, log),
		logins:     newPrincipals(),
		baseCtx:    ctx,
		baseCancel: cancel,
		closing:    make(chan struct{}),
		listeners:  map[net.Listener]struct{}{},
		perIP:      map[string]int{},
	}
	srv.ports.warns = srv.warns
	srv.tlsCfg.Store(tlsCfg)
	if err := srv.ResolvePublicHosts(); err != nil {
		cancel()
		return nil, err
	}
	return srv, nil
}

// ReloadTLS re-reads the server certificate, its key and the client CA
// bundle named by certFile, keyFile and clientCAFile (a renewed
// certificate usually keeps its paths). Connections accepted from now on
// use them; open sessions keep the ones they started with, data
// connections included. On error nothing changes. The other tls settings
// still need a restart.
func (s *Server) ReloadTLS(certFile, keyFile, clientCAFile string) error {
	c := s.cfg.TLS
	c.CertFile, c.KeyFile, c.ClientCAFile = certFile, keyFile, clientCAFile
	next, err := buildTLSConfig(c, s.cfg.Server.DataDir, s.hosts, s.log)
	if err != nil {
		return err
	}
	s.tlsCfg.Store(next)
	return nil
}

// ListenAndServe opens every configured listener and serves them until
// Shutdown. It returns ErrServerClosed after a shutdown.
func (s *Server) ListenAndServe() error {
	type bound struct {
		l   net.Listener
		cfg ListenerConfig
	}
	var all []bound
	for i, lc := range s.cfg.Listeners {
		l, err := net.Listen("tcp", lc.Address)
		if err != nil {
			for _, b := range all {
				b.l.Close()
			}
			return fmt.Errorf("listen %s: %w", lc.Address, err)
		}
		s.configureListener(l, i, lc)
		all = append(all, bound{l, lc})
	}
	errs := make(chan error, len(all))
	for _, b := range all {
		go func() { errs <- s.Serve(b.l, b.cfg.TLS) }()
	}
	var first error
	for range all {
		if err := <-errs; first == nil || errors.Is(first, ErrServerClosed) {
			first = err
		}
	}
	return first
}

// Serve accepts control connections on l in the given TLS mode
// (TLSExplicit, TLSImplicit or TLSNone) until Shutdown.
func (s *Server) Serve(l net.Listener, mode string) error {
	if !s.track(l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.track(l, false)
	s.log.Info("listening", "address", l.Addr().String(), "tls", mode)
	var backoff time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.admit(conn, s.listenerOf(l, mode))
	}
}

func (s *Server) track(l net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closed {
			return false
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// startSession enforces bans and session limits and runs the session in
// its own goroutine.
func (s *Server) startSession(conn net.Conn, from origin) {
	mode := from.listener.cfg.TLS
	if s.guard.banned(addrOf(conn.RemoteAddr())) {
		// Logged once when the ban began, not at every attempt.
		s.obs.ConnectionRefused("banned")
		go s.refuse(conn, mode, msgBanned)
		return
	}
	ip := remoteIP(conn.RemoteAddr())
	s.mu.Lock()
	reason, label := "", ""
	switch {
	case s.closed:
		reason, label = "Server shutting down.", "shutting_down"
	case s.sessions >= s.cfg.Server.MaxSessions:
		reason, label = "Too many connections; try again later.", "max_sessions"
	case s.perIP[ip] >= s.cfg.Server.MaxSessionsPerIP:
		reason, label = "Too many connections from your address.", "max_sessions_per_ip"
	case s.preLogin >= s.cfg.Server.maxPreLogin():
		reason, label = msgTooManyPreLogin, "max_unauthenticated_sessions"
	}
	if reason == "" {
		s.preLogin++
		s.sessions++
		s.perIP[ip]++
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if reason != "" {
		s.warns.Warn(s.log, ip, "connection refused", "remote", conn.RemoteAddr().String(), "reason", reason)
		s.obs.ConnectionRefused(label)
		go s.refuse(conn, mode, reason)
		return
	}
	id := s.nextID.Add(1)
	s.obs.SessionOpened()
	go func() {
		defer func() {
			s.obs.SessionClosed()
			s.mu.Lock()
			s.sessions--
			if s.perIP[ip]--; s.perIP[ip] <= 0 {
				delete(s.perIP, ip)
			}
			s.mu.Unlock()
			s.wg.Done()
		}()
		sess := newSession(s, conn, mode, id).from(from)
		s.reg.add(sess)
		defer s.reg.remove(id)
		sess.serve()
	}()
}

// refuse answers 421 and closes; on an implicit listener the reply must be
// inside TLS or the client cannot read it.
func (s *Server) refuse(conn net.Conn, mode, reason string) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if mode == TLSImplicit {
		tc := tls.Server(conn, s.tlsCfg.Load())
		if tc.Handshake() != nil {
			return
		}
		conn = tc
	}
	fmt.Fprintf(conn, "%d %s\r\n", codeUnavailable, reason)
}

// Shutdown stops accepting connections, lets running transfers finish
// until ctx is done, then aborts them cleanly (staged uploads are
// discarded, never committed half-written) and waits for every session to
// end. Idle sessions are told 421 at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.baseCancel()
		return nil
	case <-ctx.Done():
		s.log.Warn("shutdown deadline reached; aborting running transfers")
		s.baseCancel()
		<-done
		return ctx.Err()
	}
}

// Close aborts everything at once.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Sessions reports the number of open control connections.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// errTooManyFiles is the accept error of a process out of descriptors:
// temporary, so the listener backs off instead of stopping.
var errTooManyFiles = syscall.EMFILE
