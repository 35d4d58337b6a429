package http

import "net/http"

// OpenAPIDocument is the embedded OpenAPI document, for the external tests.
var OpenAPIDocument = openAPIDocument

// OpenAPIHandler returns the handler of GET /openapi.yaml, for the external
// tests.
func (s *Server) OpenAPIHandler() http.Handler { return http.HandlerFunc(s.handleOpenAPI) }
