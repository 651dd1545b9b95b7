package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// paidCard checks out a card order of NT$4,900 and pays it.
func paidCard(r *testrig.Rig) *shop.Order {
	r.T.Helper()
	return r.PayCard(r.Checkout(fmt.Sprintf("co-%d", time.Now().UnixNano()), shop.PayCard, shop.CartLine{ProductID: 2, Qty: 1}))
}

// The report sorts out every kind of difference.
func TestReconcileVerdicts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := testrig.New(t, testrig.Options{DB: db})
		ctx := context.Background()
		now := time.Now()
		matched := paidCard(r)

		// Money at the bank for an order we never had.
		client := r.Bank.Client()
		stranger, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: "X" + fmt.Sprint(now.UnixNano()%1e9), Amount: 500,
			PayType: funbiz.PayTypeATM, PrdtName: "stranger", ATM: &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(now.AddDate(0, 0, 3))}})
		if err != nil {
			t.Fatal(err)
		}
		r.Bank.Transfer(stranger.ATM.AtmPayNo, 500)

		// Our books say paid; the bank never saw the money.
		ghost, err := r.Pay.Checkout(ctx, r.Customer(), "ghost", []shop.CartLine{{ProductID: 1, Qty: 1}}, shop.PayATM)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ApplyEvent(ctx, ghost.ID, shop.EventPaid, storage.EventMeta{Source: "test"}, now); err != nil {
			t.Fatal(err)
		}

		// A refund our books have and the bank does not.
		differs := paidCard(r)
		rec, _, _, err := db.BeginOp(ctx, differs.No, shop.Operation{Key: "k", Op: shop.OpRefund, Amount: 100, Reason: "r", AdminID: r.Admin().ID, AdminEmail: r.Admin().Email}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, now); err != nil {
			t.Fatal(err)
		}

		rep, err := r.Recon.Reconcile(ctx, funbiz.FormatDate(now), shop.ReportBySchedule, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, row := range rep.Rows {
			got[row.OrderNo] = string(row.Verdict) + " " + row.Reason
		}
		want := map[string]string{
			matched.No:       "matched ",
			stranger.OrderNo: "missing_shop " + shop.ReasonNoOrder,
			ghost.No:         "missing_bank " + shop.ReasonNotAtBank,
			differs.No:       "differs " + shop.ReasonAmount,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("verdicts\n%v\nwant\n%v", got, want)
		}
		if rep.Rows[0].Verdict != shop.VerdictMissingShop || rep.Counts[shop.VerdictMatched] != 1 {
			t.Fatalf("order of rows or counts: %+v", rep)
		}

		// A day later the money is settled, and the report of the day says
		// by which settlement.
		r.Bank.Advance(24 * time.Hour)
		r.Clock.Advance(24 * time.Hour)
		if _, err := r.Recon.Reconcile(ctx, funbiz.FormatDate(now.AddDate(0, 0, 2)), shop.ReportBySchedule, ""); !shop.IsCode(err, shop.Invalid) {
			t.Fatalf("a day in the future: %v", err)
		}
		rep, err = r.Recon.Reconcile(ctx, funbiz.FormatDate(now), shop.ReportBySchedule, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unsettled || len(rep.Settlements) != 2 {
			t.Fatalf("settlements: %+v", rep.Settlements)
		}
		// Settled, the bank says 1C900 of the matched order: still matched.
		for _, row := range rep.Rows {
			if row.OrderNo == matched.No && (row.BankStatus != shop.PayStatus(funbiz.PayStatusCardSettled) || row.Verdict != shop.VerdictMatched) {
				t.Errorf("settled order: %s %s, want 1C900 and matched", row.BankStatus, row.Verdict)
			}
		}
		for _, row := range rep.Rows {
			if (row.OrderNo == matched.No || row.OrderNo == stranger.OrderNo) && (row.AllotNo == "" || row.FeeCents == 0) {
				t.Errorf("%s: settlement %q fee %d", row.OrderNo, row.AllotNo, row.FeeCents)
			}
		}
		list, err := r.Recon.Reports(ctx)
		if err != nil || len(list) != 2 || list[0].ID != rep.ID {
			t.Fatalf("reports: %v %v", list, err)
		}
	})
}

// The daily report's job reports the day before once, however many times
// it is enqueued (a second leader, a restart), and stores the report as
// the schedule's.
func TestDailyReportJobOncePerDay(t *testing.T) {
	now := time.Date(2026, 11, 27, 19, 30, 0, 0, time.UTC) // 03:30 on the 28th in Taipei
	r := testrig.New(t, testrig.Options{Pay: func(c *payment.Config) { c.Now = func() time.Time { return now } }})
	ctx := context.Background()
	for i := range 3 {
		args := r.Recon.DailyReport()
		if args.Day != "20261127" {
			t.Fatalf("the job reports %s, want the day before, 20261127", args.Day)
		}
		inserted, err := r.Pay.Queue().Insert(ctx, args)
		if err != nil {
			t.Fatal(err)
		}
		if inserted != (i == 0) {
			t.Fatalf("insert %d: inserted %v", i, inserted)
		}
	}
	r.Eventually("the scheduled report of 20261127", func() bool {
		list, err := r.Recon.Reports(ctx)
		if err != nil || len(list) > 1 {
			t.Fatalf("reports: %+v %v", list, err)
		}
		return len(list) == 1 && list[0].Day == "20261127" && list[0].Source == shop.ReportBySchedule
	})
}

// decimalAllots makes the bank's AllotQuery answers look like those of a
// bank whose amounts are C# decimals in NT$ (PROTOCOL §8.7 leaves the
// form open): 490000 becomes 4900.00, the fees "122.5".
type decimalAllots struct {
	next http.RoundTripper
	keys *funbiz.Keys
}

func (d decimalAllots) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/Order") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var env funbiz.Envelope
	if json.Unmarshal(body, &env) != nil || env.APIService != funbiz.ServiceAllotQuery {
		return resp, nil
	}
	plain, err := d.keys.Open(&env)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber()
	var msg map[string]any
	if err := dec.Decode(&msg); err != nil {
		return nil, err
	}
	asNTD := func(v any, quoted bool) any {
		n, _ := strconv.ParseInt(string(v.(json.Number)), 10, 64)
		s := fmt.Sprintf("%d.%02d", n/100, n%100)
		if quoted {
			return s
		}
		return json.Number(s)
	}
	for _, a := range msg["Allot"].([]any) {
		row := a.(map[string]any)
		for _, k := range []string{"PayAmount", "RefundAmount", "AllotAmount"} {
			row[k] = asNTD(row[k], false)
		}
		row["FeeAmount"] = asNTD(row["FeeAmount"], true)
		for _, it := range row["List"].([]any) {
			item := it.(map[string]any)
			item["Fee"] = asNTD(item["Fee"], true)
		}
	}
	sealed, err := d.keys.Seal(env.ShopNo, env.APIService, env.Nonce, msg)
	if err != nil {
		return nil, err
	}
	out, _ := json.Marshal(sealed)
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// A bank whose settlement amounts come as decimals (NT$) is read right,
// and the report shows the bank's own text beside each amount whose unit
// is a reading.
func TestReconcileDecimalSettlements(t *testing.T) {
	keys, err := funbiz.NewKeys(sandbox.DemoHash())
	if err != nil {
		t.Fatal(err)
	}
	r := testrig.New(t, testrig.Options{BankTransport: func(next http.RoundTripper) http.RoundTripper {
		return decimalAllots{next: next, keys: keys}
	}})
	ctx := context.Background()
	now := time.Now()
	paid := paidCard(r)
	r.Bank.Advance(24 * time.Hour)
	r.Clock.Advance(24 * time.Hour)
	rep, err := r.Recon.Reconcile(ctx, funbiz.FormatDate(now), shop.ReportBySchedule, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Settlements) != 1 {
		t.Fatalf("settlements: %+v", rep.Settlements)
	}
	st := rep.Settlements[0]
	// NT$4,900 at 2.5%: a fee of NT$122.50.
	if st.PayAmount != 4900 || st.FeeCents != 12250 || st.AllotAmountCents != 490000-12250 {
		t.Errorf("settlement read as %+v", st)
	}
	want := []string{"PayAmount 4900.00", "RefundAmount 0.00", "FeeAmount 122.50", "AllotAmount 4777.50"}
	if fmt.Sprint(st.Doubts) != fmt.Sprint(want) {
		t.Errorf("doubts %q, want %q", st.Doubts, want)
	}
	for _, row := range rep.Rows {
		if row.OrderNo == paid.No && (row.FeeCents != 12250 || row.FeeRaw != "122.50") {
			t.Errorf("row fee %d %q", row.FeeCents, row.FeeRaw)
		}
	}
}

// A payment the shop hears of only the next day (its notification lost,
// a sweep finds it) is money of the day the buyer paid, as the bank's
// statement says: matched in that day's report, absent from the next.
func TestReconcilePaymentHeardNextDay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := testrig.New(t, testrig.Options{DB: db})
		ctx := context.Background()
		o := r.Checkout("late", shop.PayATM, shop.CartLine{ProductID: 1, Qty: 1})
		if err := r.Bank.Sandbox.ArmChaos(sandbox.ChaosInput{OrderNo: o.No, Notify: "drop"}); err != nil {
			t.Fatal(err)
		}
		r.Bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
		info, found, err := r.Bank.Client().FindOrder(ctx, o.No)
		if err != nil || !found || len(info.PayDate) != 12 {
			t.Fatalf("the bank's order: %+v %v %v", info, found, err)
		}
		paidDay := info.PayDate[:8]

		r.Bank.Advance(24 * time.Hour)
		r.Clock.Advance(24 * time.Hour)
		if _, err := r.Pay.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		got := r.WaitStatus(o.No, shop.StatusPaid)
		evs, err := db.Events(ctx, got.ID)
		if err != nil || len(evs) != 1 || funbiz.FormatDate(evs[0].At) == paidDay {
			t.Fatalf("the shop did not hear of the payment on another day than the bank's %s: %+v %v", paidDay, evs, err)
		}

		rows := func(day string) map[string]string {
			t.Helper()
			rep, err := r.Recon.Reconcile(ctx, day, shop.ReportBySchedule, "")
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, row := range rep.Rows {
				m[row.OrderNo] = fmt.Sprintf("%s our %d bank %d", row.Verdict, row.OurCollected, row.BankCollected)
			}
			return m
		}
		want := fmt.Sprintf("matched our %d bank %d", o.Amount, o.Amount)
		if m := rows(paidDay); m[o.No] != want {
			t.Errorf("the day it was paid, %s: %q, want %q", paidDay, m[o.No], want)
		}
		next, _ := funbiz.ParseDate(paidDay)
		if m := rows(funbiz.FormatDate(next.AddDate(0, 0, 1))); m[o.No] != "" {
			t.Errorf("the day the shop heard of it: %q, want no row", m[o.No])
		}
	})
}
