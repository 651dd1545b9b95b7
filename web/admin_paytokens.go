package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/shop"
)

// adminTokensPage is one page of the PayToken log.
type adminTokensPage struct {
	Tokens                         []*shop.Delivery
	Q                              string
	Query                          url.Values
	Total, Page, Pages, Prev, Next int
}

// adminPayTokens shows the PayToken log: every callback delivery, newest
// first, duplicates and forgeries included, with what confirming it did
// (GET /admin/paytokens?q=…). q is an order number or the start of a
// PayToken.
func (s *Server) adminPayTokens(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	p := adminTokensPage{Q: strings.TrimSpace(r.URL.Query().Get("q")), Query: url.Values{}}
	if p.Q != "" {
		p.Query.Set("q", p.Q)
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	tokens, total, err := s.db.PayTokenLog(ctx, p.Q, adminOrdersPerPage, (page-1)*adminOrdersPerPage)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	p.Tokens, p.Total, p.Page, p.Pages = tokens, total, page, max(1, (total+adminOrdersPerPage-1)/adminOrdersPerPage)
	if page > p.Pages {
		http.Redirect(w, r, "/admin/paytokens?"+pageQuery(p.Query, p.Pages), http.StatusSeeOther)
		return
	}
	if page > 1 {
		p.Prev = page - 1
	}
	if page < p.Pages {
		p.Next = page + 1
	}
	s.renderAdmin(w, http.StatusOK, "admin_paytokens", s.newAdminView(r, a, "paytokens", "admin.tokens.title", p))
}
