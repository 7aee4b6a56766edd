package ftps

// Accepting reports whether every configured listener is bound and
// accepting and Shutdown has not begun: the server's part of /readyz.
func (s *Server) Accepting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && len(s.listeners) == len(s.cfg.Listeners)
}
