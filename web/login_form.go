package web

import "net/http"

// loginForm shows the login form (GET /login?next=…).
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	v := s.newView(r, s.visitor(ctx, r), "login.title", authPage{Next: localPath(r.URL.Query().Get("next"))})
	s.render(w, http.StatusOK, "login", v)
}
