package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// inEnglish makes b ask for English pages.
func (b *browser) inEnglish() *browser {
	b.r.t.Helper()
	if p := b.get("/lang/en?next=/"); p.Status != http.StatusSeeOther {
		b.r.t.Fatalf("language switch: %d", p.Status)
	}
	return b
}

// A refund is shown to the customer with its amount and date, on the order
// page and in my orders, in both languages; who made it and why stay in
// the back office.
func TestRefundShownToCustomer(t *testing.T) {
	r := newRig(t)
	customer := r.signup("refunded@example.com")
	o := r.paidCard(customer)
	admin := r.adminBrowser("boss@example.com")
	key := opForm(t, admin, o.No, shop.OpRefund)
	p := admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {key}, "amount": {"100"}, "reason": {"secret reason"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("refund: %d %s", p.Status, p.Body)
	}
	r.eventually("the refund recorded", func() bool {
		got, _ := r.db.OrderByNo(context.Background(), o.No)
		return got.Refunded == 100
	})
	today := time.Now().In(time.FixedZone("Asia/Taipei", 8*3600)).Format("2006-01-02")

	p = customer.get("/orders/" + o.No)
	mustContain(t, p.Body, "付款成功", `id="refunded" data-refunded="100"`, "已退款 NT$100", `id="refunds"`, "退款 NT$100", today, `data-event="part_refunded"`)
	mustNotContain(t, p.Body, "boss@example.com", "secret reason", "管理員", "付款成功 → 付款成功")
	mustContain(t, customer.get("/orders").Body, "已退款 NT$100")

	customer.inEnglish()
	p = customer.get("/orders/" + o.No)
	mustContain(t, p.Body, "Refunded NT$100", "Refund of NT$100", today)
	mustNotContain(t, p.Body, "boss@example.com", "secret reason")
	mustContain(t, customer.get("/orders").Body, "Refunded NT$100")
}

// The pages of an unpaid order follow it through GET /orders/{no}/status:
// the owner's only, and its version moves when the payment lands.
func TestOrderStatusFollowsPayment(t *testing.T) {
	r := newRig(t)
	b := r.signup("follow@example.com")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayATM)
	p := b.get("/orders/" + o.No)
	poll := `data-poll="/orders/` + o.No + `/status"`
	mustContain(t, p.Body, poll, `id="copy-account" data-copy="`+o.Bank.AtmPayNo+`"`, "user-select-all", "shop.js")

	version := func(b *browser) (int, string) {
		p := b.get("/orders/" + o.No + "/status")
		var st pageStatus
		if p.Status == http.StatusOK {
			if err := json.Unmarshal([]byte(p.Body), &st); err != nil {
				t.Fatalf("status: %v %s", err, p.Body)
			}
		}
		return p.Status, st.Version
	}
	status, before := version(b)
	if status != http.StatusOK || !strings.HasPrefix(before, "W.") {
		t.Fatalf("status of a waiting order: %d %q", status, before)
	}
	mustContain(t, p.Body, `data-version="`+before+`"`)
	if status, _ := version(r.signup("other@example.com")); status != http.StatusNotFound {
		t.Errorf("another customer's order status: %d", status)
	}
	if status, _ := version(r.browser()); status != http.StatusNotFound {
		t.Errorf("a visitor's order status: %d", status)
	}

	r.bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
	r.eventually("the status to move on", func() bool {
		_, v := version(b)
		return strings.HasPrefix(v, "S.")
	})
	p = b.get("/orders/" + o.No)
	mustNotContain(t, p.Body, "data-poll", `id="account"`)
}

// The page waiting for a card return's confirmation has its own status,
// which leads to the result once the bank has answered; a return the bank
// would not confirm is one clear state, with the shop's contact line.
func TestPaymentWaitFollowsAndFails(t *testing.T) {
	r := newRig(t, func(_ *payment.Config, w *Config) { w.Contact = "help@kummy.example, 02-1234-5678" })
	b := r.signup("waiting@example.com")
	ctx := context.Background()
	newDelivery := func(tok string) *shop.Delivery {
		// A return its request is still confirming: held from the workers.
		d, err := r.db.RecordPayToken(ctx, storage.NewDelivery{Token: tok, ShopNo: r.bank.ShopNo,
			Source: shop.SourceReturn, HeldUntil: time.Now().Add(time.Hour), At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := newDelivery(strings.Repeat("f", 64))
	p := b.get("/payments/" + d.Ref)
	mustContain(t, p.Body, `data-poll="/payments/`+d.Ref+`/status"`, "確認付款中", `id="waiting"`, `<noscript><meta http-equiv="refresh"`,
		"聯絡我們： help@kummy.example, 02-1234-5678")
	mustNotContain(t, p.Body, "無法確認")
	if st := b.get("/payments/" + d.Ref + "/status"); st.Status != http.StatusOK || !strings.Contains(st.Body, `"version":"waiting"`) {
		t.Fatalf("waiting status: %d %s", st.Status, st.Body)
	}
	if err := r.db.MarkPayToken(ctx, d.ID, "", shop.Outcome{Kind: shop.OutcomeRefused}, time.Now()); err != nil {
		t.Fatal(err)
	}
	st := b.get("/payments/" + d.Ref + "/status")
	if !strings.Contains(st.Body, `"version":"unconfirmed"`) || strings.Contains(st.Body, "next") {
		t.Fatalf("unconfirmed status: %s", st.Body)
	}
	p = b.get("/payments/" + d.Ref)
	mustContain(t, p.Body, "<title>無法確認這筆付款", `id="unconfirmed"`, "如果卡片已經被扣款", "help@kummy.example, 02-1234-5678")
	mustNotContain(t, p.Body, "確認付款中", "spinner", "data-poll", "refresh")
	p = b.inEnglish().get("/payments/" + d.Ref)
	mustContain(t, p.Body, "Payment not confirmed", "please get in touch: help@kummy.example", "Contact us:")

	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayCard)
	d = newDelivery(strings.Repeat("a", 64))
	if err := r.db.MarkPayToken(ctx, d.ID, o.No, shop.Outcome{Kind: shop.OutcomeFailed}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st := b.get("/payments/" + d.Ref + "/status"); !strings.Contains(st.Body, `"next":"/orders/`+o.No+`/result"`) {
		t.Fatalf("done status: %s", st.Body)
	}
}

// Without SINOPAY_SHOP_CONTACT no page asks the customer to get in touch.
func TestNoContactNoAsk(t *testing.T) {
	r := newRig(t)
	b := r.signup("nocontact@example.com")
	ctx := context.Background()
	// A return its request is still confirming: held from the workers.
	d, err := r.db.RecordPayToken(ctx, storage.NewDelivery{Token: strings.Repeat("b", 64), ShopNo: r.bank.ShopNo,
		Source: shop.SourceReturn, HeldUntil: time.Now().Add(time.Hour), At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.MarkPayToken(ctx, d.ID, "", shop.Outcome{Kind: shop.OutcomeRefused}, time.Now()); err != nil {
		t.Fatal(err)
	}
	p := b.get("/payments/" + d.Ref)
	mustContain(t, p.Body, "無法確認這筆付款", "請到「我的訂單」查看付款狀態")
	mustNotContain(t, p.Body, "聯絡", `id="contact"`)
}

// A checkout form sent again finds its order and says so; the pay type
// chosen survives the page being drawn again (?pay=).
func TestCheckoutSentAgain(t *testing.T) {
	r := newRig(t)
	b := r.signup("again@example.com")
	form := b.checkoutForm(map[string]int{"bone-matcha": 1})
	form.Set("pay_type", "A")
	first := b.post("/checkout", form)
	if first.Status != http.StatusSeeOther || strings.Contains(first.Location, "again") {
		t.Fatalf("first submit: %d %q", first.Status, first.Location)
	}
	if same := b.post("/checkout", form); same.Location != first.Location {
		t.Fatalf("the same form and choice again: %q, first went to %q", same.Location, first.Location)
	}
	form.Set("pay_type", "C")
	second := b.post("/checkout", form)
	if second.Status != http.StatusSeeOther || second.Location != first.Location+"?again=C" {
		t.Fatalf("second submit: %d %q, first went to %q", second.Status, second.Location, first.Location)
	}
	p := b.follow(second)
	mustContain(t, p.Body, `id="again"`, "沒有另外建立新訂單", "您這次選的是「信用卡」，但這筆訂單用的是「ATM轉帳」", `id="account"`)
	p = b.inEnglish().follow(second)
	mustContain(t, p.Body, "No new order was made", "You chose “Credit card” this time, but this order is paid by “ATM transfer”")

	q := url.Values{r.q("bone-matcha"): {"1"}}
	p = b.get("/checkout?" + q.Encode() + "&pay=C")
	mustContain(t, p.Body, `value="C" checked`)
	mustNotContain(t, p.Body, `value="A" checked`)
	p = b.get("/checkout?" + q.Encode() + "&pay=bogus")
	mustContain(t, p.Body, `value="A" checked`)
}

// A visitor sent from the checkout to log in is told why, keeps the cart
// (it is in next), and a new account is welcomed once.
func TestGuestCheckoutAndWelcome(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	cart := "/checkout?" + url.Values{r.q("bone-matcha"): {"2"}}.Encode()
	p := b.get(cart)
	if p.Status != http.StatusSeeOther || p.Location != loginURL(cart) {
		t.Fatalf("a visitor's checkout: %d %q", p.Status, p.Location)
	}
	p = b.follow(p)
	mustContain(t, p.Body, `id="why-login"`, "結帳前請先登入", "購物車裡的東西都幫您留著", `href="/signup?next=%2fcheckout%3fq_1%3d2"`)
	p = b.get("/signup?next=" + url.QueryEscape(cart))
	mustContain(t, p.Body, `id="why-login"`)
	mustNotContain(t, b.get("/login").Body, `id="why-login"`)
	mustContain(t, b.inEnglish().get("/login?next="+url.QueryEscape(cart)).Body, "Please log in to check out", "Your cart is kept")

	p = b.post("/signup", url.Values{"email": {"new@example.com"}, "password": {"correct horse"}, "next": {cart}})
	if p.Status != http.StatusSeeOther || p.Location != cart {
		t.Fatalf("sign-up: %d %q", p.Status, p.Location)
	}
	p = b.follow(p)
	mustContain(t, p.Body, `id="welcome"`, "Welcome to KummyShop", "NT$1,500")
	mustNotContain(t, b.get("/").Body, `id="welcome"`)
}

// Item names follow the page's language; the bank gets the primary
// language's.
func TestItemNamesFollowLanguage(t *testing.T) {
	r := newRig(t)
	b := r.signup("names@example.com").inEnglish()
	bone := r.product("bone-matcha")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayCard)
	mustContain(t, b.get("/orders/"+o.No).Body, bone.NameEN)
	if p := b.get("/lang/zh-TW?next=/"); p.Status != http.StatusSeeOther {
		t.Fatal(p.Status)
	}
	p := b.get("/orders/" + o.No)
	mustContain(t, p.Body, bone.NameZH)
	mustNotContain(t, p.Body, bone.NameEN)
	view, err := sandbox.NewControlClient(r.bank.ServerURL, nil).Order(context.Background(), r.bank.ShopNo, o.No)
	if err != nil || view.PrdtName != bone.NameZH {
		t.Fatalf("the bank's name %q, want %q (%v)", view.PrdtName, bone.NameZH, err)
	}
}

// The password rule says what it counts: 24 Chinese characters are 72
// bytes and pass; 25 are refused with words that say why.
func TestPasswordRuleCountsWhatItSays(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	mustContain(t, b.get("/signup").Body, "最多 72 個英數字，或 24 個中文字")
	p := b.post("/signup", url.Values{"email": {"zh24@example.com"}, "password": {strings.Repeat("狗", 24)}, "next": {"/"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("24 Chinese characters: %d", p.Status)
	}
	p = r.browser().post("/signup", url.Values{"email": {"zh25@example.com"}, "password": {strings.Repeat("狗", 25)}, "next": {"/"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("25 Chinese characters: %d", p.Status)
	}
	mustContain(t, p.Body, "72 個位元組", "24 個中文字")
}
