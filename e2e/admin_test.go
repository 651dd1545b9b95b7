package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/storage"
)

// adminEnv is the shop the back-office scenarios run against: card orders
// wait for the back office's capture (SINOPAY_CARD_CAPTURE=manual), and
// one admin made with `sinopay admin create`.
type adminEnv struct {
	env
	shop  *proctest.Shop
	admin string // the admin's email; the password is the shop's test one
	dsn   string
}

// adminGroupTimeout bounds one database's run of the back-office
// scenarios: some two minutes on an idle machine, up to three times that
// beside a CPU stress.
const adminGroupTimeout = 600 * time.Second

// TestAdminBrowser runs the back office's scenarios in Chromium against
// the real binary, on SQLite and on PostgreSQL, with screenshots under
// screenshots/<db>/admin-*/.
func TestAdminBrowser(t *testing.T) {
	requireChromium(t)
	requireAxe(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, e *adminEnv, s *shots)
	}{
		{"admin-hidden", adminHidden},
		{"admin-capture-refund", adminCaptureRefund},
		{"admin-reconciliation", adminReconciliation},
		{"admin-jobs", adminJobs},
		{"admin-language", adminLanguage},
		{"admin-atm-order", adminATMOrder},
		{"admin-form-kept", adminFormKept},
		{"admin-mail-reset", adminMailReset},
		{"admin-ship", adminShip},
		{"merchant-day", merchantDay},
		{"admin-apikeys", adminAPIKeys},
		{"api-hosted-atm", apiHostedATM},
		{"api-hosted-card", apiHostedCard},
		{"admin-pages-in-english", adminPagesInEnglish},
	}
	for _, db := range browserDatabases {
		t.Run(db.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), adminGroupTimeout)
			defer cancel()
			e := &adminEnv{env: env{db: db.name}, dsn: db.dsn(t), admin: newEmail("boss")}
			e.shop = proctest.StartShop(t, proctest.ShopOptions{DB: e.dsn, Env: []string{"SINOPAY_CARD_CAPTURE=manual"}})
			e.app = &app{URL: e.shop.URL, SandboxURL: e.shop.Sandbox.URL()}
			createAdmin(t, e.dsn, e.admin)
			e.browser = newBrowser(t, ctx)
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					sc.run(t, e, newShots(t, db.name, sc.name))
				})
			}
		})
	}
}

// TestAdminBrowserPhone runs the back office's scenarios of what an
// order allows, of forms that keep what was typed, of the
// reconciliation's totals and of the jobs and PayToken pages on a
// phone's screen too, on both databases.
// The back office is made for desks, and may scroll sideways on a phone;
// what these scenarios check must still work there.
func TestAdminBrowserPhone(t *testing.T) {
	requireChromium(t)
	requireAxe(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, e *adminEnv, s *shots)
	}{
		{"admin-atm-order", adminATMOrder},
		{"admin-form-kept", adminFormKept},
		{"admin-reconciliation", adminReconciliation},
		{"admin-jobs", adminJobs},
		{"admin-mail-reset", adminMailReset},
		{"admin-ship", adminShip},
		{"merchant-day", merchantDay},
		{"admin-apikeys", adminAPIKeys},
		{"api-hosted-atm", apiHostedATM},
		{"api-hosted-card", apiHostedCard},
		{"admin-pages-in-english", adminPagesInEnglish},
	}
	for _, db := range browserDatabases {
		t.Run(db.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), adminGroupTimeout)
			defer cancel()
			e := &adminEnv{env: env{db: db.name, vp: phone}, dsn: db.dsn(t), admin: newEmail("boss")}
			e.shop = proctest.StartShop(t, proctest.ShopOptions{DB: e.dsn, Env: []string{"SINOPAY_CARD_CAPTURE=manual"}})
			e.app = &app{URL: e.shop.URL, SandboxURL: e.shop.Sandbox.URL()}
			createAdmin(t, e.dsn, e.admin)
			e.browser = newBrowser(t, ctx)
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					sc.run(t, e, newShots(t, filepath.Join(db.name, "phone"), sc.name))
				})
			}
		})
	}
}

// createAdmin runs `sinopay admin create` as a deploy script would, the
// password on stdin.
func createAdmin(t *testing.T, dsn, email string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, proctest.Binary(t), "admin", "create", "--email", email, "--db", dsn)
	cmd.Dir = t.TempDir()
	cmd.Env = proctest.Env()
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "admin "+email+" created") {
		t.Fatalf("sinopay admin create: %v\n%s", err, out)
	}
}

// logIn logs in on the login page that guards next, and lands there.
func (b *tab) logIn(shopURL, email, next string) {
	b.t.Helper()
	b.open(shopURL+next, 200)
	b.waitFor("the login page", `location.pathname === "/login" && document.querySelector("form[action='/login'] #email")`)
	b.shot("login")
	b.fillInput("email", email)
	b.fillInput("password", password)
	b.clickNav("log in", `form[action="/login"] button[type=submit]`, 200)
	b.waitFor("the page behind the login", fmt.Sprintf(`location.pathname === %s`, jsString(next)))
}

// typeReason types the reason of an operation into its (empty) text area.
func (b *tab) typeReason(reason string) {
	b.t.Helper()
	b.do("type the reason", chromedp.SendKeys(chromedp.ID("reason"), reason))
	if got, err := eval[string](b, `document.getElementById("reason").value`); err != nil || got != reason {
		b.fatalf("the reason holds %q after typing %q (%v)", got, reason, err)
	}
}

// buyByCard has a customer buy with qty (catalogue order) and pay by
// card; it returns the order number and the total.
func (b *tab) buyByCard(shopURL string, qty ...int) (string, int64) {
	b.t.Helper()
	b.open(shopURL+"/", 200)
	c := b.fillCart(qty...)
	no := b.payWith("card")
	b.clickNav("go to the bank's card page", "a#card-pay", 200)
	b.payByCard(cardSuccess, "-"+no)
	b.waitFor("the green result page", resultIs(shopURL, no, "success"))
	return no, c.Total
}

// adminHidden: a customer who is not an admin gets the shop's own 404
// page on the back office, not a hint that it exists; a visitor is asked
// to log in.
func adminHidden(t *testing.T, e *adminEnv, s *shots) {
	c := e.newTab(t, s, "customer")
	c.signUp(e.app.URL, newEmail("nosy"))
	for _, path := range []string{"/admin/", "/admin/orders", "/admin/jobs", "/admin/reports"} {
		c.open(e.app.URL+path, 404)
		if got := c.text("#message"); got != "找不到這個頁面或訂單。" {
			c.fatalf("%s: message %q, want the shop's not-found text", path, got)
		}
		if strings.Contains(c.text("body"), "後台") {
			c.fatalf("%s: the 404 page mentions the back office", path)
		}
	}
	c.shot("admin-404")
	if n, _ := eval[int](c, `document.querySelectorAll('nav a[href^="/admin"]').length`); n != 0 {
		c.fatalf("a customer's navigation bar links to the back office")
	}

	v := e.newTab(t, s, "visitor")
	v.open(e.app.URL+"/admin/orders", 200)
	v.waitFor("the login page", `location.pathname === "/login" && location.search.includes("next=%2Fadmin%2Forders")`)
	v.shot("admin-login")
}

// adminCaptureRefund: two card orders wait for capture. The admin finds
// them by filters, opens one (the bank's view beside ours), captures it,
// refunds part of it with a double click (one refund), then the rest;
// cancels the other's authorisation. The timeline and the bank follow.
func adminCaptureRefund(t *testing.T, e *adminEnv, s *shots) {
	c := e.newTab(t, s, "customer")
	buyer := newEmail("buyer")
	c.signUp(e.app.URL, buyer)
	suit, total := c.buyByCard(e.app.URL, 0, 1) // the dinner suit
	c.shot("paid-suit")
	bone, _ := c.buyByCard(e.app.URL, 2) // two bones

	a := e.newTab(t, s, "admin")
	a.logIn(e.app.URL, e.admin, "/admin/orders")
	a.waitFor("the order list", `document.querySelector("#orders tr[data-no]")`)
	a.shot("orders")

	// Filters: awaiting capture, by card, this customer.
	a.do("filter the orders",
		chromedp.SetValue(chromedp.ID("f-status"), "uncaptured"),
		chromedp.SetValue(chromedp.ID("f-pay-type"), "C"))
	a.fillInput("f-customer", strings.SplitN(buyer, "@", 2)[0])
	a.clickNav("filter", "#filter", 200)
	a.waitFor("two orders awaiting capture", `document.querySelectorAll("#orders tbody tr").length === 2`)
	for _, no := range []string{suit, bone} {
		if n, _ := eval[int](a, fmt.Sprintf(`document.querySelectorAll('#orders tr[data-no=%s]').length`, jsString(no))); n != 1 {
			a.fatalf("order %s not in the filtered list", no)
		}
	}
	a.shot("orders-filtered")

	a.clickNav("open the suit's order", fmt.Sprintf(`#orders a[href="/admin/orders/%s"]`, suit), 200)
	a.waitFor("the order with the bank's view", `document.querySelector("#bank-status[data-status='1C300']") && document.querySelector("#awaiting-capture")`)
	a.shot("order-authorised")

	// Capture, confirmed with a reason.
	a.clickNav("capture", "#do-capture", 200)
	a.waitFor("the capture form", `document.querySelector("#op-form #reason")`)
	a.typeReason("已出貨 shipped")
	a.shot("capture-confirm")
	a.clickNav("confirm the capture", "#confirm", 200)
	a.waitFor("the capture done", `document.querySelector("#flash[data-state=done]") && document.querySelector("#bank-status[data-status='1C400']")`)
	a.shot("captured")

	// A partial refund, double-clicked.
	a.clickNav("refund", "#do-refund", 200)
	a.waitFor("the refund form", `document.querySelector("#op-form #amount")`)
	if got, _ := eval[string](a, `document.querySelector("#amount").value`); got != strconv.FormatInt(total, 10) {
		a.fatalf("the refund form offers %s, want all of %d", got, total)
	}
	a.fillInput("amount", "1000")
	a.typeReason("西裝有刮痕 a scratch")
	a.shot("refund-partial-confirm")
	a.do("double-click confirm", chromedp.DoubleClick(chromedp.ID("confirm")))
	a.waitFor("the order page after the refund", fmt.Sprintf(`location.pathname === %s && document.querySelector("#flash")`, jsString("/admin/orders/"+suit)))
	a.waitFor("one partial refund", `document.querySelector("#refunded").innerText.trim() === "NT$1,000" && document.querySelectorAll("#ops-table tr[data-op=refund]").length === 1`)
	a.shot("refunded-partly")

	// The rest, whole: the form sent twice at once, as a double submit
	// from a slow browser would.
	a.clickNav("refund the rest", "#do-refund", 200)
	a.waitFor("the refund form", `document.querySelector("#op-form #amount")`)
	if got, _ := eval[string](a, `document.querySelector("#amount").value`); got != strconv.FormatInt(total-1000, 10) {
		a.fatalf("the refund form offers %s, want the %d left", got, total-1000)
	}
	a.typeReason("退貨 returned")
	a.shot("refund-rest-confirm")
	sctx, scancel := context.WithTimeout(a.ctx, stepTimeout)
	urls, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](`(() => {
		const f = document.querySelector("#op-form");
		const send = () => fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))}).then(r => r.url);
		return Promise.all([send(), send()]);
	})()`, chromedp.EvalAwaitPromise))
	scancel()
	if err != nil || len(urls) != 2 || urls[0] != urls[1] {
		a.fatalf("the form sent twice: %v %v", urls, err)
	}
	a.open(urls[0], 200)
	a.waitFor("the order refunded", `document.querySelector("#status[data-status=R]") && document.querySelectorAll("#ops-table tr[data-op=refund][data-state=done]").length === 2`)
	if got := a.text("#refunded"); got != ntd(total) {
		a.fatalf("refunded %q, want %s", got, ntd(total))
	}
	for _, ev := range []string{"paid", "captured", "part_refunded", "refunded"} {
		if n, _ := eval[int](a, fmt.Sprintf(`document.querySelectorAll('#timeline li[data-event=%s]').length`, ev)); n != 1 {
			a.fatalf("the timeline has %d %s events, want 1", n, ev)
		}
	}
	if !strings.Contains(a.text("#timeline"), e.admin+": 退貨 returned") {
		a.fatalf("the timeline does not name the admin and the reason:\n%s", a.text("#timeline"))
	}
	a.shot("refunded")

	// The other order's authorisation is cancelled.
	a.open(e.app.URL+"/admin/orders/"+bone, 200)
	a.clickNav("cancel the authorisation", "#do-cancel", 200)
	a.typeReason("缺貨 out of stock")
	a.shot("cancel-confirm")
	a.clickNav("confirm the cancellation", "#confirm", 200)
	a.waitFor("the authorisation cancelled", `document.querySelector("#status[data-status=R]") && document.querySelector("#bank-status[data-status='1C351']") && document.querySelector("#timeline li[data-event=cancelled]")`)
	a.shot("cancelled")

	// The customer sees the refunds on their own order, without the notes.
	c.open(e.app.URL+"/orders/"+suit, 200)
	if page := c.text("main"); !strings.Contains(page, "部分退款") || strings.Contains(page, e.admin) {
		c.fatalf("the customer's order page:\n%s", page)
	}
	c.shot("customer-order-refunded")
}

// adminReconciliation: a report of today finds our refunded order
// matched and money the bank has for an order we never had; on screen and
// as a CSV file Excel can open.
func adminReconciliation(t *testing.T, e *adminEnv, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// The payments and the report must fall on one day, Taiwan time.
	today := waitfor.DayLeft(t, funbiz.Taipei, 3*time.Minute)
	// An order of ours paid today, so the report has one to match whatever
	// the other scenarios did before.
	ours := paidATMOrder(t, ctx, e)
	// An order the shop never made, paid at the bank.
	hash, err := funbiz.ParseHash(proctest.DemoHash)
	if err != nil {
		t.Fatal(err)
	}
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: e.shop.Sandbox.APIURL(), ShopNo: proctest.DemoShopNo, Hash: hash})
	if err != nil {
		t.Fatal(err)
	}
	stranger := fmt.Sprintf("X%d", time.Now().UnixNano()%1e12)
	res, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: stranger, Amount: 321, PayType: funbiz.PayTypeATM,
		PrdtName: "not ours", ATM: &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(time.Now().AddDate(0, 0, 3))}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.shop.Sandbox.Transfer(ctx, res.ATM.AtmPayNo, 321); err != nil {
		t.Fatal(err)
	}

	a := e.newTab(t, s, "")
	a.logIn(e.app.URL, e.admin, "/admin/reports")
	a.shot("reports")
	if now := time.Now().In(funbiz.Taipei).Format(time.DateOnly); now != today {
		t.Fatalf("the day turned (%s → %s) between the payments and the report", today, now)
	}
	a.do("choose today", chromedp.SetValue(chromedp.ID("day"), today))
	a.clickNav("run the report", "#run", 200)
	a.waitFor("the report", `location.pathname.startsWith("/admin/reports/") && document.querySelector("#report")`)
	if n, _ := eval[int](a, fmt.Sprintf(`document.querySelectorAll('#report tr[data-no=%s][data-verdict=missing_shop]').length`, jsString(stranger))); n != 1 {
		a.fatalf("the bank's order %s is not missing in the shop:\n%s", stranger, a.text("#report"))
	}
	if n, _ := eval[int](a, fmt.Sprintf(`document.querySelectorAll('#report tr[data-no=%s][data-verdict=matched]').length`, jsString(ours))); n != 1 {
		a.fatalf("our paid order %s is not matched:\n%s", ours, a.text("#report"))
	}
	if n, _ := eval[int](a, `document.querySelectorAll('#report tr[data-verdict=differs], #report tr[data-verdict=missing_bank]').length`); n != 0 {
		a.fatalf("differences in our own books:\n%s", a.text("#report"))
	}
	// Verdicts no row has are neutral badges, not red ones.
	if n, _ := eval[int](a, `document.querySelectorAll('#counts .badge[data-count="0"]:not(.zero), #counts .badge.zero.text-bg-danger').length`); n != 0 {
		a.fatalf("%d zero counts are not neutral", n)
	}
	if n, _ := eval[int](a, `document.querySelectorAll('#counts .badge[data-verdict=differs].zero, #counts .badge[data-verdict=missing_bank].zero').length`); n != 2 {
		a.fatalf("the zero counts of differences are not neutral: %s", a.text("#counts"))
	}
	// The day's totals: the stranger's NT$321 is in the bank's ATM column,
	// and the total row adds the pay types up.
	if got := a.text(`#totals tr[data-pay-type=A] .bank-collected`); got == "" || got == "NT$0" {
		a.fatalf("the ATM totals: %q\n%s", got, a.text("#totals"))
	}
	sum, err := eval[bool](a, `(() => {
		const n = s => Number(s.replace(/[^0-9.-]/g, ""));
		const cell = (tr, c) => n(tr.querySelector(c).innerText);
		const rows = [...document.querySelectorAll("#totals tbody tr:not([data-pay-type=all])")];
		const all = document.querySelector("#totals tr[data-pay-type=all]");
		return [".collected", ".refunded", ".bank-collected", ".bank-refunded", ".fees", ".net"].every(c =>
			Math.abs(rows.reduce((s, tr) => s + cell(tr, c), 0) - cell(all, c)) < 0.001);
	})()`)
	if err != nil || !sum {
		a.fatalf("the totals do not add up (%v):\n%s", err, a.text("#totals"))
	}
	a.shot("report")

	// Download the CSV as a browser does.
	dir := t.TempDir()
	bctx := chromedp.FromContext(a.ctx)
	a.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: bctx.BrowserContextID, DownloadPath: dir,
		})
		return err
	}))
	a.click("download the CSV", "#csv")
	var file string
	dctx, dcancel := context.WithTimeout(a.ctx, waitTimeout)
	defer dcancel()
	err = waitfor.Until(dctx, pollEvery, func(context.Context) error {
		matches, err := filepath.Glob(filepath.Join(dir, "*.csv"))
		if err != nil {
			return err
		}
		if len(matches) != 1 {
			return fmt.Errorf("%d CSV files: %q", len(matches), matches)
		}
		file = matches[0]
		return nil
	})
	if err != nil {
		a.fatalf("no CSV downloaded into %s: %v", dir, err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	csv := string(raw)
	if !strings.HasPrefix(csv, "\uFEFF結果,原因,訂單編號") || !strings.Contains(csv, stranger+",ATM轉帳,0,0,,321,0,") || !strings.Contains(csv, "商店沒有") {
		t.Fatalf("the CSV %s:\n%s", filepath.Base(file), csv)
	}
	if !regexp.MustCompile(`^reconciliation-\d{8}-\d+\.csv$`).MatchString(filepath.Base(file)) {
		t.Errorf("CSV file name %q", filepath.Base(file))
	}
	if !regexp.MustCompile(`\n合計,訂單 \d+ 筆,,ATM轉帳,\d+,\d+,,\d+,\d+,,,[0-9.]+,-?[0-9.]+\n`).MatchString(csv) ||
		!regexp.MustCompile(`\n合計,訂單 \d+ 筆,,全部,`).MatchString(csv) {
		t.Fatalf("the CSV has no day totals:\n%s", csv)
	}

	// The same report in English.
	a.clickNav("switch to English", `#admin-nav a[href^="/lang/en"]`, 200)
	a.waitFor("the report in English", `document.documentElement.lang === "en" && document.querySelector("#totals")`)
	if got := a.text("#totals thead"); !strings.Contains(got, "Net settled") || !strings.Contains(a.text("#totals tr[data-pay-type=all]"), "All") {
		a.fatalf("the English totals:\n%s", a.text("#totals"))
	}
	a.shot("report-en")
	a.clickNav("back to Chinese", `#admin-nav a[href^="/lang/zh-TW"]`, 200)

	a.clickNav("back to the reports", `main a[href="/admin/reports"]`, 200)
	a.waitFor("the report in the list", `document.querySelector("#reports tr[data-report]")`)
	a.shot("reports-listed")
}

// paidATMOrder has a new customer buy one item by ATM over HTTP and pay
// it at the sandbox, and waits until the shop has it paid.
func paidATMOrder(t *testing.T, ctx context.Context, e *adminEnv) string {
	t.Helper()
	buyer, err := proctest.NewCustomer(ctx, e.app.URL, newEmail("recon"))
	if err != nil {
		t.Fatal(err)
	}
	no, err := buyer.Checkout(ctx, e.app.URL, "q_1=1", "A")
	if err != nil {
		t.Fatal(err)
	}
	order, err := buyer.Order(ctx, e.app.URL, no)
	if err != nil || order.ATMAccount == "" {
		t.Fatalf("the ATM page of %s: %+v %v", no, order, err)
	}
	if _, err := e.shop.Sandbox.Transfer(ctx, order.ATMAccount, order.Amount); err != nil {
		t.Fatal(err)
	}
	err = waitfor.Until(ctx, pollEvery, func(ctx context.Context) error {
		order, err := buyer.Order(ctx, e.app.URL, no)
		if err != nil {
			return err
		}
		if order.Status != "S" {
			return fmt.Errorf("shown as %+v", order)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("order %s never shown paid: %v", no, err)
	}
	return no
}

// adminJobs: while the bank answers 500, the day's report (a job) fails
// and shows on the jobs page with the bank's error, and a notification's
// confirmation fails and shows on the PayToken page with its attempts;
// once the bank is back, the retry button runs the job, and the
// confirmation is taken again on its own.
func adminJobs(t *testing.T, e *adminEnv, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bank := e.shop.Sandbox
	if _, err := bank.ArmChaos(ctx, sandbox.ChaosInput{API: "500", Count: 1000}); err != nil {
		t.Fatal(err)
	}
	defer bank.ArmChaos(context.WithoutCancel(ctx), sandbox.ChaosInput{Clear: true})
	token := randomToken()
	if status, body, err := shopclient.NewBank(proctest.DemoShopNo, proctest.BankHTTP()).Notify(ctx, e.app.URL, token); err != nil || body != shopclient.Ack {
		t.Fatalf("notification: %d %q %v", status, body, err)
	}
	enqueueReport(t, ctx, e.dsn, funbiz.FormatDate(time.Now().In(funbiz.Taipei).AddDate(0, 0, -2)))

	a := e.newTab(t, s, "")
	a.logIn(e.app.URL, e.admin, "/admin/jobs")
	a.shot("jobs")
	// Failed three times: the next attempt is 81 s away (the queue waits
	// attempt⁴ seconds), so the retry button, not the schedule, is what
	// runs it, however slow the machine is between here and the click.
	// (After one failure the next attempt is a second or so away, and on
	// a busy machine the schedule took the job before the click.)
	row := `document.querySelector('#jobs tr[data-kind=reconciliation_report]')`
	a.reloadUntilWithin(90*time.Second, "the report failing three times", e.app.URL+"/admin/jobs?state=retryable",
		row+` && parseInt(`+row+`.children[3].innerText, 10) >= 3`)
	if !strings.Contains(a.text("#jobs"), "500") {
		a.fatalf("the job's error does not show the bank's 500:\n%s", a.text("#jobs"))
	}
	id, err := eval[string](a, row+`.dataset.job`)
	if err != nil {
		a.fatalf("the job's id: %v", err)
	}
	a.shot("jobs-retryable")

	// The confirmation failed too, and says how often it was tried.
	a.reloadUntil("the confirmation failing twice", e.app.URL+"/admin/paytokens?q="+token[:16],
		`document.querySelector('#tokens tbody [data-attempts]')`)
	a.shot("paytokens-waiting")

	if _, err := bank.ArmChaos(ctx, sandbox.ChaosInput{Clear: true}); err != nil {
		t.Fatal(err)
	}
	a.open(e.app.URL+"/admin/jobs?state=retryable", 200)
	a.clickNav("retry the job", fmt.Sprintf(`#jobs tr[data-job="%s"] button.retry`, id), 200)
	a.reloadUntil("the job completed", e.app.URL+"/admin/jobs?state=completed", fmt.Sprintf(`document.querySelector('#jobs tr[data-job="%s"]')`, id))
	a.shot("jobs-completed")

	// The PayToken log shows what confirming it did: the bank does not
	// know this token. The confirmation's next attempt is up to 16 s away
	// (2, 4, 8, 16 s after each failure).
	a.reloadUntilWithin(45*time.Second, "the confirmation taken again", e.app.URL+"/admin/paytokens?q="+token[:16],
		`document.querySelector('#tokens tbody [data-outcome^=refused]')`)
	if got := a.text("#tokens tbody"); !strings.Contains(got, token) || !strings.Contains(got, "銀行不認得這個 PayToken") {
		a.fatalf("the PayToken log: %s", got)
	}
	a.shot("paytokens")
}

// enqueueReport puts the reconciliation report of day in the job queue of
// the shop's database at dsn, as its daily schedule would.
func enqueueReport(t *testing.T, ctx context.Context, dsn, day string) {
	t.Helper()
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := jobqueue.New(db, jobqueue.Config{InsertOnly: true}, reconcile.New(db, nil, reconcile.Config{}, nil).Jobs())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Insert(ctx, reconcile.ReportArgs{Day: day}); err != nil || !ok {
		t.Fatalf("enqueue the report of %s: %v %v", day, ok, err)
	}
}

// adminLanguage: the back office speaks English after the switch, on
// every page, and Chinese again after switching back.
func adminLanguage(t *testing.T, e *adminEnv, s *shots) {
	a := e.newTab(t, s, "")
	a.logIn(e.app.URL, e.admin, "/admin/orders")
	if got := a.text("h1"); got != "所有訂單" {
		a.fatalf("zh-TW title %q", got)
	}
	a.shot("orders-zh")
	a.clickNav("switch to English", `#admin-nav a[href^="/lang/en"]`, 200)
	a.waitFor("the order list in English", `location.pathname === "/admin/orders" && document.documentElement.lang === "en"`)
	if got := a.text("h1"); got != "All orders" {
		a.fatalf("English title %q", got)
	}
	a.shot("orders-en")
	for _, p := range []struct{ path, h1, name string }{
		{"/admin/jobs", "Job queue", "jobs-en"},
		{"/admin/reports", "Reconciliation reports", "reports-en"},
		{"/admin/paytokens", "PayToken log", "paytokens-en"},
	} {
		a.clickNav("open "+p.path, fmt.Sprintf(`#admin-nav a[href="%s"]`, p.path), 200)
		if got := a.text("h1"); got != p.h1 {
			a.fatalf("%s: title %q, want %q", p.path, got, p.h1)
		}
		a.shot(p.name)
	}
	a.clickNav("open the orders", `#admin-nav a[href="/admin/orders"]`, 200)
	a.clickNav("open the newest order", `#orders tbody tr a`, 200)
	a.waitFor("an order page in English", `document.querySelector("#ours .card-header")?.innerText === "Our record"`)
	a.shot("order-en")
	a.clickNav("switch back to Chinese", `#admin-nav a[href^="/lang/zh-TW"]`, 200)
	a.waitFor("the order page in zh-TW", `document.documentElement.lang === "zh-TW" && document.querySelector("#ours .card-header")?.innerText === "商店的紀錄"`)
	a.shot("order-zh")
	if _, err := url.Parse(a.location()); err != nil {
		t.Fatal(err)
	}
}

// adminATMOrder: a paid ATM order offers no refund, which the bank's API
// cannot do, and says what the merchant can do instead; the refund form's
// address, opened anyway, answers in the back office's own layout. In
// zh-TW, then in English.
func adminATMOrder(t *testing.T, e *adminEnv, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	no := paidATMOrder(t, ctx, e)

	a := e.newTab(t, s, "")
	a.logIn(e.app.URL, e.admin, "/admin/orders")
	for _, lang := range []struct{ name, switchTo, note, refusal string }{
		{"zh", "en", "由商店自己的帳戶匯款", "銀行的 API 無法退還 ATM 轉帳"},
		{"en", "zh-TW", "transfer the money from the shop's own account", "the bank's API cannot refund an ATM transfer"},
	} {
		a.open(e.app.URL+"/admin/orders/"+no, 200)
		a.waitFor("the paid ATM order", `document.querySelector("#status[data-status=S]") && document.querySelector("#atm-refund")`)
		if n, _ := eval[int](a, `document.querySelectorAll("#do-refund, #do-capture, #do-cancel, #refundable").length`); n != 0 {
			a.fatalf("an ATM order offers %d operations", n)
		}
		if got := a.text("#atm-refund"); !strings.Contains(got, lang.note) {
			a.fatalf("the ATM order's note %q lacks %q", got, lang.note)
		}
		a.shot("atm-order-" + lang.name)

		a.open(e.app.URL+"/admin/orders/"+no+"/refund", 409)
		a.waitFor("the refusal in the back office", `document.querySelector("#admin-nav") && document.querySelector("#admin-error") && document.querySelector("#hint")`)
		if got := a.text("#message"); !strings.Contains(got, lang.refusal) {
			a.fatalf("the refusal %q lacks %q", got, lang.refusal)
		}
		a.shot("atm-refund-refused-" + lang.name)
		a.clickNav("back to the order", "#back", 200)
		a.waitFor("the order page", fmt.Sprintf(`location.pathname === %s`, jsString("/admin/orders/"+no)))
		a.clickNav("switch language", fmt.Sprintf(`#admin-nav a[href^="/lang/%s"]`, lang.switchTo), 200)
	}
}

// adminFormKept: a capture over the authorisation, then a refund over
// what is left, are refused with the form as it was typed: the amount and
// the reason stay. In zh-TW, then in English.
func adminFormKept(t *testing.T, e *adminEnv, s *shots) {
	c := e.newTab(t, s, "customer")
	c.signUp(e.app.URL, newEmail("kept"))
	no, total := c.buyByCard(e.app.URL, 2) // two bones

	a := e.newTab(t, s, "admin")
	a.logIn(e.app.URL, e.admin, "/admin/orders")
	over := strconv.FormatInt(total+1, 10)
	submitOver := func(op, reason, wantError string) {
		a.open(e.app.URL+"/admin/orders/"+no, 200)
		a.clickNav("open the "+op+" form", "#do-"+op, 200)
		a.fillInput("amount", over)
		a.typeReason(reason)
		a.clickNav("confirm an amount too large", "#confirm", 400)
		a.waitFor("the refusal", `document.querySelector("#admin-nav") && document.querySelector("#op-error")`)
		if got := a.text("#op-error"); !strings.Contains(got, wantError) {
			a.fatalf("the error %q lacks %q", got, wantError)
		}
		if got, _ := eval[string](a, `document.getElementById("amount").value`); got != over {
			a.fatalf("the amount field holds %q after the refusal, want %q as typed", got, over)
		}
		if got, _ := eval[string](a, `document.getElementById("reason").value`); got != reason {
			a.fatalf("the reason holds %q after the refusal, want %q", got, reason)
		}
		a.shot(op + "-refused-kept")
	}
	submitOver("capture", "已出貨 shipped", "請款金額不能超過授權金額")
	// The admin corrects the amount and captures.
	a.fillInput("amount", strconv.FormatInt(total, 10))
	a.clickNav("capture", "#confirm", 200)
	a.waitFor("the capture done", `document.querySelector("#flash[data-state=done]")`)

	a.clickNav("switch to English", `#admin-nav a[href^="/lang/en"]`, 200)
	submitOver("refund", "returned 退貨", "A refund cannot be more than")
}

// adminMailReset: a customer buys by card and forgets their password. The
// shop has no SMTP server, so the messages are in the back office's
// outbox: the order's two (received, paid) and the reset link, which the
// customer follows to a new password, logged in at once; the link does
// not work twice.
func adminMailReset(t *testing.T, e *adminEnv, s *shots) {
	c := e.newTab(t, s, "customer")
	email := newEmail("forgetful")
	c.signUp(e.app.URL, email)
	no, _ := c.buyByCard(e.app.URL, 1)
	// On another device, not logged in, the customer cannot remember the
	// password.
	f := e.newTab(t, s, "forgetful")
	f.open(e.app.URL+"/login", 200)
	f.clickNav("forgot the password", "a#forgot-link", 200)
	f.waitFor("the forgot-password form", `location.pathname === "/password/forgot"`)
	f.fillInput("email", "not an email")
	f.clickNav("send with a bad email", `form[action="/password/forgot"] button[type=submit]`, 400)
	f.waitFor("the error next to the field", `document.querySelector("#email.is-invalid") && document.getElementById("email-error")?.innerText.length > 0`)
	f.shot("forgot-bad-email")
	f.fillInput("email", email)
	f.clickNav("send the link", `form[action="/password/forgot"] button[type=submit]`, 200)
	f.waitFor("the link sent", `document.getElementById("forgot-sent")`)
	f.shot("forgot-sent")

	a := e.newTab(t, s, "admin")
	a.logIn(e.app.URL, e.admin, "/admin/mail")
	a.waitFor("the outbox, kept mode", `document.getElementById("mail-mode") && document.querySelector("#mails tbody tr")`)
	a.shot("outbox")
	for _, kind := range []string{"order_received", "paid", "password_reset"} {
		// The order's two messages are written by the sender in the
		// background: they may need a moment.
		a.reloadUntil("the "+kind+" message to "+email, e.app.URL+"/admin/mail",
			fmt.Sprintf(`[...document.querySelectorAll('#mails tr[data-kind=%q][data-status="kept"]')].some(r => r.innerText.includes(%s))`, kind, jsString(email)))
	}
	a.clickNav("open the reset message", `#mails tr[data-kind="password_reset"] a`, 200)
	a.waitFor("the message's text", `document.getElementById("text")?.innerText.includes("/password/reset/")`)
	a.shot("reset-message")
	link, err := eval[string](a, `document.getElementById("text").innerText.match(/http\S+\/password\/reset\/[0-9a-f]+/)[0]`)
	if err != nil {
		a.fatalf("no reset link: %v", err)
	}
	a.open(e.app.URL+"/admin/mail", 200)
	a.clickNav("open the paid message", `#mails tr[data-kind="paid"] a`, 200)
	a.waitFor("the paid message names the order", fmt.Sprintf(`document.getElementById("text")?.innerText.includes(%s)`, jsString(no)))

	f.open(link, 200)
	f.waitFor("the new-password form", `document.querySelector("form[action^='/password/reset/'] #password")`)
	f.shot("reset-form")
	f.fillInput("password", "a brand new password")
	f.clickNav("save the new password", `form[action^="/password/reset/"] button[type=submit]`, 200)
	f.waitFor("my orders, logged in", fmt.Sprintf(`location.pathname === "/orders" && document.body.innerText.includes(%s)`, jsString(no)))
	f.shot("orders-after-reset")
	f.noSidewaysScroll("orders after reset")
	f.open(link, 404)
	f.waitFor("the used link refused", `document.getElementById("reset-invalid")`)
	// The first device's session ended with the new password.
	c.open(e.app.URL+"/orders", 200)
	c.waitFor("the log-in page", `location.pathname === "/login"`)
}

// adminShip: a customer buys by card with a delivery address; the order
// waits in the back office's "paid, waiting to ship"; the packing list
// shows where it goes; a tracking number with spaces is refused beside
// its field; marked shipped, the customer's order page shows the carrier
// and tracking number.
func adminShip(t *testing.T, e *adminEnv, s *shots) {
	c := e.newTab(t, s, "customer")
	c.signUp(e.app.URL, newEmail("parcel"))
	no, _ := c.buyByCard(e.app.URL, 0, 1)

	a := e.newTab(t, s, "admin")
	a.logIn(e.app.URL, e.admin, "/admin/orders")
	a.open(e.app.URL+"/admin/orders?status=to_ship", 200)
	a.waitFor("the order waiting to ship", fmt.Sprintf(`document.querySelector('#orders tr[data-no=%q] input[name=no]')?.checked`, no))
	a.shot("to-ship")
	a.clickNav("make the packing list", "#packing-list", 200)
	a.waitFor("the order's slip", fmt.Sprintf(`document.getElementById("slip-%s")?.innerText.includes("重慶南路一段122號")`, no))
	a.shot("packing-list")

	a.open(e.app.URL+"/admin/orders/"+no, 200)
	a.fillInput("carrier", "黑貓宅急便")
	a.fillInput("tracking", "9012 3456")
	a.clickNav("ship with a bad tracking number", "button#ship", 400)
	a.waitFor("the error beside the tracking number", `document.querySelector("#tracking.is-invalid") && document.getElementById("tracking-error")`)
	a.shot("ship-refused")
	a.fillInput("tracking", "9012-3456-7890")
	a.clickNav("mark shipped", "button#ship", 200)
	a.waitFor("the order shipped", `document.getElementById("shipped")?.innerText.includes("9012-3456-7890")`)
	a.shot("shipped")

	c.open(e.app.URL+"/orders/"+no, 200)
	c.waitFor("the customer sees the shipment", `document.getElementById("shipped")?.innerText.includes("9012-3456-7890")`)
	c.shot("order-shipped")
	c.noSidewaysScroll("the shipped order")
}

// adminAPIKeys: the admin makes a live API key and sees its secret once;
// a private address as its webhook is refused beside the field, a public
// one is added; the list shows the key by its last four characters
// only; revoked, it says so.
func adminAPIKeys(t *testing.T, e *adminEnv, s *shots) {
	a := e.newTab(t, s, "admin")
	a.logIn(e.app.URL, e.admin, "/admin/apikeys")
	a.waitFor("the API keys page", `location.pathname === "/admin/apikeys" && document.getElementById("new-key")`)
	name := "WooCommerce " + newEmail("key")
	a.fillInput("name", name)
	a.do("choose live", chromedp.SetValue(chromedp.ID("mode"), "live"))
	a.clickNav("make the key", "button#make-key", 200)
	a.waitFor("the secret, shown once", `/^sk_live_[0-9a-f]{48}$/.test(document.getElementById("made-secret")?.innerText.trim())`)
	secret := a.text("#made-secret")
	a.shot("key-made")
	row := fmt.Sprintf(`[...document.querySelectorAll("#keys tr[id^=key-]")].find(r => r.innerText.includes(%s))`, jsString(name))
	id, err := eval[string](a, row+`.id.slice(4)`)
	if err != nil {
		a.fatalf("the new key's row: %v", err)
	}
	a.fillInput("url-"+id, "https://192.168.1.10/hooks")
	a.clickNav("add a private endpoint", "button#add-endpoint-"+id, 400)
	a.waitFor("the refusal beside the URL", fmt.Sprintf(`document.querySelector("#url-%s.is-invalid") && document.getElementById("url-%s-error")`, id, id))
	a.shot("endpoint-refused")
	a.fillInput("url-"+id, "https://shop.example/hooks/sinopay")
	a.clickNav("add the endpoint", "button#add-endpoint-"+id, 200)
	a.waitFor("the endpoint listed, the secret gone", row+`?.innerText.includes("https://shop.example/hooks/sinopay") && !document.getElementById("made-secret") && !document.body.innerText.includes(`+jsString(secret)+`)`)
	a.shot("endpoint-added")
	a.clickNav("revoke the key", "button#revoke-"+id, 200)
	a.waitFor("the key revoked", row+`?.dataset.revoked === "true"`)
	a.shot("key-revoked")
}
