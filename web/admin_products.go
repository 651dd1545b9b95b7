package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/shop/picture"
)

// adminProductsPage is the catalogue as the back office sees it.
type adminProductsPage struct {
	Products []shop.Product
}

// adminProducts lists every product, hidden ones too, in the order of
// the catalogue (GET /admin/products).
func (s *Server) adminProducts(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	ps, err := s.db.AllProducts(ctx)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	s.renderAdmin(w, http.StatusOK, "admin_products", s.newAdminView(r, a, "products", "admin.products.title", adminProductsPage{Products: ps}))
}

// adminProductPage is a product's form: a new one, or one to edit.
type adminProductPage struct {
	New      bool
	Product  shop.Product
	Price    string // as typed
	Sort     string
	Stock    string // "" when not counted
	Problems map[string]string
	Picture  string // the current photo's thumbnail, if any
}

// adminProductNew shows an empty product form (GET /admin/products/new).
func (s *Server) adminProductNew(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	s.renderAdmin(w, http.StatusOK, "admin_product", s.newAdminView(r, a, "products", "admin.products.new", adminProductPage{New: true, Sort: "0"}))
}

// adminProductEdit shows a product's form (GET /admin/products/{id}).
func (s *Server) adminProductEdit(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	p, err := s.db.Product(ctx, id)
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/products")
		return
	}
	page := adminProductPage{Product: p, Price: strconv.FormatInt(int64(p.Price), 10), Sort: strconv.Itoa(p.Sort)}
	if p.Counted {
		page.Stock = strconv.Itoa(p.Stock)
	}
	if tags, err := s.db.PictureTags(ctx); err == nil {
		page.Picture = pictureURL(p.ID, tags[p.ID], "thumb")
	}
	s.renderAdmin(w, http.StatusOK, "admin_product", s.newAdminView(r, a, "products", "admin.products.edit", page))
}

// adminProductSave creates a product (POST /admin/products) or saves one
// (POST /admin/products/{id}). Every field is checked on the server; a
// wrong one brings the form back as typed, the reason beside the field.
// A new price applies to orders placed from now on: orders placed before
// keep the price and names they were bought at.
func (s *Server) adminProductSave(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer func() { cancel() }()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxProductForm)
	var form url.Values
	var pic *picture.Picture
	var picErr, err error
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = shop.Wrap(shop.Invalid, "product.picture_too_large", err, "product form too large")
		} else {
			err = shop.Wrap(shop.Invalid, "error.bad_form", err, "product form unreadable")
		}
		s.adminFail(w, r, a, err, "")
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
		if files := r.MultipartForm.File["picture"]; len(files) > 0 && files[0].Size > 0 {
			f, err := files[0].Open()
			if err == nil {
				pic, picErr = picture.Make(f, files[0].Header.Get("Content-Type"))
				f.Close()
			} else {
				picErr = err
			}
		}
	}
	// Reading the upload and drawing its thumbnails is not database work:
	// the database's deadline starts again for what follows, so a large
	// photo on a busy machine does not leave the save too little time.
	cancel()
	ctx, cancel = s.timeout(r)
	form = r.PostForm
	page := adminProductPage{New: r.PathValue("id") == "", Price: strings.TrimSpace(form.Get("price")), Sort: strings.TrimSpace(form.Get("sort")),
		Stock: strings.TrimSpace(form.Get("stock"))}
	p := shop.Product{SKU: form.Get("sku"), NameZH: form.Get("name_zh"), NameEN: form.Get("name_en"),
		DescZH: form.Get("desc_zh"), DescEN: form.Get("desc_en"), Hidden: form.Get("visible") == ""}
	if !page.New {
		id, ok := s.pathID(w, r, a)
		if !ok {
			return
		}
		old, err := s.db.Product(ctx, id)
		if err != nil {
			s.adminFail(w, r, a, err, "/admin/products")
			return
		}
		p.ID, p.SKU = id, old.SKU
	}
	p = shop.NormProduct(p)
	price, perr := strconv.ParseInt(strings.ReplaceAll(page.Price, ",", ""), 10, 64)
	sort, serr := strconv.Atoi(page.Sort)
	p.Price, p.Sort = shop.Money(price), sort
	if page.Stock != "" {
		p.Counted = true
		p.Stock, err = strconv.Atoi(page.Stock)
	}
	problems := p.Problems()
	if err != nil || p.Stock < 0 || p.Stock > 1_000_000 {
		problems["stock"] = "product.bad_stock"
	}
	if perr != nil {
		problems["price"] = "product.bad_price"
	}
	if serr != nil && page.Sort != "" {
		problems["sort"] = "product.bad_sort"
	}
	if picErr != nil {
		problems["picture"] = pictureProblem(picErr)
	}
	title := "admin.products.edit"
	if page.New {
		title = "admin.products.new"
	}
	if len(problems) == 0 {
		if page.New {
			p.ID, err = s.db.CreateProduct(ctx, p)
		} else {
			err = s.db.UpdateProduct(ctx, p)
		}
		if shop.IsCode(err, shop.Conflict) {
			problems["sku"] = shop.ErrorKey(err)
		} else if err != nil {
			s.adminFail(w, r, a, err, "/admin/products")
			return
		}
	}
	if len(problems) == 0 && pic != nil {
		if err := s.db.SetProductPicture(ctx, p.ID, pic.Tag, pic.Thumb, pic.Page, s.now()); err != nil {
			s.adminFail(w, r, a, err, "/admin/products")
			return
		}
	}
	if len(problems) > 0 {
		page.Product, page.Problems = p, problems
		s.renderAdmin(w, http.StatusBadRequest, "admin_product", s.newAdminView(r, a, "products", title, page))
		return
	}
	s.log.InfoContext(r.Context(), "product saved", "product", p.ID, "sku", p.SKU, "price", int64(p.Price), "hidden", p.Hidden, "admin", a.Email)
	http.Redirect(w, r, "/admin/products#p-"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
}
