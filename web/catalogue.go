package web

import (
	"net/http"

	"github.com/sinopay/sinopay/shop"
)

// cataloguePage lists the products with a quantity each.
type cataloguePage struct {
	Products []productRow
	MaxQty   int
}

type productRow struct {
	ID    int64
	Name  string
	Price shop.Money
	Qty   int // from the query, when coming back from checkout
}

// catalogue shows the products (GET /). The quantities go to /checkout in
// the query (q_<productID>=n); the total shown here is only a preview
// computed by static/cart.js, and the server prices the cart again.
func (s *Server) catalogue(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	products, err := s.db.Products(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newView(r, s.visitor(ctx, r), "catalogue.title", nil)
	page := cataloguePage{MaxQty: shop.MaxQty}
	// Quantities in the query (back from checkout) fill the form again;
	// a malformed query just shows an empty cart.
	qty := map[int64]int{}
	if lines, err := parseCart(r.URL.Query()); err == nil {
		for _, l := range lines {
			if l.Qty > 0 && l.Qty <= shop.MaxQty {
				qty[l.ProductID] = l.Qty
			}
		}
	}
	for _, p := range products {
		page.Products = append(page.Products, productRow{ID: p.ID, Name: p.Name(v.Lang), Price: p.Price, Qty: qty[p.ID]})
	}
	v.Data = page
	s.render(w, http.StatusOK, "catalogue", v)
}
