package web

import "net/http"

// adminIndex sends an admin to the order list (GET /admin/).
func (s *Server) adminIndex(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	if s.admin(ctx, w, r) == nil {
		return
	}
	http.Redirect(w, r, "/admin/orders", http.StatusSeeOther)
}
