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
	ID      int64
	SKU     string
	Picture string // its thumbnail's URL, if it has a photo
	SoldOut bool
	Name    string
	Price   shop.Money
	Qty     int // from the query, when coming back from checkout
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
	tags, err := s.db.PictureTags(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, p := range products {
		page.Products = append(page.Products, productRow{ID: p.ID, SKU: p.SKU, Picture: pictureURL(p.ID, tags[p.ID], "thumb"), SoldOut: p.SoldOut(), Name: p.Name(v.Lang), Price: p.Price, Qty: qty[p.ID]})
	}
	v.Data = page
	s.render(w, http.StatusOK, "catalogue", v)
}

// productPage is one product's page.
type productPage struct {
	Product shop.Product
	Picture string // the page-size photo's URL, if any
	Name    string
	Desc    string
	MaxQty  int
}

// productShow shows a product (GET /products/{sku}): its name, price and
// description in the page's language (plain text: what the merchant
// typed is never taken as HTML), and a quantity to buy. A hidden product
// has no page.
func (s *Server) productShow(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	p, err := s.db.ProductBySKU(ctx, r.PathValue("sku"))
	if err == nil && p.Hidden {
		err = shop.Errorf(shop.NotFound, "error.not_found", "product %s is hidden", p.SKU)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newView(r, s.visitor(ctx, r), "catalogue.title", nil)
	pp := productPage{Product: p, Name: p.Name(v.Lang), Desc: p.Desc(v.Lang), MaxQty: shop.MaxQty}
	if tags, err := s.db.PictureTags(ctx); err == nil {
		pp.Picture = pictureURL(p.ID, tags[p.ID], "page")
	}
	v.Data = pp
	s.render(w, http.StatusOK, "product", v)
}
