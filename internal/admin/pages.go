package admin

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed web/*.html
var pageFiles embed.FS

//go:embed web/static
var staticFiles embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"ts":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"bytes": func(n int64) string { return strconv.FormatInt(n, 10) },
	"join":  func(s []string, sep string) string { return strings.Join(s, sep) },
	"list":  func(s ...string) []string { return s },
}).ParseFS(pageFiles, "web/*.html"))

const cookieName = "ftpsbridge_console"

func (s *Server) pageRoutes() {
	static, _ := fs.Sub(staticFiles, "web")
	s.route("GET /static/", http.FileServerFS(static).ServeHTTP)
	s.route("GET /login", s.loginPage)
	s.route("POST /login", s.loginForm)
	s.route("POST /logout", s.page(RoleViewer, s.logoutForm))
	s.route("GET /{$}", s.page(RoleViewer, s.dashboard))
	s.route("GET /transfers", s.page(RoleViewer, s.transfersPage))
	s.route("GET /users", s.page(RoleViewer, s.usersPage))
	s.route("GET /bans", s.page(RoleViewer, s.bansPage))
	s.route("POST /bans", s.page(RoleAdmin, s.banForm))
	s.route("POST /bans/lift", s.page(RoleAdmin, s.unbanForm))
	s.route("POST /sessions/end", s.page(RoleAdmin, s.kickForm))
	s.userPageRoutes()
}

// page wraps a page handler: it needs the session cookie (else the login
// page), and a POST needs the CSRF token of that session in its form.
func (s *Server) page(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		var l *login
		if err == nil {
			l = s.auth.lookup(c.Value)
		}
		if l == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), l.csrf) {
			http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
			return
		}
		if role == RoleAdmin && l.role != RoleAdmin {
			http.Error(w, "this needs the admin role", http.StatusForbidden)
			return
		}
		h(w, r.WithContext(withLogin(r, l)))
	}
}

// view is what every page template gets.
type view struct {
	Admin, Role, CSRF, Page string
	Status                  Status
	Error, Notice           string
	Data                    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any, msg string) {
	v := view{Page: name, Data: data, Status: s.status(), Error: msg, Notice: r.URL.Query().Get("done")}
	if l, ok := r.Context().Value(ctxKey{}).(*login); ok {
		v.Admin, v.Role, v.CSRF = l.name, l.role, l.csrf
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name+".html", v); err != nil {
		s.deps.Log.Error("console page failed", "page", name, "err", err)
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) { s.render(w, r, "login", nil, "") }

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	tok, l, status := s.login(r, r.PostFormValue("name"), r.PostFormValue("password"))
	if l == nil {
		w.WriteHeader(status)
		s.render(w, r, "login", nil, "Login incorrect, or too many failures: try again later.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: tok, Path: "/", Expires: l.expires,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logoutForm(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.auth.logout(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "dashboard", s.deps.FTP.ActiveSessions(), "")
}

func (s *Server) transfersPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "transfers", s.deps.FTP.RecentTransfers(), "")
}

func (s *Server) bansPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "bans", s.deps.FTP.Bans(), "")
}

func (s *Server) banForm(w http.ResponseWriter, r *http.Request) {
	b, status, msg := s.ban(r.PostFormValue("address"), r.PostFormValue("duration"))
	if status != http.StatusOK {
		w.WriteHeader(status)
		s.render(w, r, "bans", s.deps.FTP.Bans(), msg)
		return
	}
	s.audit(r, "ban", "address", b.Address, "until", b.Until.UTC().Format(time.RFC3339))
	http.Redirect(w, r, "/bans?done=banned", http.StatusSeeOther)
}

func (s *Server) unbanForm(w http.ResponseWriter, r *http.Request) {
	key := r.PostFormValue("address")
	if s.deps.FTP.Unban(key) {
		s.audit(r, "lift ban", "address", key)
	}
	http.Redirect(w, r, "/bans?done=lifted", http.StatusSeeOther)
}

func (s *Server) kickForm(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PostFormValue("session"), 10, 64)
	if err == nil && s.deps.FTP.Kick(id) {
		s.audit(r, "end session", "session", id)
	}
	http.Redirect(w, r, "/?done=ended", http.StatusSeeOther)
}
