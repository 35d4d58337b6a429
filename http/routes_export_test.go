package http

// RoutePatterns returns the pattern of every route of the route table, as
// registered ("GET /{tenant}/api/v1/inventory"), for the external tests.
func (s *Server) RoutePatterns() []string { return s.routes().patterns }
