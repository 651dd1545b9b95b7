package web

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// A merchant adds a product (each wrong field refused beside it), which
// the catalogue and its own page show, its description as text; a
// customer buys it; a new price applies to new orders only; hidden, it
// is neither shown nor sold.
func TestAdminProducts(t *testing.T) {
	r := newRig(t)
	a := r.adminBrowser("boss@example.com")
	if p := r.signup("nosy@example.com").get("/admin/products"); p.Status == http.StatusOK {
		t.Fatal("a customer sees the catalogue's admin")
	}
	good := url.Values{"sku": {"Leash-Red"}, "name_zh": {"紅色牽繩"}, "name_en": {"Red leash"}, "price": {"690"}, "sort": {"7"},
		"desc_zh": {"<script>alert(1)</script>\n第二行"}, "desc_en": {"Strong."}, "visible": {"1"}}
	for field, bad := range map[string]string{"sku": "紅", "name_zh": "", "price": "0", "sort": "-1", "desc_en": strings.Repeat("x", 2001)} {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		f.Set(field, bad)
		p := a.post("/admin/products", f)
		if p.Status != http.StatusBadRequest {
			t.Fatalf("%s %q: %d", field, bad, p.Status)
		}
		mustContain(t, p.Body, `id="`+field+`-error"`)
	}
	for _, price := range []string{"-5", "1000001", "12.5", "abc"} {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		f.Set("price", price)
		if p := a.post("/admin/products", f); p.Status != http.StatusBadRequest {
			t.Fatalf("price %q: %d", price, p.Status)
		}
	}
	if p := a.post("/admin/products", good); p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.Status, p.Body)
	}
	if p := a.post("/admin/products", good); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="sku-error"`) {
		t.Fatalf("a second product with the SKU: %d", p.Status)
	}
	prod, err := r.db.ProductBySKU(context.Background(), "leash-red")
	if err != nil || prod.Price != 690 || prod.Sort != 7 || prod.Hidden {
		t.Fatalf("stored %+v, %v", prod, err)
	}
	mustContain(t, a.get("/admin/products").Body, `data-sku="leash-red"`)

	b := r.signup("buyer@example.com")
	mustContain(t, b.get("/").Body, `href="/products/leash-red"`, "紅色牽繩")
	p := b.get("/products/leash-red")
	mustContain(t, p.Body, "紅色牽繩", "NT$690", "&lt;script&gt;alert(1)&lt;/script&gt;\n第二行")
	q := "q_" + strconv.FormatInt(prod.ID, 10)
	form := b.checkoutFormQuery(url.Values{q: {"2"}})
	form.Set("pay_type", "C")
	first := b.post("/checkout", form)
	if first.Status != http.StatusSeeOther {
		t.Fatalf("buy: %d %s", first.Status, first.Body)
	}

	edit := url.Values{}
	for k, v := range good {
		edit[k] = v
	}
	edit.Set("price", "790")
	edit.Set("sku", "changed") // ignored: the SKU stays
	if p := a.post("/admin/products/"+strconv.FormatInt(prod.ID, 10), edit); p.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.Status, p.Body)
	}
	if got, _ := r.db.Product(context.Background(), prod.ID); got.Price != 790 || got.SKU != "leash-red" {
		t.Fatalf("after edit: %+v", got)
	}
	no := strings.TrimPrefix(first.Location, "/orders/")
	o, err := r.db.OrderByNo(context.Background(), no)
	if err != nil || o.Amount != 1380 || o.Items[0].UnitPrice != 690 {
		t.Fatalf("the order placed before changed: %+v, %v", o, err)
	}

	edit.Del("visible")
	if p := a.post("/admin/products/"+strconv.FormatInt(prod.ID, 10), edit); p.Status != http.StatusSeeOther {
		t.Fatalf("hide: %d", p.Status)
	}
	mustNotContain(t, b.get("/").Body, "紅色牽繩")
	if p := b.get("/products/leash-red"); p.Status != http.StatusNotFound {
		t.Fatalf("hidden product's page: %d", p.Status)
	}
	if p := b.get("/checkout?" + url.Values{q: {"1"}}.Encode()); p.Status == http.StatusOK {
		t.Fatalf("a hidden product's checkout: %d", p.Status)
	}
	if o, _ := r.db.OrderByNo(context.Background(), no); o.Items[0].Name != "紅色牽繩" {
		t.Fatalf("the order lost its line's name: %+v", o.Items)
	}
}

// postMultipart posts fields and one file (field "picture") as the
// product form does.
func (b *browser) postMultipart(path string, fields url.Values, filename, contentType string, file []byte) *page {
	b.r.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="picture"; filename="`+filename+`"`)
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		b.r.t.Fatal(err)
	}
	part.Write(file)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.r.srv.URL+path, &body)
	if err != nil {
		b.r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var pictureRE = regexp.MustCompile(`/pictures/\d+/thumb/[0-9a-f]{16}\.jpg`)

// A product's photo is uploaded with its form, checked by decoding (a
// text file called .png is refused beside the field), and served from
// the database in two sizes, cached for good under a URL that changes
// with the photo.
func TestProductPicture(t *testing.T) {
	r := newRig(t)
	a := r.adminBrowser("boss@example.com")
	prod := r.product("bone-matcha")
	id := strconv.FormatInt(prod.ID, 10)
	fields := url.Values{"name_zh": {prod.NameZH}, "name_en": {prod.NameEN}, "price": {"750"}, "sort": {"0"}, "visible": {"1"}}

	p := a.postMultipart("/admin/products/"+id, fields, "bone.png", "image/png", []byte("<html>not a picture</html>"))
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="picture-error"`) {
		t.Fatalf("a text file as a photo: %d", p.Status)
	}
	img := image.NewRGBA(image.Rect(0, 0, 800, 400))
	var png1 bytes.Buffer
	if err := png.Encode(&png1, img); err != nil {
		t.Fatal(err)
	}
	if p = a.postMultipart("/admin/products/"+id, fields, "bone.jpg", "image/jpeg", png1.Bytes()); p.Status != http.StatusBadRequest {
		t.Fatalf("a PNG that says it is a JPEG: %d", p.Status)
	}
	if p = a.postMultipart("/admin/products/"+id, fields, "bone.png", "image/png", png1.Bytes()); p.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", p.Status, p.Body)
	}
	b := r.browser()
	thumb := pictureRE.FindString(b.get("/").Body)
	if thumb == "" {
		t.Fatal("the catalogue shows no photo")
	}
	p = b.get(thumb)
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(p.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("photo: %d %v", p.Status, p.Header)
	}
	if cfg, err := jpeg.DecodeConfig(strings.NewReader(p.Body)); err != nil || cfg.Width != 320 || cfg.Height != 160 {
		t.Fatalf("thumbnail %+v, %v", cfg, err)
	}
	mustContain(t, b.get("/products/bone-matcha").Body, `/pictures/`+id+`/page/`)

	// A new photo is a new URL; the old one leads to it.
	var png2 bytes.Buffer
	png.Encode(&png2, image.NewRGBA(image.Rect(0, 0, 300, 300)))
	if p = a.postMultipart("/admin/products/"+id, fields, "bone2.png", "image/png", png2.Bytes()); p.Status != http.StatusSeeOther {
		t.Fatalf("second upload: %d", p.Status)
	}
	if p = b.get(thumb); p.Status != http.StatusFound || p.Location == thumb || !pictureRE.MatchString(p.Location) {
		t.Fatalf("old photo URL: %d %q", p.Status, p.Location)
	}
	// Saving the form without a file keeps the photo.
	if p = a.post("/admin/products/"+id, fields); p.Status != http.StatusSeeOther {
		t.Fatalf("save without a photo: %d", p.Status)
	}
	if !pictureRE.MatchString(b.get("/").Body) {
		t.Fatal("the photo went with a save that had none")
	}
	if p = b.get("/pictures/999999/thumb/0000000000000000.jpg"); p.Status != http.StatusNotFound {
		t.Fatalf("missing photo: %d", p.Status)
	}
}

// A product with a stock of one: the first buyer's checkout holds it, the
// catalogue and its page say sold out, a second checkout is refused with
// the reason, and the first order expiring gives it back.
func TestSoldOut(t *testing.T) {
	r := newRig(t)
	a := r.adminBrowser("boss@example.com")
	prod := r.product("bowl-hiphop")
	id := strconv.FormatInt(prod.ID, 10)
	fields := url.Values{"name_zh": {prod.NameZH}, "name_en": {prod.NameEN}, "price": {"1200"}, "sort": {"2"}, "visible": {"1"}}
	fields.Set("stock", "-1")
	if p := a.post("/admin/products/"+id, fields); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="stock-error"`) {
		t.Fatalf("negative stock: %d", p.Status)
	}
	fields.Set("stock", "1")
	if p := a.post("/admin/products/"+id, fields); p.Status != http.StatusSeeOther {
		t.Fatalf("stock 1: %d", p.Status)
	}
	first := r.signup("first@example.com").order(map[string]int{"bowl-hiphop": 1}, shop.PayATM)
	second := r.signup("second@example.com")
	mustContain(t, second.get("/").Body, `id="sold-out-`+id+`"`)
	mustContain(t, second.get("/products/bowl-hiphop").Body, `id="sold-out"`)
	form := second.checkoutForm(map[string]int{"bowl-hiphop": 1})
	form.Set("pay_type", "A")
	p := second.post("/checkout", form)
	if p.Status != http.StatusBadRequest {
		t.Fatalf("a sold-out checkout: %d", p.Status)
	}
	mustContain(t, p.Body, "售完")
	if _, _, err := r.db.ApplyEvent(context.Background(), first.ID, shop.EventExpired, storage.EventMeta{Source: shop.SourceExpiry}, r.web.now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.db.Product(context.Background(), prod.ID); !got.Counted || got.Stock != 1 {
		t.Fatalf("after expiry: %+v", got)
	}
	mustNotContain(t, second.get("/").Body, `id="sold-out-`+id+`"`)
}

// A refund gives nothing back to the stock unless the admin ticks
// "put back in stock"; then the order's items return, once.
func TestRefundRestock(t *testing.T) {
	r := newRig(t)
	a := r.adminBrowser("boss@example.com")
	prod := r.product("suit-dachshund")
	fields := url.Values{"name_zh": {prod.NameZH}, "name_en": {prod.NameEN}, "price": {"4900"}, "sort": {"1"}, "visible": {"1"}, "stock": {"5"}}
	if p := a.post("/admin/products/"+strconv.FormatInt(prod.ID, 10), fields); p.Status != http.StatusSeeOther {
		t.Fatalf("stock 5: %d", p.Status)
	}
	b := r.signup("c@example.com")
	stock := func() int {
		got, _ := r.db.Product(context.Background(), prod.ID)
		return got.Stock
	}
	first, second := r.paidCard(b), r.paidCard(b)
	if stock() != 3 {
		t.Fatalf("stock %d after two orders, want 3", stock())
	}
	if p := a.get("/admin/orders/" + first.No + "/refund"); !strings.Contains(p.Body, `id="restock"`) {
		t.Fatal("the refund form offers no restock")
	}
	key := opForm(t, a, first.No, shop.OpRefund)
	if p := a.post("/admin/orders/"+first.No+"/refund", url.Values{"key": {key}, "amount": {"4900"}, "reason": {"kept"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("refund: %d", p.Status)
	}
	if stock() != 3 {
		t.Fatalf("a refund without restock gave back: %d", stock())
	}
	key = opForm(t, a, second.No, shop.OpRefund)
	if p := a.post("/admin/orders/"+second.No+"/refund", url.Values{"key": {key}, "amount": {"4900"}, "reason": {"returned"}, "restock": {"1"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("refund with restock: %d", p.Status)
	}
	if stock() != 4 {
		t.Fatalf("stock %d after a refund with restock, want 4", stock())
	}
	if got, _ := r.db.OrderByNo(context.Background(), second.No); got.StockHeld {
		t.Fatal("the restocked order still holds its items")
	}
}
