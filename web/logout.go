package web

import "net/http"

// logout ends the session (POST /logout) and goes to the catalogue.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	if err := s.endSession(ctx, w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
