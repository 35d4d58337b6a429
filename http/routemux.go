package http

import "net/http"

// routeMux is the ServeMux the route table fills, remembering the pattern of
// every route in the order it was added, so tests can walk the real table
// (a route added anywhere is listed; none can be forgotten).
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern, as http.ServeMux.Handle does.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern, as http.ServeMux.HandleFunc does.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// RoutePatterns returns the pattern of every route of the route table, as
// registered ("GET /{tenant}/api/v1/inventory"), so tests can walk the real
// table.
func (s *Server) RoutePatterns() []string { return s.routes().patterns }
