// Package admin is the operator console: an HTTPS API and server-rendered
// pages, on their own listener, that show the server's sessions,
// transfers, bans and users, and let an admin end sessions and manage
// bans. It never shows a password hash, key or secret, and every change
// it makes is logged with the name of the admin who made it.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/usersfile"
)

// FTP is what the console reads and acts on; *ftps.Server implements it.
type FTP interface {
	ActiveSessions() []ftps.SessionInfo
	RecentTransfers() []ftps.FinishedTransfer
	Kick(id uint64) bool
	Bans() []ftps.BanInfo
	Ban(addr netip.Addr, d time.Duration) (ftps.BanInfo, error)
	Unban(key string) bool
}

// Deps are the parts of the running server the console needs.
type Deps struct {
	FTP       FTP
	Version   string
	Listeners []string
	// Users returns the users in force, as shown (no secrets).
	Users func() []UserView
	// Probe lists and stats each mount of user name, writing nothing.
	Probe func(ctx context.Context, name string) ([]ProbeResult, error)
	// UsersFile edits the users_file, putting each change in force as a
	// reload does; nil when users cannot be edited, and then
	// UsersReadOnly says why.
	UsersFile     *usersfile.Editor
	UsersReadOnly string
	// Backends are the configured backend names, offered by the forms.
	Backends []string
	Log      *slog.Logger
}

// ProbeResult is the outcome of testing one mount of a user.
type ProbeResult struct {
	Mount   string `json:"mount"`
	Backend string `json:"backend"`
	Bucket  string `json:"bucket"`
	List    string `json:"list"` // "ok" or the error class
	Stat    string `json:"stat"`
	Entries int    `json:"entries"` // on the first page of the listing
}

// Server is the console's HTTP handler.
type Server struct {
	deps    Deps
	auth    *authStore
	started time.Time
	mux     *http.ServeMux
	routes  []string // "METHOD /path", for the OpenAPI check
}

// New returns the console for cfg (with defaults applied).
func New(cfg Config, deps Deps) *Server {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	s := &Server{deps: deps, auth: newAuthStore(cfg.WithDefaults()), started: time.Now(), mux: http.NewServeMux()}
	s.apiRoutes()
	s.pageRoutes()
	return s
}

// route registers h for "METHOD /path" and remembers it.
func (s *Server) route(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	s.routes = append(s.routes, pattern)
}

func (s *Server) apiRoutes() {
	s.route("GET /api/openapi.yaml", s.openAPI)
	s.route("POST /api/login", s.apiLogin)
	s.route("POST /api/logout", s.need(RoleViewer, s.apiLogout))
	s.route("GET /api/status", s.need(RoleViewer, s.apiStatus))
	s.route("GET /api/sessions", s.need(RoleViewer, s.apiSessions))
	s.route("DELETE /api/sessions/{id}", s.need(RoleAdmin, s.apiKick))
	s.route("GET /api/transfers", s.need(RoleViewer, s.apiTransfers))
	s.route("GET /api/bans", s.need(RoleViewer, s.apiBans))
	s.route("POST /api/bans", s.need(RoleAdmin, s.apiBan))
	s.route("DELETE /api/bans/{address}", s.need(RoleAdmin, s.apiUnban))
	s.route("GET /api/users", s.need(RoleViewer, s.apiUsers))
	s.route("POST /api/users", s.need(RoleAdmin, s.apiAddUser))
	s.route("GET /api/users/{name}", s.need(RoleViewer, s.apiUser))
	s.route("PUT /api/users/{name}", s.need(RoleAdmin, s.apiChangeUser))
	s.route("DELETE /api/users/{name}", s.need(RoleAdmin, s.apiDeleteUser))
	s.route("POST /api/users/{name}/disable", s.need(RoleAdmin, s.apiDisableUser(true)))
	s.route("POST /api/users/{name}/enable", s.need(RoleAdmin, s.apiDisableUser(false)))
	s.route("POST /api/users/{name}/test", s.need(RoleAdmin, s.apiProbe))
}

// ServeHTTP sets the headers every answer carries, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	s.mux.ServeHTTP(w, r)
}

type ctxKey struct{}

// need wraps h so that it runs only for a login with at least role. The
// API takes "Authorization: Bearer TOKEN"; the pages' script sends the
// session cookie, and then a change also needs the CSRF header.
func (s *Server) need(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, viaCookie := s.loginOf(r)
		if l == nil {
			writeError(w, http.StatusUnauthorized, "log in first")
			return
		}
		if viaCookie && r.Method != http.MethodGet && !sameToken(r.Header.Get("X-CSRF-Token"), l.csrf) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
		if role == RoleAdmin && l.role != RoleAdmin {
			writeError(w, http.StatusForbidden, "this needs the admin role")
			return
		}
		h(w, r.WithContext(withLogin(r, l)))
	}
}

func (s *Server) loginOf(r *http.Request) (*login, bool) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.auth.lookup(tok), false
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return s.auth.lookup(c.Value), true
	}
	return nil, false
}

func withLogin(r *http.Request, l *login) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, l)
}

func adminOf(r *http.Request) *login { return r.Context().Value(ctxKey{}).(*login) }

// audit logs a change with the admin who made it.
func (s *Server) audit(r *http.Request, action string, args ...any) {
	l := adminOf(r)
	s.deps.Log.Info("admin action", append([]any{"admin", l.name, "role", l.role, "action", action,
		"remote", r.RemoteAddr}, args...)...)
}

func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !readJSON(w, r, &req) {
		return
	}
	tok, l, status := s.login(r, req.Name, req.Password)
	if l == nil {
		writeError(w, status, http.StatusText(status))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "role": l.role, "expires": l.expires.UTC()})
}

// login checks a console login from r's address, logging the outcome.
func (s *Server) login(r *http.Request, name, password string) (string, *login, int) {
	addr := clientAddr(r)
	if s.auth.banned(addr) {
		s.deps.Log.Warn("admin login refused: address banned", "remote", r.RemoteAddr)
		return "", nil, http.StatusTooManyRequests
	}
	tok, l := s.auth.check(addr, name, password)
	if l == nil {
		s.deps.Log.Warn("admin login failed", "admin", trunc(name), "remote", r.RemoteAddr)
		return "", nil, http.StatusUnauthorized
	}
	s.deps.Log.Info("admin login", "admin", name, "role", l.role, "remote", r.RemoteAddr)
	return tok, l, http.StatusOK
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if c, err := r.Cookie(cookieName); tok == "" && err == nil {
		tok = c.Value
	}
	s.auth.logout(tok)
	w.WriteHeader(http.StatusNoContent)
}

// Status is the answer of GET /api/status.
type Status struct {
	Version   string    `json:"version"`
	Started   time.Time `json:"started"`
	Uptime    string    `json:"uptime"`
	Listeners []string  `json:"listeners"`
	Sessions  int       `json:"sessions"`
}

func (s *Server) status() Status {
	return Status{
		Version: s.deps.Version, Started: s.started.UTC(),
		Uptime:    time.Since(s.started).Round(time.Second).String(),
		Listeners: s.deps.Listeners, Sessions: len(s.deps.FTP.ActiveSessions()),
	}
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.status())
}

func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.deps.FTP.ActiveSessions())
}

func (s *Server) apiKick(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "want a session id")
		return
	}
	if !s.deps.FTP.Kick(id) {
		writeError(w, http.StatusNotFound, "no such session")
		return
	}
	s.audit(r, "end session", "session", id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiTransfers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.deps.FTP.RecentTransfers())
}

func (s *Server) apiBans(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.deps.FTP.Bans())
}

type banRequest struct {
	Address string `json:"address"`
	// Duration is a Go duration ("1h"); default 1h, at most 30 days.
	Duration string `json:"duration"`
}

func (s *Server) apiBan(w http.ResponseWriter, r *http.Request) {
	var req banRequest
	if !readJSON(w, r, &req) {
		return
	}
	b, status, msg := s.ban(req.Address, req.Duration)
	if status != http.StatusOK {
		writeError(w, status, msg)
		return
	}
	s.audit(r, "ban", "address", b.Address, "until", b.Until.UTC().Format(time.RFC3339))
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) ban(address, duration string) (ftps.BanInfo, int, string) {
	addr, err := netip.ParseAddr(strings.TrimSpace(address))
	if err != nil {
		return ftps.BanInfo{}, http.StatusBadRequest, "address: want an IPv4 or IPv6 address"
	}
	d := time.Hour
	if duration != "" {
		if d, err = time.ParseDuration(duration); err != nil || d <= 0 || d > 30*24*time.Hour {
			return ftps.BanInfo{}, http.StatusBadRequest, "duration: want a duration between 1s and 720h, such as 1h"
		}
	}
	b, err := s.deps.FTP.Ban(addr.Unmap(), d)
	if errors.Is(err, ftps.ErrBansOff) {
		return ftps.BanInfo{}, http.StatusConflict, "bans are off: server.login_failures.max is 0"
	}
	return b, http.StatusOK, ""
}

func (s *Server) apiUnban(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("address")
	if !s.deps.FTP.Unban(key) {
		writeError(w, http.StatusNotFound, "no such ban")
		return
	}
	s.audit(r, "lift ban", "address", key)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiProbe(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	res, err := s.deps.Probe(ctx, name)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such user")
		return
	}
	s.audit(r, "test mapping", "user", name)
	writeJSON(w, http.StatusOK, res)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "want a JSON body with the documented fields")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
