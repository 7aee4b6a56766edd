package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/internal/usersfile"
)

// The partner forms: add and change a user of the users_file, disable,
// enable and delete one. Each form carries the users_file's version it
// was rendered from, so a change made in between (by another admin or
// by hand) is refused rather than overwritten; a refused change shows
// check-config's messages beside the fields they concern.

func (s *Server) userPageRoutes() {
	s.route("GET /users/new", s.page(RoleAdmin, s.newUserPage))
	s.route("POST /users/new", s.page(RoleAdmin, s.newUserForm))
	s.route("GET /users/{name}/edit", s.page(RoleAdmin, s.editUserPage))
	s.route("POST /users/{name}/edit", s.page(RoleAdmin, s.editUserForm))
	s.route("POST /users/{name}/disable", s.page(RoleAdmin, s.disableUserForm(true)))
	s.route("POST /users/{name}/enable", s.page(RoleAdmin, s.disableUserForm(false)))
	s.route("POST /users/{name}/delete", s.page(RoleAdmin, s.deleteUserForm))
}

// usersList is what the users page shows.
type usersList struct {
	Users    []UserView
	Version  string
	ReadOnly string // why users cannot be edited, or ""
}

// mountRows is how many empty mount rows a form offers beyond those the
// user has (no script adds rows; save and edit again for more).
const mountRows = 2

// userForm is what the partner form shows.
type userForm struct {
	New      bool
	Version  string
	User     UserEdit
	Mounts   []MountView
	Backends []string
	Problems []usersfile.Problem
}

// Msgs are the messages about field (and its elements: "mounts.0.permissions"
// also gets those of "mounts.0.permissions.1").
func (f *userForm) Msgs(field string) []string {
	var out []string
	for _, p := range f.Problems {
		if p.Field == field || strings.HasPrefix(p.Field, field+".") {
			out = append(out, p.Message)
		}
	}
	return out
}

// Own are the messages about field itself, not its elements.
func (f *userForm) Own(field string) []string {
	var out []string
	for _, p := range f.Problems {
		if p.Field == field {
			out = append(out, p.Message)
		}
	}
	return out
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "users", usersList{Users: s.deps.Users(), Version: s.usersETag(), ReadOnly: s.editable()}, "")
}

func (s *Server) newUserPage(w http.ResponseWriter, r *http.Request) {
	if why := s.editable(); why != "" {
		w.WriteHeader(http.StatusConflict)
		s.usersPageWith(w, r, why)
		return
	}
	f := &userForm{New: true, Version: s.usersETag(), User: UserEdit{
		Mounts: []MountView{{Path: "/", Permissions: []string{"list", "download", "upload"}}},
	}}
	s.renderForm(w, r, f, "")
}

func (s *Server) editUserPage(w http.ResponseWriter, r *http.Request) {
	v, etag, ok := s.fileUser(r.PathValue("name"))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		s.usersPageWith(w, r, "no user "+r.PathValue("name")+" in the users_file")
		return
	}
	s.renderForm(w, r, &userForm{Version: etag, User: editOf(v)}, "")
}

func (s *Server) newUserForm(w http.ResponseWriter, r *http.Request) {
	e, probs := formEdit(r)
	f := &userForm{New: true, Version: r.PostFormValue("version"), User: e}
	out := editOutcome{status: http.StatusUnprocessableEntity, problems: probs, msg: "the form has errors: nothing was written"}
	if len(probs) == 0 {
		out = s.addUser(r, f.Version, e)
	}
	s.afterForm(w, r, f, out, "added "+e.Name)
}

func (s *Server) editUserForm(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e, probs := formEdit(r)
	e.Name = name
	f := &userForm{Version: r.PostFormValue("version"), User: e}
	out := editOutcome{status: http.StatusUnprocessableEntity, problems: probs, msg: "the form has errors: nothing was written"}
	if len(probs) == 0 {
		out = s.editUser(r, f.Version, name, e)
	}
	s.afterForm(w, r, f, out, "changed "+name)
}

// afterForm redirects to the users page after a change, or shows the
// form again with what was wrong.
func (s *Server) afterForm(w http.ResponseWriter, r *http.Request, f *userForm, out editOutcome, done string) {
	if out.ok() {
		http.Redirect(w, r, "/users?done="+url.QueryEscape(done), http.StatusSeeOther)
		return
	}
	f.Problems = shorthandFields(out.problems)
	if out.status == http.StatusPreconditionFailed {
		out.msg += " (open the form again: your entries are below, not saved)"
	}
	w.WriteHeader(out.status)
	s.renderForm(w, r, f, out.msg)
}

func (s *Server) disableUserForm(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		out := s.setDisabled(r, r.PostFormValue("version"), name, disabled)
		done := "enabled " + name
		if disabled {
			done = "disabled " + name
		}
		s.afterAction(w, r, out, done)
	}
}

func (s *Server) deleteUserForm(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.afterAction(w, r, s.deleteUser(r, r.PostFormValue("version"), name), "deleted "+name)
}

func (s *Server) afterAction(w http.ResponseWriter, r *http.Request, out editOutcome, done string) {
	if out.ok() {
		http.Redirect(w, r, "/users?done="+url.QueryEscape(done), http.StatusSeeOther)
		return
	}
	msg := out.msg
	for _, p := range out.problems {
		msg += "; " + p.Message
	}
	w.WriteHeader(out.status)
	s.usersPageWith(w, r, msg)
}

func (s *Server) usersPageWith(w http.ResponseWriter, r *http.Request, msg string) {
	s.render(w, r, "users", usersList{Users: s.deps.Users(), Version: s.usersETag(), ReadOnly: s.editable()}, msg)
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, f *userForm, msg string) {
	f.Backends = s.deps.Backends
	f.User.Password = "" // never sent back
	f.Mounts = append(f.User.Mounts, make([]MountView, mountRows)...)
	s.render(w, r, "user_form", f, msg)
}

// editOf is the edit that leaves v as it is.
func editOf(v UserView) UserEdit {
	return UserEdit{
		Name: v.Name, Auth: v.Auth, CertFingerprints: v.CertFingerprints, CertSubjects: v.CertSubjects,
		Mounts: v.Mounts, Home: v.Home, Disabled: v.Disabled, ExpiresAt: v.ExpiresAt, AllowedIPs: v.AllowedIPs,
		MaxSessions: v.MaxSessions, UploadMaxBytes: v.UploadMaxBytes,
		AllowedPatterns: v.AllowedPatterns, DeniedPatterns: v.DeniedPatterns,
	}
}

// formEdit reads the partner form. Lists are comma- or line-separated
// (certificate subjects, which hold commas, one a line); mount rows left
// empty are dropped.
func formEdit(r *http.Request) (UserEdit, []usersfile.Problem) {
	v := r.PostFormValue
	e := UserEdit{
		Name: strings.TrimSpace(v("name")), Password: v("password"), Auth: v("auth"),
		CertFingerprints: split(v("cert_fingerprints"), ",\n"), CertSubjects: split(v("cert_subjects"), "\n"),
		Home: strings.TrimSpace(v("home")), Disabled: v("disabled") == "on", ExpiresAt: strings.TrimSpace(v("expires_at")),
		AllowedIPs: split(v("allowed_ips"), ", \n"), UploadMaxBytes: strings.TrimSpace(v("upload_max_bytes")),
		AllowedPatterns: split(v("allowed_patterns"), ", \n"), DeniedPatterns: split(v("denied_patterns"), ", \n"),
	}
	var probs []usersfile.Problem
	if ms := strings.TrimSpace(v("max_sessions")); ms != "" {
		n, err := strconv.Atoi(ms)
		if err != nil {
			probs = append(probs, usersfile.Problem{Key: "max_sessions", Field: "max_sessions", Message: "max_sessions: want a whole number"})
		}
		e.MaxSessions = n
	}
	for i := 0; ; i++ {
		row := "mount_" + strconv.Itoa(i) + "_"
		if _, ok := r.PostForm[row+"path"]; !ok {
			break
		}
		m := MountView{
			Path: strings.TrimSpace(v(row + "path")), Backend: strings.TrimSpace(v(row + "backend")),
			Bucket: strings.TrimSpace(v(row + "bucket")), Prefix: strings.TrimSpace(v(row + "prefix")),
			Permissions: split(v(row+"permissions"), ", \n"),
		}
		if m.Backend == "" && m.Bucket == "" && m.Prefix == "" && len(m.Permissions) == 0 && (m.Path == "" || m.Path == "/") {
			continue
		}
		e.Mounts = append(e.Mounts, m)
	}
	return e, probs
}

func split(s, seps string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) || r == '\r' })
}

// shorthandFields names the fields of a single mount written as the
// shorthand (backend, prefix, ...) as those of the form's first row.
func shorthandFields(probs []usersfile.Problem) []usersfile.Problem {
	out := append([]usersfile.Problem(nil), probs...)
	for i, p := range out {
		head, _, _ := strings.Cut(p.Field, ".")
		switch head {
		case "backend", "bucket", "prefix", "permissions":
			out[i].Field = "mounts.0." + p.Field
		}
	}
	return out
}
