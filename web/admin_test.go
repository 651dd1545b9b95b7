package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
)

// manualCapture makes a rig whose card orders wait for the back office's
// capture.
func manualCapture(p *payment.Config, _ *Config) { p.CardCapture = shop.CaptureManual }

// adminBrowser makes email an admin and logs in as it.
func (r *rig) adminBrowser(email string) *browser {
	r.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.db.MakeAdmin(context.Background(), email, string(hash), time.Now()); err != nil {
		r.t.Fatal(err)
	}
	b := r.browser()
	p := b.post("/login", url.Values{"email": {email}, "password": {"correct horse"}, "next": {"/admin/"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/" {
		r.t.Fatalf("admin login: %d %q", p.Status, p.Location)
	}
	return b
}

// paidCard buys the dinner suit (NT$4,900) by card and pays it at the bank.
func (r *rig) paidCard(b *browser) *shop.Order {
	r.t.Helper()
	o := b.order(map[string]int{"suit-dachshund": 1}, shop.PayCard)
	r.bank.PayCard(o.No, sandbox.OutcomeSuccess)
	r.eventually("the card order paid", func() bool {
		got, _ := r.db.OrderByNo(context.Background(), o.No)
		return got.Status == shop.StatusPaid
	})
	got, _ := r.db.OrderByNo(context.Background(), o.No)
	return got
}

// The back office answers a visitor with the login page and a customer
// with the shop's own 404 page, on every path under /admin/, known or not.
func TestAdminIsHidden(t *testing.T) {
	r := newRig(t)
	visitor, customer, admin := r.browser(), r.signup("c@example.com"), r.adminBrowser("boss@example.com")
	// The 404 page links to the login with the page's own path, names
	// that path as its canonical URL and shows the request's id; apart
	// from that it is the same page.
	nextRE := regexp.MustCompile(`next=[^"]*"|<code>[a-z]{16}</code>|<link rel="canonical" href="[^"]*">`)
	notFound := nextRE.ReplaceAllString(customer.get("/no-such-page").Body, "")
	for _, path := range []string{"/admin/", "/admin/orders", "/admin/orders/K1", "/admin/orders/K1/refund", "/admin/jobs",
		"/admin/paytokens", "/admin/reports", "/admin/reports/1", "/admin/reports/1/csv", "/admin/nothing-here"} {
		p := visitor.get(path)
		if p.Status != http.StatusSeeOther || p.Location != loginURL(path) {
			t.Errorf("visitor %s: %d %q", path, p.Status, p.Location)
		}
		p = customer.get(path)
		if body := nextRE.ReplaceAllString(p.Body, ""); p.Status != http.StatusNotFound || body != notFound {
			t.Errorf("customer %s: %d, and the page differs from the shop's 404: %v", path, p.Status, body != notFound)
		}
	}
	for _, path := range []string{"/admin/jobs/1/retry", "/admin/paytokens/1/retry", "/admin/reports", "/admin/orders/K1/refund", "/admin/orders/K1/ops/1/settle"} {
		if p := customer.post(path, url.Values{"day": {"2026-01-01"}}); p.Status != http.StatusNotFound {
			t.Errorf("customer POST %s: %d", path, p.Status)
		}
	}
	if p := admin.get("/admin/"); p.Status != http.StatusSeeOther || p.Location != "/admin/orders" {
		t.Errorf("admin /admin/: %d %q", p.Status, p.Location)
	}
	if p := admin.get("/admin/nothing-here"); p.Status != http.StatusNotFound {
		t.Errorf("admin, unknown page: %d", p.Status)
	}
	// Only an admin's navigation bar links to the back office.
	mustContain(t, admin.get("/").Body, `href="/admin/orders"`)
	mustNotContain(t, customer.get("/").Body, `/admin/`)
}

func TestAdminOrderList(t *testing.T) {
	today := waitfor.DayLeft(t, funbiz.Taipei, time.Minute)
	r := newRig(t)
	alice, bob := r.signup("alice@example.com"), r.signup("bob@example.com")
	a1 := alice.order(map[string]int{"bone-matcha": 1}, shop.PayATM)
	b1 := bob.order(map[string]int{"bowl-hiphop": 1}, shop.PayATM)
	b2 := r.paidCard(bob)
	admin := r.adminBrowser("boss@example.com")

	p := admin.get("/admin/orders")
	mustContain(t, p.Body, a1.No, b1.No, b2.No, "alice@example.com", "共 3 筆")
	p = admin.get("/admin/orders?customer=BOB")
	mustContain(t, p.Body, b1.No, b2.No, "共 2 筆")
	mustNotContain(t, p.Body, a1.No)
	p = admin.get("/admin/orders?status=S&pay_type=C")
	mustContain(t, p.Body, b2.No, "共 1 筆", `<option value="S" selected>`)
	tomorrow := time.Now().In(funbiz.Taipei).AddDate(0, 0, 1).Format(time.DateOnly)
	mustContain(t, admin.get("/admin/orders?from="+today+"&to="+today).Body, "共 3 筆")
	mustContain(t, admin.get("/admin/orders?from="+tomorrow).Body, "共 0 筆", "沒有符合條件的訂單")
	mustContain(t, admin.get("/admin/orders?no="+a1.No[:12]).Body, a1.No)
	// Nonsense filters are dropped, not errors.
	mustContain(t, admin.get("/admin/orders?status=Z&pay_type=Q&from=yesterday").Body, "共 3 筆")

	// Paging keeps the filters.
	for i := range 26 {
		alice.order(map[string]int{"bone-matcha": i%3 + 1}, shop.PayATM)
	}
	p = admin.get("/admin/orders?customer=alice")
	mustContain(t, p.Body, "共 27 筆", `href="/admin/orders?customer=alice&amp;page=2"`)
	mustContain(t, admin.get("/admin/orders?customer=alice&page=2").Body, a1.No)
	if p := admin.get("/admin/orders?customer=alice&page=9"); p.Status != http.StatusSeeOther || p.Location != "/admin/orders?customer=alice&page=2" {
		t.Errorf("page past the end: %d %q", p.Status, p.Location)
	}
}

var keyRE = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)

// opForm opens an operation's confirmation form and returns its key.
func opForm(t *testing.T, b *browser, no string, op shop.Op) string {
	t.Helper()
	p := b.get("/admin/orders/" + no + "/" + string(op))
	m := keyRE.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("%s form: %d\n%s", op, p.Status, p.Body)
	}
	return m[1]
}

// A manual-capture card order through the back office: the bank's view
// beside ours, capture, a partial refund sent twice (one refund), a refund
// too large and one without a reason (refused, nothing recorded), the
// whole rest; the timeline and the bank follow.
func TestAdminCaptureAndRefund(t *testing.T) {
	r := newRig(t, manualCapture)
	customer := r.signup("c@example.com")
	o := r.paidCard(customer)
	admin := r.adminBrowser("boss@example.com")
	ctx := context.Background()

	p := admin.get("/admin/orders/" + o.No)
	mustContain(t, p.Body, `id="awaiting-capture"`, `data-status="1C300"`, "已授權、未請款 (1C300)", `id="do-capture"`, `id="do-cancel"`, "c@example.com")
	mustNotContain(t, p.Body, `id="do-refund"`)
	// The form of an operation the order cannot take says why.
	if p := admin.get("/admin/orders/" + o.No + "/refund"); p.Status != http.StatusConflict {
		t.Errorf("refund form before capture: %d", p.Status)
	}

	key := opForm(t, admin, o.No, shop.OpCapture)
	p = admin.post("/admin/orders/"+o.No+"/capture", url.Values{"key": {key}, "amount": {"4900"}, "reason": {"shipped"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/orders/"+o.No+"?op=") {
		t.Fatalf("capture: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	p = admin.follow(p)
	mustContain(t, p.Body, `id="flash" data-state="done"`, "請款 NT$4,900 已完成", `data-status="1C400"`, `id="do-refund"`)

	key = opForm(t, admin, o.No, shop.OpRefund)
	form := url.Values{"key": {key}, "amount": {"1000"}, "reason": {"a scratch on the suit"}}
	first := admin.post("/admin/orders/"+o.No+"/refund", form)
	second := admin.post("/admin/orders/"+o.No+"/refund", form)
	if first.Status != http.StatusSeeOther || second.Location != first.Location {
		t.Fatalf("the same form twice: %d %q, then %q", first.Status, first.Location, second.Location)
	}
	got, _ := r.db.OrderByNo(ctx, o.No)
	if got.Refunded != 1000 || got.Status != shop.StatusPaid {
		t.Fatalf("after the partial refund: %+v", got)
	}
	mustContain(t, admin.follow(first).Body, "退款 NT$1,000 已完成", `id="refundable">NT$3,900`, `data-event="part_refunded"`, "boss@example.com: a scratch on the suit")

	key = opForm(t, admin, o.No, shop.OpRefund)
	p = admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {key}, "amount": {"3901"}, "reason": {"too much"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("refund over what is left: %d", p.Status)
	}
	mustContain(t, p.Body, `id="op-error"`, "退款金額不能超過", `value="`+key+`"`, "too much", `aria-describedby="amount-max op-error" aria-invalid="true"`)
	mustNotContain(t, p.Body, `alert alert-danger`)
	p = admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {key}, "amount": {"100"}, "reason": {" "}})
	mustContain(t, p.Body, "請填寫原因", `aria-invalid="true" aria-describedby="op-error"`)
	p = admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {key}, "amount": {"abc"}, "reason": {"x"}})
	mustContain(t, p.Body, "金額不正確")
	p = admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {"not-a-key"}, "amount": {"100"}, "reason": {"x"}})
	mustContain(t, p.Body, "確認表單已失效")
	if ops, _ := r.pay.Ops(ctx, o.ID); len(ops) != 2 {
		t.Fatalf("refused forms recorded operations: %d", len(ops))
	}

	p = admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {key}, "amount": {"3900"}, "reason": {"returned"}})
	p = admin.follow(p)
	mustContain(t, p.Body, `data-status="R"`, `id="no-actions"`, `data-event="refunded"`, "boss@example.com: returned")
	info, _, err := r.pay.BankOrder(ctx, o)
	if err != nil || info.RefundFlag != "Y" {
		t.Fatalf("the bank's view after refunds: %+v %v", info, err)
	}
	// The customer's own page shows the timeline too, without the notes.
	mustContain(t, customer.get("/orders/"+o.No).Body, "部分退款", "已退款")
	mustNotContain(t, customer.get("/orders/"+o.No).Body, "boss@example.com", "a scratch")
}

func TestAdminCancel(t *testing.T) {
	r := newRig(t, manualCapture)
	o := r.paidCard(r.signup("c@example.com"))
	admin := r.adminBrowser("boss@example.com")
	key := opForm(t, admin, o.No, shop.OpCancel)
	p := admin.follow(admin.post("/admin/orders/"+o.No+"/cancel", url.Values{"key": {key}, "reason": {"out of stock"}}))
	mustContain(t, p.Body, `data-status="R"`, `data-status="1C351"`, `data-event="cancelled"`, "已取消授權")
}

// The report of a day on screen and as CSV: UTF-8 with a byte-order mark,
// in the admin's language.
func TestAdminReport(t *testing.T) {
	today := waitfor.DayLeft(t, funbiz.Taipei, time.Minute)
	r := newRig(t)
	o := r.paidCard(r.signup("c@example.com"))
	admin := r.adminBrowser("boss@example.com")
	mustContain(t, admin.get("/admin/reports").Body, "還沒有報表", `max="`+today+`"`)

	p := admin.post("/admin/reports", url.Values{"day": {today}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/reports/") {
		t.Fatalf("run: %d %q %s", p.Status, p.Location, p.Body)
	}
	page := admin.follow(p)
	mustContain(t, page.Body, `data-no="`+o.No+`" data-verdict="matched"`, `text-bg-success" data-verdict="matched" data-count="1">相符: 1`, `id="unsettled"`,
		// Verdicts no row has are neutral, not red.
		`text-bg-light border zero" data-verdict="missing_shop" data-count="0">`,
		// The day's totals: per pay type, then of all.
		`id="totals"`, "當日合計", `<tr data-pay-type="C">`, `<tr data-pay-type="all" class="fw-bold border-top">`,
		`<td class="text-end net">NT$4,900.00</td>`, "淨撥款", "銀行尚未撥款")
	mustNotContain(t, page.Body, `text-bg-danger" data-verdict`)

	csvPage := admin.get(p.Location + "/csv")
	if ct := csvPage.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.HasPrefix(csvPage.Body, "\uFEFF") ||
		!strings.Contains(csvPage.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %q %q %q", ct, csvPage.Header.Get("Content-Disposition"), csvPage.Body[:min(20, len(csvPage.Body))])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvPage.Body, "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("CSV rows: %v %v", rows, err)
	}
	want := [][]string{
		{"相符", "", o.No, "信用卡", "4900", "0", "付款成功", "4900", "0", "已請款 (1C400)", "", "", "4900.00"},
		{"合計", "訂單 1 筆", "", "信用卡", "4900", "0", "", "4900", "0", "", "", "0.00", "4900.00"},
		{"合計", "訂單 1 筆", "", "全部", "4900", "0", "", "4900", "0", "", "", "0.00", "4900.00"},
	}
	if rows[0][0] != "結果" || rows[0][12] != "淨撥款" || fmt.Sprint(rows[1:]) != fmt.Sprint(want) {
		t.Fatalf("CSV:\n%q\nwant\n%q", rows, want)
	}
	admin.header.Set("Cookie", "lang=en")
	defer admin.header.Del("Cookie")
	en := admin.get(p.Location + "/csv")
	mustContain(t, en.Body, "Verdict,Why,Order number", "Matched", ",Fee,Net settled\n", "\nTotal,orders: 1,,Credit card,4900,0,,4900,0,,,0.00,4900.00\nTotal,orders: 1,,All,")
	mustContain(t, admin.get(p.Location).Body, "Day totals", "Net settled", `<td>All</td>`, "Not settled yet")

	for _, bad := range []string{"", "2026-02-30", "tomorrow"} {
		if p := admin.post("/admin/reports", url.Values{"day": {bad}}); p.Status != http.StatusBadRequest {
			t.Errorf("day %q: %d", bad, p.Status)
		}
	}
	future := time.Now().In(funbiz.Taipei).AddDate(0, 0, 2).Format(time.DateOnly)
	mustContain(t, admin.post("/admin/reports", url.Values{"day": {future}}).Body, "A day in the future cannot be reconciled")
	mustContain(t, admin.get("/admin/reports").Body, `href="/admin/reports/`, "/csv")
}

// A settlement whose amounts came in an undocumented form shows the
// bank's own text beside the reading, on the page and in the CSV.
func TestAdminReportDoubtfulAmounts(t *testing.T) {
	r := newRig(t)
	admin := r.adminBrowser("boss@example.com")
	rep := &shop.Report{Day: "20260301", Source: shop.ReportBySchedule, Counts: map[shop.Verdict]int{shop.VerdictMatched: 1},
		Rows: []shop.ReportRow{{OrderNo: "K1", PayType: shop.PayCard, OurCollected: 4900, OurStatus: shop.StatusPaid,
			BankCollected: 4900, BankStatus: "1C900", Verdict: shop.VerdictMatched, AllotNo: "AL1", FeeCents: 12250, FeeRaw: "122.5"}},
		Settlements: []shop.Settlement{{AllotNo: "AL1", AllotDate: "20260302", PayType: shop.PayCard, PayAmount: 4900,
			FeeCents: 12250, AllotAmountCents: 477750, Doubts: []string{"PayAmount 4900.00", "FeeAmount 122.5"}}}}
	if err := r.db.SaveReport(context.Background(), rep, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	page := admin.get(fmt.Sprintf("/admin/reports/%d", rep.ID))
	mustContain(t, page.Body, `class="doubt"`, "<code>PayAmount 4900.00</code>", "<code>FeeAmount 122.5</code>", "銀行原文 122.5", "已請款、已撥款")
	csvPage := admin.get(fmt.Sprintf("/admin/reports/%d/csv", rep.ID))
	mustContain(t, csvPage.Body, "銀行原文 122.5")
}

// A failing job shows on the jobs page with its error; the retry button
// runs it again. A callback whose confirmation fails is confirmed later.
func TestAdminJobRetry(t *testing.T) {
	r := newRig(t)
	admin := r.adminBrowser("boss@example.com")
	ctx := context.Background()
	// The bank fails every call for a while: the day's report and the
	// confirmation fail.
	if err := r.bank.Sandbox.ArmChaos(sandbox.ChaosInput{API: "500", Count: 1000}); err != nil {
		t.Fatal(err)
	}
	delivery, err := r.pay.RecordCallback(ctx, funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: strings.Repeat("ab", 32)}, shop.SourceNotify, 0)
	if err != nil {
		t.Fatal(err)
	}
	day := funbiz.FormatDate(time.Now().In(funbiz.Taipei).AddDate(0, 0, -1))
	if _, err := r.pay.Queue().Insert(ctx, reconcile.ReportArgs{Day: day}); err != nil {
		t.Fatal(err)
	}
	var job shop.Job
	r.eventually("the report to fail", func() bool {
		jobs, err := r.pay.Queue().List(ctx, shop.JobRetryable, 100)
		for _, j := range jobs {
			if err == nil && j.Kind == "reconciliation_report" {
				job = j
				return true
			}
		}
		return false
	})
	r.eventually("the confirmation to fail twice", func() bool {
		got, _ := r.db.PayTokenByID(ctx, delivery.ID)
		return got.Attempts > 1 && got.ProcessedAt.IsZero()
	})
	mustContain(t, admin.get("/admin/paytokens").Body, `data-attempts="`, "未能向銀行確認",
		fmt.Sprintf(`action="/admin/paytokens/%d/retry"`, delivery.ID), "立即重試")
	// Its next try an hour away, as after many failures: "try now" makes
	// it the workers' next work, which fails again while the bank does.
	// Moved only while it waits on its backoff (due within a minute, not
	// yet): not while a worker holds it (2 minutes), who would give it
	// back with its own next try.
	r.eventually("the confirmation waiting on its backoff", func() bool {
		now := time.Now().UnixMilli()
		res, err := r.db.SQL.ExecContext(ctx, `UPDATE pay_tokens SET lease_until = $1 WHERE id = $2 AND lease_until > $3 AND lease_until < $4`,
			now+time.Hour.Milliseconds(), delivery.ID, now, now+time.Minute.Milliseconds())
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.RowsAffected()
		return n == 1
	})
	before, _ := r.db.PayTokenByID(ctx, delivery.ID)
	p := admin.post(fmt.Sprintf("/admin/paytokens/%d/retry", delivery.ID), url.Values{"q": {"abab"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/paytokens?q=abab" {
		t.Fatalf("try now: %d %q", p.Status, p.Location)
	}
	r.eventually("the confirmation tried at once", func() bool {
		got, _ := r.db.PayTokenByID(ctx, delivery.ID)
		return got.Attempts > before.Attempts
	})
	p = admin.get("/admin/jobs")
	mustContain(t, p.Body, fmt.Sprintf(`data-job="%d"`, job.ID), "reconciliation_report", "retry", `data-state="retryable"`)
	if err := r.bank.Sandbox.ArmChaos(sandbox.ChaosInput{Clear: true}); err != nil {
		t.Fatal(err)
	}
	p = admin.post(fmt.Sprintf("/admin/jobs/%d/retry", job.ID), url.Values{"state": {"retryable"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/jobs?state=retryable" {
		t.Fatalf("retry: %d %q", p.Status, p.Location)
	}
	// Once the bank is back, "try now" brings the confirmation forward
	// (it may have been tried on its own already: then it is confirmed).
	p = admin.post(fmt.Sprintf("/admin/paytokens/%d/retry", delivery.ID), url.Values{"q": {"abab"}})
	if p.Status != http.StatusSeeOther && p.Status != http.StatusNotFound {
		t.Fatalf("try now: %d %q", p.Status, p.Location)
	}
	r.eventually("the confirmation tried again to finish", func() bool {
		got, _ := r.db.PayTokenByID(ctx, delivery.ID)
		return !got.ProcessedAt.IsZero()
	})
	if p := admin.post(fmt.Sprintf("/admin/paytokens/%d/retry", delivery.ID), nil); p.Status != http.StatusNotFound {
		t.Errorf("try now on a confirmed PayToken: %d", p.Status)
	}
	if p := admin.post("/admin/jobs/999999/retry", nil); p.Status != http.StatusNotFound {
		t.Errorf("retry of no job: %d", p.Status)
	}
	r.eventually("the retried job completed", func() bool {
		return strings.Contains(admin.get("/admin/jobs?state=completed").Body, fmt.Sprintf(`data-job="%d"`, job.ID))
	})
	mustContain(t, admin.get("/admin/paytokens").Body, strings.Repeat("ab", 32), `data-outcome="refused`, "銀行不認得這個 PayToken")
	mustContain(t, admin.get("/admin/paytokens?q=abab").Body, "共 1 筆")
}

func TestMetricsAndReadiness(t *testing.T) {
	r := newRig(t, func(_ *payment.Config, c *Config) { c.ServeMetrics = true })
	b := r.signup("c@example.com")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayATM)
	r.bank.Transfer(o.Bank.AtmPayNo, 750)
	r.eventually("the ATM order paid", func() bool {
		got, _ := r.db.OrderByNo(context.Background(), o.No)
		return got.Status == shop.StatusPaid
	})
	if p := b.get("/readyz"); p.Status != http.StatusOK || p.Body != "database: ok\nbank: ok\n" {
		t.Fatalf("readyz: %d %q", p.Status, p.Body)
	}
	m := r.browser().get("/metrics")
	if m.Status != http.StatusOK {
		t.Fatalf("metrics: %d", m.Status)
	}
	for _, want := range []string{
		`sinopay_http_request_duration_seconds_count{code="200",route="GET /checkout"} 1`,
		`sinopay_http_request_duration_seconds_count{code="303",route="POST /checkout"} 1`,
		`sinopay_notifications_received_total 1`,
		`sinopay_notifications_acknowledged_total 1`,
		`sinopay_bank_requests_total{outcome="ok",service="OrderCreate"} 0`, // the rig's bank client is not instrumented
		`sinopay_orders{status="S"} 1`,
		`sinopay_orders_awaiting_capture 0`,
		`sinopay_jobs{state="completed"}`,
		`sinopay_callbacks_waiting{lane="known"} `,
		`sinopay_callbacks_waiting{lane="other"} 0`,
		`sinopay_mail{status="queued"} 2`, // the rig runs no outbox: received and paid wait
		`sinopay_mail{status="failed"} 0`,
		`go_sql_open_connections{db_name="sqlite"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// An order number never becomes a label.
	mustNotContain(t, m.Body, o.No)

	// Without the bank: not ready (the bank's last answer is kept a few
	// seconds, so a fresh rig).
	r2 := newRig(t)
	r2.bank.Server.Close()
	if p := r2.browser().get("/readyz"); p.Status != http.StatusServiceUnavailable || p.Body != "database: ok\nbank: unavailable\n" {
		t.Fatalf("readyz without the bank: %d %q", p.Status, p.Body)
	}
	if p := r2.browser().get("/healthz"); p.Status != http.StatusOK {
		t.Fatalf("healthz without the bank: %d", p.Status)
	}
	if p := r2.browser().get("/metrics"); p.Status != http.StatusNotFound {
		t.Fatalf("metrics off the shop's handler: %d", p.Status)
	}
}

// The bank's transport counts and times every request by its APIService,
// Nonce included, and tells failures apart.
func TestBankTransport(t *testing.T) {
	r := newRig(t)
	m := NewMetrics(r.db, r.pay.Queue(), nil)
	bank := r.bank
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.URL, ShopNo: bank.ShopNo, Hash: bank.Hash,
		HTTPClient: &http.Client{Transport: m.BankTransport(nil), Timeout: 5 * time.Second},
		Retry:      funbiz.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := client.FindOrder(ctx, "K1"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.BillQuery(ctx, funbiz.FormatDate(time.Now())); err != nil {
		t.Fatal(err)
	}
	bank.Sandbox.ArmChaos(sandbox.ChaosInput{API: "500", Count: 2})
	if _, err := client.BillQuery(ctx, funbiz.FormatDate(time.Now())); err == nil {
		t.Fatal("BillQuery through two 500s succeeded")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`sinopay_bank_requests_total{outcome="ok",service="Nonce"} 4`,
		`sinopay_bank_requests_total{outcome="ok",service="OrderQuery"} 1`,
		`sinopay_bank_requests_total{outcome="ok",service="BillQuery"} 1`,
		`sinopay_bank_requests_total{outcome="http_error",service="BillQuery"} 2`,
		`sinopay_bank_request_duration_seconds_count{service="BillQuery"} 3`,
		`sinopay_bank_requests_total{outcome="transport_error",service="OrderMaintain"} 0`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A PayToken delivered twice (the bank's notification, then the browser's
// return) reads in the PayToken log as what happened: the return reused
// the notification's answer, named by its source and time, in both
// languages, with a link to it.
func TestAdminPayTokenLogRepeat(t *testing.T) {
	r := newRig(t)
	admin := r.adminBrowser("boss@example.com")
	b := r.signup("twice@example.com")
	o := b.order(map[string]int{"bone-matcha": 1}, shop.PayCard)
	tok := r.bank.PayCard(o.No, sandbox.OutcomeSuccess)
	ctx := context.Background()
	var deliveries []*shop.Delivery
	processed := func(n int) bool {
		deliveries, _ = r.db.PayTokens(ctx, o.No, 10)
		for _, d := range deliveries {
			if !d.Processed() {
				return false
			}
		}
		return len(deliveries) == n
	}
	r.eventually("the notification confirmed", func() bool { return processed(1) })
	notify := deliveries[0]
	r.bankReturn(tok)
	r.eventually("the return confirmed", func() bool { return processed(2) })
	if ret := deliveries[0]; ret.Source != shop.SourceReturn || ret.Outcome.Repeats == nil || ret.Outcome.Repeats.ID != notify.ID {
		t.Fatalf("the return's outcome: %+v", ret.Outcome)
	}

	when := locale.When(notify.ReceivedAt)
	link := `href="/admin/paytokens?q=` + tok + `#d-` + notify.Ref + `"`
	p := admin.get("/admin/paytokens?q=" + tok)
	mustContain(t, p.Body, "付款成功（已由 "+when+" 的銀行通知確認）", link, `id="d-`+notify.Ref+`"`)
	mustNotContain(t, p.Body, "未知（")
	mustContain(t, admin.get("/admin/orders/"+o.No).Body, "付款成功（已由 "+when+" 的銀行通知確認）", `href="#d-`+notify.Ref+`"`)
	admin.header.Set("Cookie", "lang=en")
	defer admin.header.Del("Cookie")
	p = admin.get("/admin/paytokens?q=" + tok)
	mustContain(t, p.Body, "Paid (already confirmed by the bank notification of "+when+")", link)
	mustNotContain(t, p.Body, "unknown (")
}

// paidATM buys two bones by ATM and pays them at the bank.
func (r *rig) paidATM(b *browser) *shop.Order {
	r.t.Helper()
	o := b.order(map[string]int{"bone-matcha": 2}, shop.PayATM)
	r.bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
	r.eventually("the ATM order paid", func() bool {
		got, _ := r.db.OrderByNo(context.Background(), o.No)
		return got.Status == shop.StatusPaid
	})
	got, _ := r.db.OrderByNo(context.Background(), o.No)
	return got
}

// The back office offers an ATM order no refund, which the bank's API
// cannot do, and says what to do instead; the refund form's address,
// opened anyway, refuses in the back office's own layout, in both
// languages.
func TestAdminATMOrderHasNoRefund(t *testing.T) {
	r := newRig(t)
	o := r.paidATM(r.signup("c@example.com"))
	admin := r.adminBrowser("boss@example.com")
	for _, c := range []struct {
		lang            string
		note, refusal   string
		navOrders, back string
	}{
		{locale.ZH, "由商店自己的帳戶匯款", "銀行的 API 無法退還 ATM 轉帳", "所有訂單", "回上一步"},
		{locale.EN, "transfer the money from the shop&#39;s own account", "the bank&#39;s API cannot refund an ATM transfer", "All orders", "Go back"},
	} {
		admin.header.Set("Cookie", "lang="+c.lang)
		p := admin.get("/admin/orders/" + o.No)
		mustContain(t, p.Body, `data-status="S"`, `id="no-actions"`, `id="atm-refund"`, c.note)
		// Nothing is "refundable" through the bank.
		mustNotContain(t, p.Body, `id="do-refund"`, `id="do-capture"`, `id="do-cancel"`, `id="refundable"`)
		for _, op := range shop.Ops {
			p = admin.get("/admin/orders/" + o.No + "/" + string(op))
			if p.Status != http.StatusConflict {
				t.Errorf("%s: the %s form of an ATM order: %d", c.lang, op, p.Status)
			}
			mustContain(t, p.Body, `id="admin-nav"`, `id="admin-error"`, c.refusal, `id="hint"`, c.note,
				`id="back" href="/admin/orders/`+o.No+`"`, c.navOrders, c.back)
			mustNotContain(t, p.Body, `href="/cart"`)
		}
		// A post made anyway is refused the same way, and records nothing.
		p = admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {strings.Repeat("a", 32)}, "amount": {"100"}, "reason": {"x"}})
		if p.Status != http.StatusConflict {
			t.Errorf("%s: refund posted on an ATM order: %d", c.lang, p.Status)
		}
		mustContain(t, p.Body, `id="admin-nav"`, c.refusal)
	}
	admin.header.Del("Cookie")
	if ops, _ := r.pay.Ops(context.Background(), o.ID); len(ops) != 0 {
		t.Fatalf("refused ATM refunds recorded operations: %+v", ops)
	}
	// An order, a page, an operation or a report the back office does
	// not have is its own 404, in its layout.
	for _, path := range []string{"/admin/orders/NOSUCHORDER", "/admin/nothing-here", "/admin/orders/" + o.No + "/bogus", "/admin/reports/x"} {
		p := admin.get(path)
		if p.Status != http.StatusNotFound {
			t.Fatalf("%s: %d", path, p.Status)
		}
		mustContain(t, p.Body, `id="admin-nav"`, `id="admin-error"`, "找不到這個頁面或訂單")
	}
}

// A refused operation form comes back with what was typed, as typed: the
// amount (over what is left, or not a number) and the reason, in both
// languages.
func TestAdminOpFormKeepsWhatWasTyped(t *testing.T) {
	r := newRig(t, manualCapture)
	o := r.paidCard(r.signup("c@example.com"))
	admin := r.adminBrowser("boss@example.com")
	for _, c := range []struct{ lang, tooMuch, badAmount string }{
		{locale.ZH, "請款金額不能超過授權金額", "金額不正確"},
		{locale.EN, "A capture cannot be more than the authorised amount", "That amount is not right"},
	} {
		admin.header.Set("Cookie", "lang="+c.lang)
		key := opForm(t, admin, o.No, shop.OpCapture)
		p := admin.post("/admin/orders/"+o.No+"/capture", url.Values{"key": {key}, "amount": {"4901"}, "reason": {"shipped 已出貨"}})
		if p.Status != http.StatusBadRequest {
			t.Fatalf("%s: capture over the authorisation: %d", c.lang, p.Status)
		}
		mustContain(t, p.Body, `id="admin-nav"`, `id="op-error"`, c.tooMuch, `id="amount" name="amount" value="4901"`, ">shipped 已出貨</textarea>", `value="`+key+`"`)
		p = admin.post("/admin/orders/"+o.No+"/capture", url.Values{"key": {key}, "amount": {"12x"}, "reason": {"shipped"}})
		mustContain(t, p.Body, c.badAmount, `id="amount" name="amount" value="12x"`)
		p = admin.post("/admin/orders/"+o.No+"/capture", url.Values{"key": {key}, "amount": {"1,000"}, "reason": {" "}})
		mustContain(t, p.Body, `id="amount" name="amount" value="1,000"`)
	}
	admin.header.Del("Cookie")
	// Capture it, then over-refund: the refund form keeps the amount too.
	key := opForm(t, admin, o.No, shop.OpCapture)
	admin.post("/admin/orders/"+o.No+"/capture", url.Values{"key": {key}, "amount": {"4900"}, "reason": {"shipped"}})
	key = opForm(t, admin, o.No, shop.OpRefund)
	p := admin.post("/admin/orders/"+o.No+"/refund", url.Values{"key": {key}, "amount": {"5000"}, "reason": {"too much"}})
	mustContain(t, p.Body, "退款金額不能超過", `id="amount" name="amount" value="5000"`, ">too much</textarea>")
	if ops, _ := r.pay.Ops(context.Background(), o.ID); len(ops) != 1 {
		t.Fatalf("refused forms recorded operations: %d", len(ops))
	}
}
