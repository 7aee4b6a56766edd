package admin

import (
	"net/http"
)

// The users API. Reads carry the users_file's version in ETag; every
// write must send it back in If-Match (428 without, 412 when the file
// has changed since, by the console or by hand), and answers with the
// new one.

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	if etag := s.usersETag(); etag != "" {
		w.Header().Set("ETag", etag)
	}
	writeJSON(w, http.StatusOK, s.deps.Users())
}

// apiUser shows one user as the users_file has it, or as it is in force
// when it is defined elsewhere.
func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, etag, ok := s.fileUser(name)
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if ok {
		writeJSON(w, http.StatusOK, v)
		return
	}
	for _, v := range s.deps.Users() {
		if v.Name == name {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	writeError(w, http.StatusNotFound, "no such user")
}

func (s *Server) apiAddUser(w http.ResponseWriter, r *http.Request) {
	var e UserEdit
	if !readJSON(w, r, &e) {
		return
	}
	s.writeOutcome(w, e.Name, s.addUser(r, ifMatch(r), e))
}

func (s *Server) apiChangeUser(w http.ResponseWriter, r *http.Request) {
	var e UserEdit
	if !readJSON(w, r, &e) {
		return
	}
	name := r.PathValue("name")
	s.writeOutcome(w, name, s.editUser(r, ifMatch(r), name, e))
}

func (s *Server) apiDisableUser(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		s.writeOutcome(w, name, s.setDisabled(r, ifMatch(r), name, disabled))
	}
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request) {
	out := s.deleteUser(r, ifMatch(r), r.PathValue("name"))
	if out.ok() {
		w.Header().Set("ETag", out.etag)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeOutcome(w, "", out)
}

// writeOutcome answers an edit: the user as now written, with the new
// version, or the error with every problem the loader found.
func (s *Server) writeOutcome(w http.ResponseWriter, name string, out editOutcome) {
	if out.etag != "" {
		w.Header().Set("ETag", out.etag)
	}
	if !out.ok() {
		body := map[string]any{"error": out.msg}
		if len(out.problems) > 0 {
			body["problems"] = out.problems
		}
		writeJSON(w, out.status, body)
		return
	}
	v, _, _ := s.fileUser(name)
	writeJSON(w, out.status, v)
}
