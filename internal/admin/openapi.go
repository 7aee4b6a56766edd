package admin

import (
	_ "embed"
	"net/http"
)

// openAPISpec describes the API; a test checks it against the routes.
//
//go:embed openapi.yaml
var openAPISpec []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(openAPISpec)
}
