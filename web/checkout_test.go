package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
)

func TestCataloguePage(t *testing.T) {
	r := newRig(t)
	p := r.browser().get("/")
	if p.Status != http.StatusOK {
		t.Fatalf("catalogue: %d", p.Status)
	}
	bone := r.product("bone-matcha")
	mustContain(t, p.Body,
		"抹茶狗骨頭", "NT$4,900", "NT$1,799",
		`action="/checkout"`, `method="get"`,
		`name="`+r.q("bone-matcha")+`"`, `data-price="750"`,
		`/static/cart.js?v=`, "庫米狗屋 ● KummyShop", "回狗屋", "我的訂單")
	if bone.Price != 750 {
		t.Fatalf("seed changed: %+v", bone)
	}
	mustNotContain(t, p.Body, "<script>", "onclick", "style=")
}

// The checkout page prices the cart from the catalogue; the order's amount
// is the server's, whatever the form says.
func TestCheckoutPricesServerSide(t *testing.T) {
	r := newRig(t)
	b := r.signup("buyer@example.com")
	q := url.Values{r.q("bone-matcha"): {"2"}, r.q("suit-dachshund"): {"1"}}
	p := b.get("/checkout?" + q.Encode())
	if p.Status != http.StatusOK {
		t.Fatalf("checkout: %d %s", p.Status, p.Body)
	}
	mustContain(t, p.Body, "下好離手，準備付款", "抹茶狗骨頭", "NT$1,500", "NT$6,400",
		"使用永豐ATM虛擬帳號轉帳", "使用永豐線上信用卡刷卡支付",
		`type="hidden" name="`+r.q("bone-matcha")+`" value="2"`)

	form := b.checkoutForm(map[string]int{"bone-matcha": 2, "suit-dachshund": 1})
	form.Set("pay_type", "C")
	form.Set("total", "1")
	form.Set("amount", "1")
	form.Set("price", "1")
	p = b.post("/checkout", form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("checkout post: %d %s", p.Status, p.Body)
	}
	no := strings.TrimPrefix(p.Location, "/orders/")
	o, err := r.db.OrderByNo(context.Background(), no)
	if err != nil {
		t.Fatal(err)
	}
	if o.Amount != 6400 || len(o.Items) != 2 || o.PayType != shop.PayCard {
		t.Fatalf("order %+v", o)
	}
}

func TestCheckoutRefusals(t *testing.T) {
	r := newRig(t)
	b := r.signup("buyer@example.com")
	cases := []struct {
		query  string
		status int
		msg    string
	}{
		{"", http.StatusBadRequest, "購物車是空的"},
		{r.q("bone-matcha") + "=0", http.StatusBadRequest, "購物車是空的"},
		{r.q("bone-matcha") + "=100", http.StatusBadRequest, "數量要是 0 到 99 之間的整數"},
		{r.q("bone-matcha") + "=-1", http.StatusBadRequest, "數量要是 0 到 99 之間的整數"},
		{r.q("bone-matcha") + "=two", http.StatusBadRequest, "數量要是 0 到 99 之間的整數"},
		{"q_999=1", http.StatusBadRequest, "本店沒賣的商品"},
		{"q_x=1", http.StatusBadRequest, "本店沒賣的商品"},
	}
	for _, c := range cases {
		p := b.get("/checkout?" + c.query)
		if p.Status != c.status {
			t.Errorf("%q: %d, want %d", c.query, p.Status, c.status)
		}
		mustContain(t, p.Body, c.msg)
	}

	// Forms that were not made by the checkout page.
	form := b.checkoutForm(map[string]int{"bone-matcha": 1})
	for name, mutate := range map[string]func(url.Values){
		"no key":       func(f url.Values) { f.Del("key") },
		"short key":    func(f url.Values) { f.Set("key", "abc") },
		"no pay type":  func(f url.Values) { f.Del("pay_type") },
		"bad pay type": func(f url.Values) { f.Set("pay_type", "X") },
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("pay_type", "A")
		mutate(f)
		p := b.post("/checkout", f)
		if p.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, p.Status, p.Body)
		}
		mustContain(t, p.Body, `href="/checkout?`+r.q("bone-matcha")+`=1"`)
	}
	if _, n, _ := r.db.CustomerOrders(context.Background(), 1, 10, 0); n != 0 {
		t.Errorf("%d orders made by refused forms", n)
	}
}

// The bank has no known ATM ceiling (its sandbox took NT$94,403): a large
// ATM order is made and paid through the shop and the sandbox, and the
// pages tell the buyer that most banks' ATMs cap a transfer to a
// non-designated account at NT$30,000, and how else to pay.
func TestLargeATMOrder(t *testing.T) {
	r := newRig(t)
	b := r.signup("big@example.com")
	// 47 blankets, 5 bones, a suit and a bowl: NT$94,403.
	cart := map[string]int{"blanket-allseason": 47, "bone-matcha": 5, "suit-dachshund": 1, "bowl-hiphop": 1}
	q := url.Values{}
	for sku, n := range cart {
		q.Set(r.q(sku), strconv.Itoa(n))
	}
	p := b.get("/checkout?" + q.Encode())
	mustContain(t, p.Body, "NT$94,403", `value="A" checked`, `id="atm-large"`, "非約定轉帳")
	mustNotContain(t, p.Body, `value="A" disabled`)

	o := b.order(cart, shop.PayATM)
	if o.Amount != 94403 || o.Bank.State != shop.BankCreated {
		t.Fatalf("order %+v", o)
	}
	p = b.get("/orders/" + o.No)
	mustContain(t, p.Body, `id="atm-large"`, "網路銀行")
	r.bank.Transfer(o.Bank.AtmPayNo, 94403)
	r.shop.WaitStatus(o.No, shop.StatusPaid)
}

// A merchant may set a limit of their own (SINOPAY_ATM_MAX): above it the
// page offers only the card, and a forged ATM choice is refused.
func TestCheckoutATMMax(t *testing.T) {
	r := newRig(t, func(pc *payment.Config, _ *Config) { pc.ATMMax = 30000 })
	b := r.signup("max@example.com")
	cart := map[string]int{"suit-dachshund": 7} // NT$34,300
	form := b.checkoutForm(cart)
	p := b.get("/checkout?" + url.Values{r.q("suit-dachshund"): {"7"}}.Encode())
	mustContain(t, p.Body, "NT$34,300", "本店 ATM 轉帳單筆最多 NT$30,000", `value="A" disabled`)

	form.Set("pay_type", "A")
	p = b.post("/checkout", form)
	if p.Status != http.StatusBadRequest {
		t.Fatalf("ATM over the shop's limit: %d", p.Status)
	}
	mustContain(t, p.Body, "本店不接受這個金額的 ATM 轉帳")

	// The same form still works with a card.
	form.Set("pay_type", "C")
	if p = b.post("/checkout", form); p.Status != http.StatusSeeOther {
		t.Fatalf("card: %d %s", p.Status, p.Body)
	}
	// Below the limit nothing is said about it.
	p = b.get("/checkout?" + url.Values{r.q("suit-dachshund"): {"1"}}.Encode())
	mustNotContain(t, p.Body, `id="atm-max"`, `id="atm-large"`)
}

// One checkout form gives one order, however often and however fast it is
// sent.
func TestDoubleSubmitOneOrder(t *testing.T) {
	r := newRig(t)
	b := r.signup("twice@example.com")
	form := b.checkoutForm(map[string]int{"bowl-hiphop": 1})
	form.Set("pay_type", "A")
	var wg sync.WaitGroup
	locs := make([]string, 4)
	for i := range locs {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/checkout", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := b.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			locs[i] = resp.Header.Get("Location")
		})
	}
	wg.Wait()
	for _, l := range locs[1:] {
		if l != locs[0] || !orderPathRE.MatchString(l) {
			t.Fatalf("locations %q", locs)
		}
	}
	c, _ := r.db.CustomerByEmail(context.Background(), "twice@example.com")
	if _, n, _ := r.db.CustomerOrders(context.Background(), c.ID, 10, 0); n != 1 {
		t.Fatalf("%d orders from one form", n)
	}
	if o := b.follow(b.post("/checkout", form)); o.Status != http.StatusOK {
		t.Fatalf("a later resubmit: %d", o.Status)
	}
	if _, n, _ := r.db.CustomerOrders(context.Background(), c.ID, 10, 0); n != 1 {
		t.Fatalf("%d orders after a late resubmit", n)
	}
}

// The checkout asks where the goods go: each wrong field brings the form
// back, with what was typed and the reason next to the field, and makes
// no order; the order keeps the delivery, normalised, its page shows it
// (to its customer only), and the next checkout offers it again.
func TestCheckoutDelivery(t *testing.T) {
	r := newRig(t)
	b := r.signup("ship@example.com")
	good := b.checkoutForm(map[string]int{"bone-matcha": 1})
	good.Set("pay_type", "C")
	for field, bad := range map[string]string{
		"ship_name":     "",
		"ship_phone":    "0212345678",
		"ship_postal":   "1000",
		"ship_city":     "東京都",
		"ship_district": "",
		"ship_street":   strings.Repeat("路", 101),
	} {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		f.Set(field, bad)
		p := b.post("/checkout", f)
		if p.Status != http.StatusBadRequest {
			t.Fatalf("%s %q: %d", field, bad, p.Status)
		}
		mustContain(t, p.Body, `id="`+field+`-error"`, `name="key" value="`+good.Get("key")+`"`)
		if field != "ship_name" {
			mustContain(t, p.Body, `value="王小明"`) // what was typed stays
		}
		if strings.Count(p.Body, "invalid-feedback") != 1 {
			t.Errorf("%s: %d fields marked wrong, want 1", field, strings.Count(p.Body, "invalid-feedback"))
		}
	}
	if _, n, _ := r.db.CustomerOrders(context.Background(), 1, 10, 0); n != 0 {
		t.Fatalf("%d orders made by refused forms", n)
	}
	// HTML typed into a field is shown as text.
	good.Set("ship_street", `<b>重慶南路</b>一段122號`)
	p := b.post("/checkout", good)
	m := orderPathRE.FindStringSubmatch(p.Location)
	if p.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("checkout: %d %s", p.Status, p.Body)
	}
	o, err := r.db.OrderByNo(context.Background(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	want := shop.ShipTo{Name: "王小明", Phone: "0912345678", PostalCode: "100", City: "臺北市", District: "中正區", Street: "<b>重慶南路</b>一段122號"}
	if o.ShipTo != want {
		t.Fatalf("ship to %+v, want %+v", o.ShipTo, want)
	}
	page := b.get(p.Location)
	mustContain(t, page.Body, `id="ship-to"`, "0912345678", "100 臺北市中正區&lt;b&gt;重慶南路&lt;/b&gt;一段122號")
	if other := r.signup("other@example.com").get(p.Location); strings.Contains(other.Body, "0912345678") {
		t.Fatal("another customer sees the delivery")
	}
	next := b.get("/checkout?" + url.Values{r.q("bowl-hiphop"): {"1"}}.Encode())
	mustContain(t, next.Body, `name="ship_phone" value="0912345678"`, `<option value="臺北市" selected>`)
}
