package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

func TestMakeAdmin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		created, err := db.MakeAdmin(ctx, "boss@example.com", "bosshash", t0)
		if err != nil || !created {
			t.Fatalf("new admin: %v %v", created, err)
		}
		c, err := db.CustomerByEmail(ctx, "boss@example.com")
		if err != nil || !c.IsAdmin() || c.PasswordHash != "bosshash" {
			t.Fatalf("new admin: %+v %v", c, err)
		}
		id := newCustomer(t, db, "clerk@example.com")
		if c, _ := db.CustomerByID(ctx, id); c.IsAdmin() || c.Role != shop.RoleCustomer {
			t.Fatalf("a new customer is %q", c.Role)
		}
		created, err = db.MakeAdmin(ctx, "clerk@example.com", "other", t0)
		if err != nil || created {
			t.Fatalf("promotion: %v %v", created, err)
		}
		c, _ = db.CustomerByID(ctx, id)
		if !c.IsAdmin() || c.PasswordHash != "hash" {
			t.Fatalf("promoted customer %+v: the role changes, the password does not", c)
		}
		if _, err := db.MakeAdmin(ctx, "nobody@example.com", "", t0); !shop.IsCode(err, shop.Invalid) {
			t.Fatalf("no account and no password: %v", err)
		}
	})
}

// RemoveAdmin takes the role and nothing else; Admins lists those who
// have it, by email.
func TestRemoveAdminAndAdmins(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if list, err := db.Admins(ctx); err != nil || len(list) != 0 {
			t.Fatalf("no admin yet: %v %v", list, err)
		}
		for _, e := range []string{"b@example.com", "a@example.com"} {
			if _, err := db.MakeAdmin(ctx, e, "hash-"+e, t0); err != nil {
				t.Fatal(err)
			}
		}
		newCustomer(t, db, "c@example.com")
		list, err := db.Admins(ctx)
		if err != nil || len(list) != 2 || list[0].Email != "a@example.com" || list[1].Email != "b@example.com" || list[0].PasswordHash != "" {
			t.Fatalf("admins: %+v %v", list, err)
		}
		if removed, err := db.RemoveAdmin(ctx, "a@example.com"); err != nil || !removed {
			t.Fatalf("remove: %v %v", removed, err)
		}
		a, err := db.CustomerByEmail(ctx, "a@example.com")
		if err != nil || a.Role != shop.RoleCustomer || a.PasswordHash != "hash-a@example.com" {
			t.Fatalf("after remove: %+v %v", a, err)
		}
		for _, e := range []string{"a@example.com", "c@example.com"} {
			if removed, err := db.RemoveAdmin(ctx, e); err != nil || removed {
				t.Errorf("remove %s, not an admin: %v %v", e, removed, err)
			}
		}
		if _, err := db.RemoveAdmin(ctx, "nobody@example.com"); !shop.IsCode(err, shop.NotFound) {
			t.Errorf("remove an unknown email: %v", err)
		}
		if list, _ := db.Admins(ctx); len(list) != 1 || list[0].Email != "b@example.com" {
			t.Errorf("admins after remove: %+v", list)
		}
	})
}

// A database with none of the shop's migrations is Fresh; once migrated
// it is not.
func TestFresh(t *testing.T) {
	for name, open := range map[string]func(testing.TB) string{
		"sqlite":   func(t testing.TB) string { return t.TempDir() + "/fresh.db" },
		"postgres": storagetest.PostgresURL,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := storage.Open(ctx, open(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if fresh, err := db.Fresh(ctx); err != nil || !fresh {
				t.Fatalf("new: %v %v", fresh, err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if fresh, err := db.Fresh(ctx); err != nil || fresh {
				t.Fatalf("migrated: %v %v", fresh, err)
			}
		})
	}
}

// paidCardOrder makes a card order of NT$1,950 in mode and marks it paid.
func paidCardOrder(t *testing.T, db *storage.DB, customer int64, key string, mode shop.CaptureMode) *shop.Order {
	t.Helper()
	o := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: customer, PayType: shop.PayCard, Amount: 1950, Capture: mode,
		Items: []shop.Item{{ProductID: 1, Name: "抹茶狗骨頭", UnitPrice: 1950, Qty: 1}}}
	ctx := context.Background()
	if err := db.CreateOrder(ctx, o, key, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: "notify", Amount: 1950}, t0); err != nil {
		t.Fatal(err)
	}
	got, err := db.OrderByID(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func op(key string, kind shop.Op, amount shop.Money, admin int64) shop.Operation {
	return shop.Operation{Key: key, Op: kind, Amount: amount, Reason: "customer asked", AdminID: admin, AdminEmail: "boss@example.com"}
}

// A refund never passes what was paid, however many admins ask at once;
// the same form twice is one operation; the order and its timeline follow
// the bank's answers.
func TestOpsRefunds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		cust := newCustomer(t, db, "a@example.com")
		admin := newCustomer(t, db, "boss@example.com")
		o := paidCardOrder(t, db, cust, "k", shop.CaptureAuto)

		// Twenty clicks of one form: one operation.
		var wg sync.WaitGroup
		ids := make([]int64, 20)
		errs := make([]error, 20)
		for i := range 20 {
			wg.Go(func() {
				rec, _, _, err := db.BeginOp(ctx, o.No, op("same-form", shop.OpRefund, 500, admin), t0)
				errs[i] = err
				if err == nil {
					ids[i] = rec.ID
				}
			})
		}
		wg.Wait()
		for i := range 20 {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("click %d: op %d, %v (first %d)", i, ids[i], errs[i], ids[0])
			}
		}
		// While it awaits the bank, no other operation starts.
		if _, _, _, err := db.BeginOp(ctx, o.No, op("other-form", shop.OpRefund, 100, admin), t0); !shop.IsCode(err, shop.Conflict) || shop.ErrorKey(err) != "admin.op.busy" {
			t.Fatalf("second operation while one is open: %v", err)
		}
		rec, got, err := db.FinishOp(ctx, ids[0], storage.OpOutcome{State: shop.OpDone, BankTSNo: "TS1"}, t0.Add(time.Minute))
		if err != nil || rec.State != shop.OpDone || got.Refunded != 500 || got.Status != shop.StatusPaid {
			t.Fatalf("partial refund: %+v %+v %v", rec, got, err)
		}
		// Finishing again changes nothing.
		if _, got, err := db.FinishOp(ctx, ids[0], storage.OpOutcome{State: shop.OpDone}, t0); err != nil || got.Refunded != 500 {
			t.Fatalf("finished twice: %+v %v", got, err)
		}
		// The form sent after the bank answered is still the same operation.
		if again, _, existed, err := db.BeginOp(ctx, o.No, op("same-form", shop.OpRefund, 500, admin), t0); err != nil || !existed || again.ID != ids[0] {
			t.Fatalf("resent form: %+v %v %v", again, existed, err)
		}
		if _, _, _, err := db.BeginOp(ctx, o.No, op("too-much", shop.OpRefund, 1451, admin), t0); shop.ErrorKey(err) != "admin.op.too_much" {
			t.Fatalf("refund over what is left: %v", err)
		}

		// Many admins, one NT$1,450 left, each asking for NT$1,000: one is
		// recorded, the others are refused.
		var mu sync.Mutex
		recorded := 0
		for i := range 10 {
			wg.Go(func() {
				_, _, _, err := db.BeginOp(ctx, o.No, op(fmt.Sprintf("k%d", i), shop.OpRefund, 1000, admin), t0)
				if err == nil {
					mu.Lock()
					recorded++
					mu.Unlock()
				} else if !shop.IsCode(err, shop.Conflict) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if recorded != 1 {
			t.Fatalf("%d concurrent refunds recorded, want 1", recorded)
		}
		ops, err := db.Ops(ctx, o.ID)
		if err != nil || len(ops) != 2 {
			t.Fatalf("ops: %d %v", len(ops), err)
		}
		if _, got, err := db.FinishOp(ctx, ops[1].ID, storage.OpOutcome{State: shop.OpRefused, BankError: "E0303"}, t0); err != nil || got.Refunded != 500 {
			t.Fatalf("refused refund: %+v %v", got, err)
		}
		// The rest, whole: 0 means all that is left.
		rec, _, _, err = db.BeginOp(ctx, o.No, op("rest", shop.OpRefund, 0, admin), t0)
		if err != nil || rec.Amount != 1450 {
			t.Fatalf("refund of the rest: %+v %v", rec, err)
		}
		if _, got, err = db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, t0.Add(2*time.Minute)); err != nil || got.Status != shop.StatusRefunded || got.Refunded != 1950 {
			t.Fatalf("whole refund: %+v %v", got, err)
		}
		if _, _, _, err := db.BeginOp(ctx, o.No, op("more", shop.OpRefund, 1, admin), t0); !shop.IsCode(err, shop.Conflict) {
			t.Fatalf("refund of a refunded order: %v", err)
		}
		evs, _ := db.Events(ctx, o.ID)
		var tail []string
		for _, e := range evs[1:] {
			tail = append(tail, fmt.Sprintf("%s %s>%s %d %s %s", e.Event, e.From, e.To, e.Amount, e.Source, e.Note))
		}
		want := []string{
			"part_refunded S>S 500 admin boss@example.com: customer asked",
			"refunded S>R 1450 admin boss@example.com: customer asked",
		}
		if fmt.Sprint(tail) != fmt.Sprint(want) {
			t.Fatalf("timeline after paid:\n%q\nwant\n%q", tail, want)
		}
	})
}

func TestOpsCaptureAndCancel(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		cust := newCustomer(t, db, "a@example.com")
		admin := newCustomer(t, db, "boss@example.com")

		o := paidCardOrder(t, db, cust, "k1", shop.CaptureManual)
		if !o.AwaitingCapture() || o.Collected() != 0 || o.Refundable() != 0 {
			t.Fatalf("authorised order: awaiting %v collected %d refundable %d", o.AwaitingCapture(), o.Collected(), o.Refundable())
		}
		if _, _, _, err := db.BeginOp(ctx, o.No, op("r", shop.OpRefund, 100, admin), t0); shop.ErrorKey(err) != "admin.op.capture_first" {
			t.Fatalf("refund before capture: %v", err)
		}
		rec, _, _, err := db.BeginOp(ctx, o.No, op("c", shop.OpCapture, 0, admin), t0)
		if err != nil || rec.Amount != 1950 {
			t.Fatalf("capture: %+v %v", rec, err)
		}
		_, got, err := db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, t0.Add(time.Hour))
		if err != nil || got.AwaitingCapture() || got.Captured != 1950 || !got.CapturedAt.Equal(t0.Add(time.Hour)) || got.Refundable() != 1950 {
			t.Fatalf("captured: %+v %v", got, err)
		}
		if _, _, _, err := db.BeginOp(ctx, o.No, op("c2", shop.OpCapture, 0, admin), t0); shop.ErrorKey(err) != "admin.op.not_uncaptured" {
			t.Fatalf("second capture: %v", err)
		}

		o2 := paidCardOrder(t, db, cust, "k2", shop.CaptureManual)
		rec, _, _, err = db.BeginOp(ctx, o2.No, op("x", shop.OpCancel, 0, admin), t0)
		if err != nil {
			t.Fatal(err)
		}
		// The bank's answer was lost: unknown, and still blocking.
		if rec, _, err = db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpUnknown, BankError: "timeout"}, t0); err != nil || rec.State != shop.OpUnknown {
			t.Fatalf("unknown: %+v %v", rec, err)
		}
		stale, err := db.StaleOps(ctx, t0, 10)
		if err != nil || len(stale) != 1 || stale[0].ID != rec.ID {
			t.Fatalf("stale ops: %v %v", stale, err)
		}
		_, got, err = db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, t0)
		if err != nil || got.Status != shop.StatusRefunded || got.Collected() != 0 {
			t.Fatalf("cancelled: %+v %v", got, err)
		}

		atm := newOrder(t, db, cust, "k3")
		db.SetBank(ctx, atm.ID, shop.BankOrder{State: shop.BankCreated}, t0)
		if _, _, _, err := db.BeginOp(ctx, atm.No, op("a", shop.OpRefund, 0, admin), t0); shop.ErrorKey(err) != "admin.op.not_card" && shop.ErrorKey(err) != "admin.op.not_refundable" {
			t.Fatalf("refund of an unpaid order: %v", err)
		}
		if _, _, _, err := db.BeginOp(ctx, "K0", op("a", shop.OpRefund, 0, admin), t0); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("no such order: %v", err)
		}
	})
}

func TestAdminOrders(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		alice, bob := newCustomer(t, db, "alice@example.com"), newCustomer(t, db, "bob_x@example.com")
		for i := range 5 {
			newOrder(t, db, alice, fmt.Sprintf("a%d", i))
		}
		paid := paidCardOrder(t, db, bob, "b1", shop.CaptureAuto)
		held := paidCardOrder(t, db, bob, "b2", shop.CaptureManual)
		// An ATM order of Bob's, a day later.
		late := &shop.Order{No: "KLATE1", CustomerID: bob, PayType: shop.PayATM, Amount: 700, Items: []shop.Item{{ProductID: 1, Name: "x", UnitPrice: 700, Qty: 1}}}
		if err := db.CreateOrder(ctx, late, "b3", t0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			f     storage.OrderFilter
			total int
			first string
		}{
			{"all", storage.OrderFilter{}, 8, late.No},
			{"paid", storage.OrderFilter{Status: "S"}, 2, held.No},
			{"awaiting capture", storage.OrderFilter{Status: storage.FilterAwaitingCapture}, 1, held.No},
			{"ATM", storage.OrderFilter{PayType: shop.PayATM}, 1, late.No},
			{"customer, any case", storage.OrderFilter{Customer: "BOB"}, 3, late.No},
			{"underscore is a letter", storage.OrderFilter{Customer: "b_x"}, 3, late.No},
			{"percent is a letter", storage.OrderFilter{Customer: "%"}, 0, ""},
			{"from the next day", storage.OrderFilter{From: t0.Add(time.Hour)}, 1, late.No},
			{"until the next day", storage.OrderFilter{To: t0.Add(time.Hour)}, 7, held.No},
			{"order number", storage.OrderFilter{OrderNo: paid.No}, 1, paid.No},
			{"together", storage.OrderFilter{Customer: "bob", Status: "S", PayType: shop.PayCard, To: t0.Add(time.Hour)}, 2, held.No},
		} {
			got, total, err := db.AdminOrders(ctx, c.f, 3, 0)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if total != c.total || (c.first != "" && (len(got) == 0 || got[0].No != c.first)) {
				t.Errorf("%s: %d orders, first %v; want %d, %s", c.name, total, got, c.total, c.first)
			}
			if len(got) > 0 && got[0].CustomerEmail == "" {
				t.Errorf("%s: no customer email", c.name)
			}
		}
		page, total, err := db.AdminOrders(ctx, storage.OrderFilter{}, 3, 6)
		if err != nil || total != 8 || len(page) != 2 {
			t.Fatalf("last page: %d of %d, %v", len(page), total, err)
		}
		counts, err := db.OrderCounts(ctx)
		if err != nil || counts["W"] != 6 || counts["S"] != 2 || counts[storage.FilterAwaitingCapture] != 1 {
			t.Fatalf("counts: %v %v", counts, err)
		}
	})
}

func TestPayTokenLogPages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		for i := range 12 {
			var delivery *shop.Delivery
			err := db.Tx(ctx, func(tx *sql.Tx) (err error) {
				delivery, err = storage.InsertPayToken(ctx, tx, fmt.Sprintf("tok%02d", i), "NA0249_001", "notify", t0)
				return err
			})
			if err == nil && i == 3 {
				err = db.MarkPayToken(ctx, delivery.ID, "K42", shop.Outcome{Kind: shop.OutcomePaid}, t0)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		page, total, err := db.PayTokenLog(ctx, "", 5, 10)
		if err != nil || total != 12 || len(page) != 2 || page[1].Token != "tok00" {
			t.Fatalf("last page: %v of %d, %v", page, total, err)
		}
		if got, total, err := db.PayTokenLog(ctx, "K42", 5, 0); err != nil || total != 1 || got[0].Token != "tok03" {
			t.Fatalf("by order: %v %d %v", got, total, err)
		}
		if _, total, err := db.PayTokenLog(ctx, "tok1", 5, 0); err != nil || total != 2 {
			t.Fatalf("by token prefix: %d %v", total, err)
		}
	})
}

func TestLedgerAndReports(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		cust := newCustomer(t, db, "a@example.com")
		admin := newCustomer(t, db, "boss@example.com")
		auto := paidCardOrder(t, db, cust, "k1", shop.CaptureAuto)     // paid at t0
		manual := paidCardOrder(t, db, cust, "k2", shop.CaptureManual) // authorised at t0
		rec, _, _, err := db.BeginOp(ctx, manual.No, op("c", shop.OpCapture, 0, admin), t0)
		if err != nil {
			t.Fatal(err)
		}
		db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, t0.Add(time.Hour))
		rec, _, _, _ = db.BeginOp(ctx, auto.No, op("r", shop.OpRefund, 300, admin), t0)
		db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, t0.Add(25*time.Hour)) // the next day

		day := func(d int) []string {
			ms, err := db.Ledger(ctx, t0.Add(time.Duration(d)*24*time.Hour-time.Hour), t0.Add(time.Duration(d+1)*24*time.Hour-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, fmt.Sprintf("%s %s %d", m.OrderNo, m.Kind, m.Amount))
			}
			return out
		}
		want0 := []string{auto.No + " P 1950", manual.No + " P 1950"}
		if got := day(0); fmt.Sprint(got) != fmt.Sprint(want0) {
			t.Errorf("day 0: %v, want %v (the authorisation is not a collection, its capture is)", got, want0)
		}
		if got := day(1); fmt.Sprint(got) != fmt.Sprint([]string{auto.No + " R 300"}) {
			t.Errorf("day 1: %v", got)
		}

		for i := range 5 {
			r := &shop.Report{Day: fmt.Sprintf("2026112%d", i), Source: shop.ReportBySchedule,
				Rows:   []shop.ReportRow{{OrderNo: "K1", Verdict: shop.VerdictMatched, BankStatus: "1A400"}},
				Counts: map[shop.Verdict]int{shop.VerdictMatched: i, shop.VerdictMissingShop: 1}}
			if err := db.SaveReport(ctx, r, 3, t0); err != nil || r.ID == 0 || !r.CreatedAt.Equal(t0) {
				t.Fatalf("saved %+v: %v", r, err)
			}
		}
		list, err := db.Reports(ctx, 10)
		if err != nil || len(list) != 3 || list[0].Day != "20261124" || list[2].Day != "20261122" || list[0].Rows != nil {
			t.Fatalf("kept reports: %+v %v", list, err)
		}
		if l := list[0]; l.Count(shop.VerdictMatched) != 4 || l.Unmatched() != 1 || l.Source != shop.ReportBySchedule {
			t.Fatalf("listed report: %+v", l)
		}
		r, err := db.ReportByID(ctx, list[0].ID)
		if err != nil || len(r.Rows) != 1 || r.Rows[0].BankStatus != "1A400" || r.Count(shop.VerdictMatched) != 4 || r.ID != list[0].ID || !r.CreatedAt.Equal(t0) {
			t.Fatalf("report: %+v %v", r, err)
		}
		if _, err := db.ReportByID(ctx, 1); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("pruned report: %v", err)
		}
	})
}
