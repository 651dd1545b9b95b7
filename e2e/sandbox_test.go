package e2e

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
)

// sandboxGroupTimeout bounds one database's run of the sandbox's
// scenarios.
const sandboxGroupTimeout = 120 * time.Second

// TestSandboxBrowser runs the bank sandbox's own pages in Chromium, against
// the sandbox the real binary embeds, on SQLite and on PostgreSQL, on the
// desktop and on a phone's screen, with screenshots under
// screenshots/<db>/<screen>/sandbox-*/.
func TestSandboxBrowser(t *testing.T) {
	requireChromium(t)
	requireAxe(t)
	scenarios := []struct {
		name string
		run  func(t *testing.T, e *env, s *shots)
	}{
		{"sandbox-dashboard", sandboxDashboard},
	}
	for _, db := range browserDatabases {
		t.Run(db.name, func(t *testing.T) {
			// A shop (and its sandbox) for each screen, so that each run
			// pages through the orders it made.
			for _, vp := range viewports {
				t.Run(vp.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), sandboxGroupTimeout)
					defer cancel()
					e := &env{db: db.name, vp: vp}
					e.app = startApp(t, db.dsn(t))
					e.browser = newBrowser(t, ctx)
					for _, sc := range scenarios {
						t.Run(sc.name, func(t *testing.T) {
							sc.run(t, e, newShots(t, filepath.Join(db.name, vp.name), sc.name))
						})
					}
				})
			}
		})
	}
}

// sandboxDashboard: the bank sandbox's dashboard with more orders than a
// page holds: newest first, paged, found by a part of the OrderNo; a
// transfer from it says so in zh-TW and in English, in ATM words; and no
// sandbox page shows a message written into its URL.
func sandboxDashboard(t *testing.T, e *env, s *shots) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	hash, err := funbiz.ParseHash(proctest.DemoHash)
	if err != nil {
		t.Fatal(err)
	}
	bank := sandbox.NewControlClient(e.app.SandboxURL, nil)
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.APIURL(), ShopNo: proctest.DemoShopNo, Hash: hash})
	if err != nil {
		t.Fatal(err)
	}
	// 22 ATM orders: two pages.
	prefix := fmt.Sprintf("D%d", time.Now().UnixNano()%1e9)
	var newest, account string
	for i := 1; i <= 22; i++ {
		no := fmt.Sprintf("%s%02d", prefix, i)
		res, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: no, Amount: 100 + int64(i), PayType: funbiz.PayTypeATM,
			PrdtName: "dashboard", ATM: &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(time.Now().AddDate(0, 0, 3))}})
		if err != nil {
			t.Fatal(err)
		}
		newest = no
		if i == 7 {
			account = res.ATM.AtmPayNo
		}
	}
	seventh := prefix + "07"

	b := e.newTab(t, s, "")
	b.open(e.app.SandboxURL+"/_sandbox/?lang=zh-TW", 200)
	b.waitFor("the dashboard's first page", `document.querySelectorAll("#orders-table tbody tr").length === 20`)
	if got, _ := eval[string](b, `document.querySelector("#orders-table tbody tr").dataset.order`); got != newest {
		b.fatalf("the first order listed is %q, want the newest, %s", got, newest)
	}
	if got := b.text("#orders-pager .page-of"); !strings.HasPrefix(got, "第 1／") {
		b.fatalf("the orders' pager says %q", got)
	}
	b.shot("dashboard-page-1")
	b.clickNav("the next page", "#orders-pager a.next", 200)
	b.waitFor("the second page", `location.search.includes("page=2") && document.querySelector("#orders-pager .page-of[data-page='2']")`)
	if n, _ := eval[int](b, `document.querySelectorAll("#orders-table tbody tr").length`); n < 2 {
		b.fatalf("the second page lists %d orders", n)
	}
	b.shot("dashboard-page-2")

	// Search by a part of the OrderNo, in lower case.
	b.fillInput("q", strings.ToLower(seventh[len(seventh)-6:]))
	b.clickNav("search", "#search-go", 200)
	b.waitFor("one order found", fmt.Sprintf(`document.querySelectorAll("#orders-table tbody tr").length === 1 && document.querySelector('#orders-table tr[data-order=%s]')`, jsString(seventh)))
	b.shot("dashboard-search")

	// Transfer from the dashboard: the message and the payment in zh-TW.
	b.clickNav("transfer", fmt.Sprintf(`#orders-table tr[data-order=%s] form[action="/_sandbox/atm/transfer"] button`, jsString(seventh)), 200)
	b.waitFor("the transfer's message, back on the search", `document.querySelector("main .alert-success") && location.search.includes("q=")`)
	if got := b.text("main .alert-success"); got != "轉帳成功，訂單已付款。" {
		b.fatalf("the message after a transfer: %q", got)
	}
	row := fmt.Sprintf(`[...document.querySelectorAll("#payments-table tbody tr")].find(tr => tr.innerText.includes(%s))`, jsString(seventh))
	zhRow, _ := eval[string](b, row+`?.innerText ?? ""`)
	if !strings.Contains(zhRow, "轉帳入帳") || !strings.Contains(zhRow, "ATM 轉帳") || strings.Contains(zhRow, "授權成功") || strings.Contains(zhRow, "ATM transfer") {
		b.fatalf("the ATM payment in zh-TW: %q", zhRow)
	}
	b.shot("dashboard-transfer-zh")
	// The message was for that page only.
	b.open(e.app.SandboxURL+"/_sandbox/?q="+url.QueryEscape(seventh), 200)
	if n, _ := eval[int](b, `document.querySelectorAll("main .alert").length`); n != 0 {
		b.fatalf("the message shows again: %s", b.text("main .alert"))
	}

	// English.
	b.open(e.app.SandboxURL+"/_sandbox/?lang=en&q="+url.QueryEscape(seventh), 200)
	enRow, _ := eval[string](b, row+`?.innerText ?? ""`)
	if !strings.Contains(enRow, "Transfer received") || !strings.Contains(enRow, "ATM transfer") || strings.Contains(enRow, "Approved") {
		b.fatalf("the ATM payment in English: %q", enRow)
	}
	if got := b.text("#search-result"); !strings.Contains(got, seventh[len(seventh)-6:]) {
		b.fatalf("the search in English: %q", got)
	}
	b.shot("dashboard-en")
	// The paid account's ATM page, in English.
	b.open(e.app.SandboxURL+"/_sandbox/atm/"+account, 200)
	b.shot("atm-paid-en")

	// Messages written into the URL are not shown, on any page, in
	// either language.
	forged := url.Values{"flash": {"你的帳號已凍結"}, "error": {"Your account is frozen"}}.Encode()
	for _, lang := range []string{"en", "zh-TW"} {
		for _, path := range []string{"/_sandbox/", "/_sandbox/atm/" + account} {
			b.open(e.app.SandboxURL+path+"?lang="+lang+"&"+forged, 200)
			if body := b.text("body"); strings.Contains(body, "凍結") || strings.Contains(body, "frozen") {
				b.fatalf("%s %s shows the URL's message", lang, path)
			}
			if n, _ := eval[int](b, `document.querySelectorAll("main .alert-success, main .alert-danger").length`); n != 0 {
				b.fatalf("%s %s shows a message: %s", lang, path, b.text("main .alert"))
			}
		}
	}
	b.shot("dashboard-forged-url")
}
