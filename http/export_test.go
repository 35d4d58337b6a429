package http

import "context"

// OccupyChecks takes every upload-check and mapping-page slot of s, as if
// that many requests were being checked, until release is called.
func OccupyChecks(s *Server) (release func()) {
	for _, g := range []*gate{s.checks, s.mappings} {
		for i := 0; i < cap(g.slots); i++ {
			g.slots <- struct{}{}
		}
	}
	return func() {
		for _, g := range []*gate{s.checks, s.mappings} {
			for i := 0; i < cap(g.slots); i++ {
				<-g.slots
			}
		}
	}
}

// OccupyBodies takes the whole request-body budget of s, as if that many
// bytes of bodies were being read, until release is called.
func OccupyBodies(s *Server) (release func()) {
	s.bodies.sem.Acquire(context.Background(), s.bodies.size)
	return func() { s.bodies.sem.Release(s.bodies.size) }
}
