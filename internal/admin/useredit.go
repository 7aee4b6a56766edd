package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/internal/usersfile"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// UserEdit is a user as the console writes it: the body of POST
// /api/users and PUT /api/users/{name}, and what the partner form
// sends. A PUT replaces every field; Password, when empty, keeps the
// current password.
type UserEdit struct {
	Name string `json:"name"`
	// Password is in plain text; it is hashed (bcrypt, as hash-password
	// does) before it is written, and never stored or shown otherwise.
	Password         string      `json:"password,omitempty"`
	Auth             string      `json:"auth,omitempty"`
	CertFingerprints []string    `json:"cert_fingerprints,omitempty"`
	CertSubjects     []string    `json:"cert_subjects,omitempty"`
	Mounts           []MountView `json:"mounts"`
	Home             string      `json:"home,omitempty"`
	Disabled         bool        `json:"disabled,omitempty"`
	ExpiresAt        string      `json:"expires_at,omitempty"`
	AllowedIPs       []string    `json:"allowed_ips,omitempty"`
	MaxSessions      int         `json:"max_sessions,omitempty"`
	// UploadMaxBytes is a size such as "100MiB" or a number of bytes.
	UploadMaxBytes  string   `json:"upload_max_bytes,omitempty"`
	AllowedPatterns []string `json:"allowed_patterns,omitempty"`
	DeniedPatterns  []string `json:"denied_patterns,omitempty"`
}

// editOutcome is the result of one edit, for the API or a page.
type editOutcome struct {
	etag     string
	status   int
	msg      string
	problems []usersfile.Problem
}

func (o editOutcome) ok() bool { return o.status < 300 }

// toConfig turns an edit into the user's configuration; old is the
// current one for a change, nil for a new user. Only what the loader
// cannot see is handled here: the password is hashed, and defaults the
// views fill in ("/" home, "password" auth, a single mount at "/") are
// written as the short form the file already uses.
func toConfig(e UserEdit, old *mapping.UserConfig) (mapping.UserConfig, []usersfile.Problem) {
	var probs []usersfile.Problem
	u := mapping.UserConfig{
		Name: e.Name, Auth: e.Auth, CertFingerprints: e.CertFingerprints, CertSubjects: e.CertSubjects,
		Home: e.Home, Disabled: e.Disabled, ExpiresAt: e.ExpiresAt, AllowedIPs: e.AllowedIPs,
		MaxSessions: e.MaxSessions, AllowedPatterns: e.AllowedPatterns, DeniedPatterns: e.DeniedPatterns,
	}
	fresh := old == nil
	if fresh {
		old = &mapping.UserConfig{}
	}
	if u.Auth == "password" && old.Auth == "" {
		u.Auth = ""
	}
	if u.Home == "/" && old.Home == "" {
		u.Home = ""
	}
	if e.UploadMaxBytes != "" {
		size, err := backends.ParseSize(e.UploadMaxBytes)
		if err != nil {
			probs = append(probs, usersfile.Problem{Key: "upload_max_bytes", Field: "upload_max_bytes", Message: "upload_max_bytes: " + err.Error()})
		}
		u.UploadMaxBytes = size
	}
	if len(e.Mounts) == 1 && e.Mounts[0].Path == "/" && (fresh || len(old.Mounts) == 0) {
		m := e.Mounts[0]
		u.Backend, u.Bucket, u.Prefix, u.Permissions = m.Backend, m.Bucket, m.Prefix, m.Permissions
	} else {
		for _, m := range e.Mounts {
			u.Mounts = append(u.Mounts, mapping.MountConfig{Path: m.Path, Backend: m.Backend, Bucket: m.Bucket, Prefix: m.Prefix, Permissions: m.Permissions})
		}
	}
	switch {
	case e.Password != "":
		h, err := mapping.HashPassword(e.Password)
		if err != nil {
			probs = append(probs, usersfile.Problem{Key: "password", Field: "password", Message: "password: " + err.Error()})
		}
		u.PasswordHash = h
	case u.NeedsPassword():
		u.PasswordHash = old.PasswordHash // kept; the loader says "required" for a new user
	}
	return u, probs
}

// editable answers why users cannot be edited, or "".
func (s *Server) editable() string {
	if s.deps.UsersFile == nil {
		if s.deps.UsersReadOnly != "" {
			return s.deps.UsersReadOnly
		}
		return "no users_file is configured: the console edits only a users_file"
	}
	return ""
}

func (s *Server) addUser(r *http.Request, ifMatch string, e UserEdit) editOutcome {
	if why := s.editable(); why != "" {
		return editOutcome{status: http.StatusConflict, msg: why}
	}
	u, probs := toConfig(e, nil)
	if len(probs) > 0 {
		return invalid(probs)
	}
	etag, err := s.deps.UsersFile.Add(ifMatch, u)
	out := s.outcome(e.Name, etag, err)
	if out.ok() {
		out.status = http.StatusCreated
		s.audit(r, "add user", "user", e.Name)
	}
	return out
}

// changeUser applies change to the user name's current definition.
func (s *Server) changeUser(r *http.Request, ifMatch, name, action string, change func(mapping.UserConfig) (mapping.UserConfig, []usersfile.Problem)) editOutcome {
	if why := s.editable(); why != "" {
		return editOutcome{status: http.StatusConflict, msg: why}
	}
	var own []usersfile.Problem
	errOwn := errors.New("refused before the loader")
	etag, err := s.deps.UsersFile.Change(ifMatch, name, func(old mapping.UserConfig) (mapping.UserConfig, error) {
		next, probs := change(old)
		if len(probs) > 0 {
			own = probs
			return old, errOwn
		}
		return next, nil
	})
	if errors.Is(err, errOwn) {
		return invalid(own)
	}
	out := s.outcome(name, etag, err)
	if out.ok() {
		s.audit(r, action, "user", name)
	}
	return out
}

// editUser replaces the user name with e.
func (s *Server) editUser(r *http.Request, ifMatch, name string, e UserEdit) editOutcome {
	return s.changeUser(r, ifMatch, name, "change user", func(old mapping.UserConfig) (mapping.UserConfig, []usersfile.Problem) {
		if e.Name != "" && e.Name != name {
			return old, []usersfile.Problem{{Key: "name", Field: "name", Message: "name: a user cannot be renamed; add the new name and delete the old"}}
		}
		e.Name = name
		return toConfig(e, &old)
	})
}

func (s *Server) setDisabled(r *http.Request, ifMatch, name string, disabled bool) editOutcome {
	action := "enable user"
	if disabled {
		action = "disable user"
	}
	return s.changeUser(r, ifMatch, name, action, func(u mapping.UserConfig) (mapping.UserConfig, []usersfile.Problem) {
		u.Disabled = disabled
		return u, nil
	})
}

func (s *Server) deleteUser(r *http.Request, ifMatch, name string) editOutcome {
	if why := s.editable(); why != "" {
		return editOutcome{status: http.StatusConflict, msg: why}
	}
	etag, err := s.deps.UsersFile.Delete(ifMatch, name)
	out := s.outcome(name, etag, err)
	if out.ok() {
		s.audit(r, "delete user", "user", name)
	}
	return out
}

func invalid(probs []usersfile.Problem) editOutcome {
	return editOutcome{status: http.StatusUnprocessableEntity, msg: "the users_file would not load: nothing was written", problems: probs}
}

// outcome classifies an editor error once, for the API and the pages.
func (s *Server) outcome(name, etag string, err error) editOutcome {
	var inv *usersfile.InvalidError
	var applyErr *usersfile.ApplyError
	switch {
	case err == nil:
		return editOutcome{etag: etag, status: http.StatusOK}
	case errors.Is(err, usersfile.ErrNoVersion):
		return editOutcome{status: http.StatusPreconditionRequired, msg: err.Error()}
	case errors.Is(err, usersfile.ErrStale):
		return editOutcome{status: http.StatusPreconditionFailed, msg: err.Error()}
	case errors.Is(err, usersfile.ErrNotFound):
		if s.inForce(name) {
			return editOutcome{status: http.StatusConflict, msg: "user " + name + " is defined in the configuration file's users: section, not in the users_file; edit it there"}
		}
		return editOutcome{status: http.StatusNotFound, msg: err.Error()}
	case errors.As(err, &inv):
		for i, p := range inv.Problems {
			if p.Field == "password_hash" {
				inv.Problems[i].Field = "password"
			}
		}
		return invalid(inv.Problems)
	case errors.As(err, &applyErr):
		s.deps.Log.Error("users_file written but not applied", "err", err)
		return editOutcome{etag: etag, status: http.StatusInternalServerError, msg: err.Error()}
	}
	s.deps.Log.Error("users_file edit failed", "err", err)
	return editOutcome{status: http.StatusInternalServerError, msg: "the users_file was not changed: " + err.Error()}
}

// inForce reports whether a user of that name is in force.
func (s *Server) inForce(name string) bool {
	for _, v := range s.deps.Users() {
		if v.Name == name {
			return true
		}
	}
	return false
}

// fileUser is the user name as the users_file has it, with the file's
// version; ok is false when the file has no such user (or there is no
// file).
func (s *Server) fileUser(name string) (v UserView, etag string, ok bool) {
	if s.deps.UsersFile == nil {
		return UserView{}, "", false
	}
	snap, err := s.deps.UsersFile.Read()
	if err != nil {
		return UserView{}, snap.ETag, false // broken by hand: an edit says what is wrong
	}
	for _, u := range snap.Users {
		if u.Name == name {
			return view1(u), snap.ETag, true
		}
	}
	return UserView{}, snap.ETag, false
}

// usersETag is the users_file's version, "" without one.
func (s *Server) usersETag() string {
	if s.deps.UsersFile == nil {
		return ""
	}
	snap, _ := s.deps.UsersFile.Read()
	return snap.ETag
}

// ifMatch is the version a request says it changes.
func ifMatch(r *http.Request) string {
	return strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/")
}
