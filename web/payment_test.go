package web

import (
	"context"
	"fmt"
	"github.com/sinopay/sinopay/payment"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// An ATM order's page tells where to transfer; the bank's notification of
// the transfer, once confirmed, shows in the status and the timeline.
func TestATMOrder(t *testing.T) {
	r := newRig(t)
	b := r.signup("atm@example.com")
	o := b.order(map[string]int{"bone-matcha": 1, "bowl-hiphop": 2}, shop.PayATM)
	if o.Bank.State != shop.BankCreated || len(o.Bank.AtmPayNo) < 8 || len(o.Bank.ExpireDate) != 8 {
		t.Fatalf("bank order %+v", o.Bank)
	}
	p := b.get("/orders/" + o.No)
	if p.Status != http.StatusOK {
		t.Fatalf("order page: %d", p.Status)
	}
	ed := o.Bank.ExpireDate
	mustContain(t, p.Body, "訂單成立囉！", o.No, `id="bank-code">807<`,
		groupDigits(o.Bank.AtmPayNo, 4), "NT$3,150",
		ed[:4]+"-"+ed[4:6]+"-"+ed[6:], "ATM轉帳", "尚未付款",
		"抹茶狗骨頭", "潮流嘻哈喝水碗", "繼續購買", "回到訂單", `href="/orders"`)
	if o.Bank.WebAtmURL != "" {
		mustContain(t, p.Body, "前往 WebATM 付款")
	}
	mustNotContain(t, p.Body, "card-pay", "正在跟銀行確認")

	// The ATM account is offered again from the order list.
	p = b.get("/orders")
	mustContain(t, p.Body, "顯示ATM帳號", `class="table-info"`)

	r.bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
	r.eventually("the transfer to be confirmed", func() bool {
		got, err := r.db.OrderByNo(context.Background(), o.No)
		return err == nil && got.Status == shop.StatusPaid
	})
	p = b.get("/orders/" + o.No)
	mustContain(t, p.Body, "付款成功", "尚未付款 → 付款成功")
	mustNotContain(t, p.Body, `id="account"`)
}

// A card payment: the bank's page sends the browser back with a cross-site
// form post that has no session cookie; the shop confirms it with the bank
// and the customer, on a GET with the cookie, sees the green result.
func TestCardPaidReturn(t *testing.T) {
	r := newRig(t)
	b := r.signup("card@example.com")
	o := b.order(map[string]int{"food-chicken-10kg": 1}, shop.PayCard)
	p := b.get("/orders/" + o.No)
	mustContain(t, p.Body, "訂單成立囉！", "信用卡", "NT$3,500", `id="card-pay" href="`+o.Bank.CardPayURL+`"`)

	tok := r.bank.PayCard(o.No, sandbox.OutcomeSuccess)
	p = r.bankReturn(tok)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("return: %d %s", p.Status, p.Body)
	}
	if p.Location != "/orders/"+o.No+"/result" && !strings.HasPrefix(p.Location, "/payments/") {
		t.Fatalf("return went to %q", p.Location)
	}
	res := b.follow(p)
	r.eventually("the result page to stop waiting for the bank", func() bool {
		if strings.Contains(res.Body, `http-equiv="refresh"`) {
			res = b.follow(b.get("/orders/" + o.No + "/result"))
			return false
		}
		return true
	})
	if res.Status != http.StatusOK {
		t.Fatalf("result: %d", res.Status)
	}
	mustContain(t, res.Body, "信用卡刷卡結果", "text-bg-success", "刷卡成功", o.No, "繼續購買", "回到訂單")
	mustNotContain(t, res.Body, tok, "text-bg-danger", `http-equiv="refresh"`)
}

func TestCardDeclinedReturn(t *testing.T) {
	r := newRig(t)
	b := r.signup("declined@example.com")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayCard)
	tok := r.bank.PayCard(o.No, sandbox.OutcomeDecline)
	p := r.bankReturn(tok)
	if p.Status != http.StatusSeeOther || p.Location != "/orders/"+o.No+"/result" {
		t.Fatalf("return: %d %q", p.Status, p.Location)
	}
	res := b.follow(p)
	mustContain(t, res.Body, "text-bg-danger", "刷卡失敗", "再次使用永豐信用卡刷卡", `href="`+o.Bank.CardPayURL+`"`)
	mustNotContain(t, res.Body, "text-bg-success", tok)

	// The order list offers to pay again by card, on a red row.
	p = b.get("/orders")
	mustContain(t, p.Body, `class="table-danger"`, "重新刷卡", "付款失敗")

	// Paying again on the bank's page works; the result turns green.
	tok = r.bank.PayCard(o.No, sandbox.OutcomeSuccess)
	res = b.follow(r.bankReturn(tok))
	mustContain(t, res.Body, "text-bg-success")
}

// bankReturn posts the bank's card-page return as the customer's browser
// does: cross-site, from the bank's origin, without the shop's cookie.
func (r *rig) bankReturn(payToken string) *page {
	r.t.Helper()
	b := r.browser() // an empty jar: SameSite=Lax keeps the cookie off this post
	b.header.Set("Origin", r.bank.ServerURL)
	b.header.Set("Sec-Fetch-Site", "cross-site")
	b.header.Set("Sec-Fetch-Mode", "navigate")
	return b.post("/funbiz/return", url.Values{"ShopNo": {r.bank.ShopNo}, "PayToken": {payToken}})
}

func TestReturnBadInput(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for name, form := range map[string]url.Values{
		"empty":     {},
		"no token":  {"ShopNo": {r.bank.ShopNo}},
		"bad token": {"ShopNo": {r.bank.ShopNo}, "PayToken": {"<script>"}},
	} {
		p := b.post("/funbiz/return", form)
		if p.Status != http.StatusBadRequest {
			t.Errorf("%s: %d", name, p.Status)
		}
		mustContain(t, p.Body, "銀行帶回來的付款資料不完整")
		mustNotContain(t, p.Body, "<script>")
	}
	p := b.post("/funbiz/return", url.Values{"ShopNo": {"XX0001_001"}, "PayToken": {strings.Repeat("a", 64)}})
	if p.Status != http.StatusBadRequest {
		t.Errorf("another shop's return: %d", p.Status)
	}
}

func TestNotify(t *testing.T) {
	r := newRig(t)
	post := func(body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/funbiz/notify", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, body := range []string{``, `{`, `[]`, `{"ShopNo":"NA0249_001"}`, `{"ShopNo":"NA0249_001","PayToken":5}`, `{"ShopNo":"NA0249_001","PayToken":"a b"}`} {
		if code, resp := post(body); code != http.StatusBadRequest || strings.Contains(resp, `"Status":"S"`) {
			t.Errorf("%q: %d %s", body, code, resp)
		}
	}
	if code, _ := post(`{"ShopNo":"XX0001_001","PayToken":"` + strings.Repeat("b", 64) + `"}`); code != http.StatusBadRequest {
		t.Errorf("another shop's notification: %d", code)
	}

	token := strings.Repeat("c", 64)
	code, resp := post(`{"ShopNo":"NA0249_001","PayToken":"` + token + `"}`)
	if code != http.StatusOK || resp != `{"Status":"S"}` {
		t.Fatalf("good notification: %d %q", code, resp)
	}
	var n int
	if err := r.db.SQL.QueryRow(`SELECT COUNT(*) FROM pay_tokens WHERE pay_token = $1 AND source = 'notify'`, token).Scan(&n); err != nil || n != 1 {
		t.Fatalf("recorded %d, %v", n, err)
	}
	if strings.Contains(r.logs.String(), token) {
		t.Error("a PayToken reached the log")
	}
	mustContain(t, r.logs.String(), `"route":"POST /funbiz/notify"`, `"status":200`)
}

// With the database gone, a notification cannot be recorded, so it must
// not be acknowledged: the bank then sends it again.
func TestNotifyNotAckedWhenNotRecorded(t *testing.T) {
	r := newRig(t)
	r.pay.Stop(context.Background())
	r.db.SQL.Close()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/funbiz/notify",
		strings.NewReader(`{"ShopNo":"NA0249_001","PayToken":"`+strings.Repeat("d", 64)+`"}`))
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), `"Status":"S"`) {
		t.Fatalf("notification with the database closed: %d %s", resp.StatusCode, body)
	}
	if p := r.browser().get("/healthz"); p.Status != http.StatusServiceUnavailable {
		t.Errorf("healthz with the database closed: %d", p.Status)
	}
}

// A return the bank has not confirmed yet waits on /payments/{ref}, which
// moves on to the result once the token is processed.
func TestPaymentWaitPage(t *testing.T) {
	r := newRig(t)
	b := r.signup("wait@example.com")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayCard)
	ctx := context.Background()
	// A return its request is still confirming: held from the workers.
	delivery, err := r.db.RecordPayToken(ctx, storage.NewDelivery{Token: strings.Repeat("e", 64), ShopNo: r.bank.ShopNo,
		Source: shop.SourceReturn, HeldUntil: time.Now().Add(time.Hour), At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	p := b.get("/payments/" + delivery.Ref)
	if p.Status != http.StatusOK {
		t.Fatalf("waiting: %d", p.Status)
	}
	mustContain(t, p.Body, `<meta http-equiv="refresh" content="2">`, "正在跟銀行確認您的付款")
	mustNotContain(t, p.Body, delivery.Token)

	if err := r.db.MarkPayToken(ctx, delivery.ID, o.No, shop.Outcome{Kind: shop.OutcomeFailed}, time.Now()); err != nil {
		t.Fatal(err)
	}
	p = b.get("/payments/" + delivery.Ref)
	if p.Status != http.StatusSeeOther || p.Location != "/orders/"+o.No+"/result" {
		t.Fatalf("processed: %d %q", p.Status, p.Location)
	}
	if p = b.get("/payments/" + strings.Repeat("0", 32)); p.Status != http.StatusNotFound {
		t.Errorf("unknown ref: %d", p.Status)
	}
}

// Another customer's order is not found, on every page of it.
func TestOtherCustomersOrder(t *testing.T) {
	r := newRig(t)
	alice := r.signup("alice@example.com")
	o := alice.order(map[string]int{"bone-matcha": 1}, shop.PayATM)
	bob := r.signup("bob@example.com")
	for _, path := range []string{"/orders/" + o.No, "/orders/" + o.No + "/result"} {
		p := bob.get(path)
		if p.Status != http.StatusNotFound {
			t.Errorf("%s for another customer: %d", path, p.Status)
		}
		mustContain(t, p.Body, "找不到這個頁面或訂單")
		mustNotContain(t, p.Body, o.Bank.AtmPayNo)
		if p := alice.get(path); p.Status != http.StatusOK {
			t.Errorf("%s for its customer: %d", path, p.Status)
		}
	}
	if p := bob.get("/orders"); strings.Contains(p.Body, o.No) {
		t.Error("another customer's order in the list")
	}
}

// A notification from the bank's address (Config.NotifyFrom) is recorded
// with its job, in the known lane; anyone else's in the other lane, once
// per PayToken, and answered 503 with Retry-After once the backlog is
// full, which the bank reads as "send again".
func TestNotifyLanes(t *testing.T) {
	r := newRig(t, func(p *payment.Config, w *Config) {
		p.OtherBacklog = 2
		w.NotifyFrom = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	})
	r.pay.Stop(context.Background()) // nothing confirms: the backlog stays
	post := func(from, token string) *http.Response {
		t.Helper()
		hc := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
			LocalAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(from + ":0"))}).DialContext}}
		resp, err := hc.Post(r.srv.URL+"/funbiz/notify", "application/json",
			strings.NewReader(`{"ShopNo":"NA0249_001","PayToken":"`+token+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	lanes := func(token string) (lanes []int) {
		rows, err := r.db.SQL.Query(`SELECT lane FROM pay_tokens WHERE pay_token = $1 ORDER BY id`, token)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var l int
			rows.Scan(&l)
			lanes = append(lanes, l)
		}
		return lanes
	}
	bank, other := strings.Repeat("b", 64), strings.Repeat("o", 64)
	for range 2 {
		if resp := post("127.0.0.2", bank); resp.StatusCode != http.StatusOK {
			t.Fatalf("the bank's notification: %d", resp.StatusCode)
		}
		if resp := post("127.0.0.1", other); resp.StatusCode != http.StatusOK {
			t.Fatalf("another sender's notification: %d", resp.StatusCode)
		}
	}
	if got := lanes(bank); !slices.Equal(got, []int{0, 0}) {
		t.Errorf("the bank's deliveries in lanes %v, want each in the known lane", got)
	}
	if got := lanes(other); !slices.Equal(got, []int{1}) {
		t.Errorf("another sender's deliveries in lanes %v, want one in the other lane", got)
	}
	if resp := post("127.0.0.1", strings.Repeat("p", 64)); resp.StatusCode != http.StatusOK {
		t.Fatalf("second in the backlog: %d", resp.StatusCode)
	}
	resp := post("127.0.0.1", strings.Repeat("q", 64))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the backlog: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The bank is never held back by the others' backlog.
	if resp := post("127.0.0.2", strings.Repeat("r", 64)); resp.StatusCode != http.StatusOK {
		t.Fatalf("the bank's notification with the others' backlog full: %d", resp.StatusCode)
	}
}

// Behind a trusted proxy, the bank is known by the address the proxy
// names; an untrusted peer's X-Forwarded-For changes nothing.
func TestNotifyLaneBehindProxy(t *testing.T) {
	r := newRig(t, func(_ *payment.Config, w *Config) {
		w.NotifyFrom = []netip.Prefix{netip.MustParsePrefix("203.0.113.7/32")}
		w.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	r.pay.Stop(context.Background())
	for _, c := range []struct {
		xff  string
		lane int
	}{{"203.0.113.7", 0}, {"198.51.100.1", 1}, {"203.0.113.7, 198.51.100.1", 1}} {
		token := fmt.Sprintf("%064x", len(c.xff))
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/funbiz/notify",
			strings.NewReader(`{"ShopNo":"NA0249_001","PayToken":"`+token+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", c.xff)
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var lane int
		if err := r.db.SQL.QueryRow(`SELECT lane FROM pay_tokens WHERE pay_token = $1`, token).Scan(&lane); err != nil || lane != c.lane {
			t.Errorf("X-Forwarded-For %q: lane %d %v, want %d", c.xff, lane, err, c.lane)
		}
	}
}

// An unpaid ATM order's page offers to pay by card instead; the button
// makes a card order in its place, whose page has the card link, and the
// ATM order's page then shows no account, in both languages. Another
// customer's order cannot be replaced.
func TestCardInsteadPages(t *testing.T) {
	r := newRig(t)
	b := r.signup("instead@example.com")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayATM)
	p := b.get("/orders/" + o.No)
	mustContain(t, p.Body, `id="card-instead"`, "改用信用卡付款", `id="account"`)

	stranger := r.signup("stranger@example.com")
	if p := stranger.post("/orders/"+o.No+"/card-instead", url.Values{}); p.Status == http.StatusSeeOther {
		t.Fatalf("a stranger replaced the order: %d %s", p.Status, p.Location)
	}

	p = b.post("/orders/"+o.No+"/card-instead", url.Values{})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/orders/") || p.Location == "/orders/"+o.No {
		t.Fatalf("card instead: %d %q", p.Status, p.Location)
	}
	cardNo := strings.TrimPrefix(p.Location, "/orders/")
	card := b.follow(p)
	mustContain(t, card.Body, `id="card-pay"`, `id="replaces"`, o.No, "信用卡")
	mustNotContain(t, card.Body, `id="card-instead"`)

	old := b.get("/orders/" + o.No)
	mustContain(t, old.Body, `id="replaced-by"`, cardNo, "請勿再轉帳")
	mustNotContain(t, old.Body, `id="account"`, `id="card-instead"`)
	en := b.inEnglish().get("/orders/" + o.No)
	mustContain(t, en.Body, "do not transfer to this order&#39;s account", cardNo)

	// Clicked again (a second tab), the same card order.
	if p := b.post("/orders/"+o.No+"/card-instead", url.Values{}); p.Status != http.StatusSeeOther || p.Location != "/orders/"+cardNo {
		t.Fatalf("second click: %d %q, want /orders/%s", p.Status, p.Location, cardNo)
	}
}
