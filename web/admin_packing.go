package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// maxPacking bounds the orders of one packing list.
const maxPacking = 100

// adminPackingPage is the packing list of the orders chosen.
type adminPackingPage struct {
	Orders []*shop.Order
}

// adminPacking shows a printable packing list of the orders chosen on the
// order list (GET /admin/packing?no=…&no=…): for each, its number, the
// recipient and address, and what to put in the box; a page per order
// when printed.
func (s *Server) adminPacking(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	nos := r.URL.Query()["no"]
	if len(nos) == 0 || len(nos) > maxPacking {
		s.adminFail(w, r, a, shop.Errorf(shop.Invalid, "admin.packing.choose", "%d orders chosen", len(nos)), "/admin/orders?status=to_ship")
		return
	}
	var p adminPackingPage
	seen := map[string]bool{}
	for _, no := range nos {
		if seen[no] {
			continue
		}
		seen[no] = true
		o, err := s.db.OrderByNo(ctx, no)
		if err != nil {
			s.adminFail(w, r, a, err, "/admin/orders?status=to_ship")
			return
		}
		p.Orders = append(p.Orders, o)
	}
	s.renderAdmin(w, http.StatusOK, "admin_packing", s.newAdminView(r, a, "orders", "admin.packing.title", p))
}
