package http

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument is the OpenAPI 3 description of every API endpoint. It is
// written by hand and kept honest by the contract tests, which validate the
// requests and responses of the HTTP test suite against it.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// handleOpenAPI serves the OpenAPI description of the API.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	w.Write(openAPIDocument)
}
