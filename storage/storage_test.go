package storage_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newCustomer(t *testing.T, db *storage.DB, email string) int64 {
	t.Helper()
	id, err := db.CreateCustomer(context.Background(), email, "hash", t0)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newOrder(t *testing.T, db *storage.DB, customer int64, key string) *shop.Order {
	t.Helper()
	o := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: customer, PayType: shop.PayCard, Amount: 1950,
		Items: []shop.Item{{ProductID: 1, Name: "抹茶狗骨頭", NameZH: "抹茶狗骨頭", NameEN: "Matcha dog bone", UnitPrice: 750, Qty: 2},
			{ProductID: 2, Name: "碗", UnitPrice: 450, Qty: 1}}}
	if err := db.CreateOrder(context.Background(), o, key, t0); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestMigrateTwiceAndSeed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		pending, err := db.Pending(ctx)
		if err != nil || pending {
			t.Fatalf("pending = %v, %v after migrating", pending, err)
		}
		for range 2 {
			if err := db.SeedProducts(ctx, storage.SeedProducts); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := db.Products(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 5 || ps[0].NameZH != "抹茶狗骨頭" || ps[0].Price != 750 || ps[4].Price != 1799 {
			t.Fatalf("products = %+v", ps)
		}
	})
}

func TestCustomersAndSessions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		id := newCustomer(t, db, "a@example.com")
		if _, err := db.CreateCustomer(ctx, "a@example.com", "x", t0); !shop.IsCode(err, shop.Conflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		c, err := db.CustomerByEmail(ctx, "a@example.com")
		if err != nil || c.ID != id {
			t.Fatalf("by email: %v %v", c, err)
		}
		if _, err := db.CustomerByEmail(ctx, "nobody@example.com"); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("missing: %v", err)
		}
		if err := db.CreateSession(ctx, "tok", id, t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, err := db.SessionCustomer(ctx, "tok", t0.Add(time.Minute)); err != nil || got.ID != id || got.Email == "" {
			t.Fatalf("session: %+v %v", got, err)
		}
		if _, err := db.SessionCustomer(ctx, "tok", t0.Add(2*time.Hour)); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("expired session: %v", err)
		}
		if err := db.DeleteSession(ctx, "tok"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionCustomer(ctx, "tok", t0); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("deleted session: %v", err)
		}
	})
}

func TestOrdersBelongToTheirCustomer(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		a, b := newCustomer(t, db, "a@example.com"), newCustomer(t, db, "b@example.com")
		o := newOrder(t, db, a, "k1")
		got, err := db.CustomerOrder(ctx, a, o.No)
		if err != nil || got.Amount != 1950 || len(got.Items) != 2 || got.Items[0].Name != "抹茶狗骨頭" || got.Status != shop.StatusWaiting {
			t.Fatalf("own order: %+v %v", got, err)
		}
		// Both names are kept; a line without them (as an older version
		// wrote) falls back to the name it has.
		if it := got.Items[0]; it.NameIn("en") != "Matcha dog bone" || it.NameIn("zh-TW") != "抹茶狗骨頭" {
			t.Fatalf("names of a line: %+v", it)
		}
		if it := got.Items[1]; it.NameIn("en") != "碗" || it.NameIn("zh-TW") != "碗" {
			t.Fatalf("names of a line without both: %+v", it)
		}
		if _, err := db.CustomerOrder(ctx, b, o.No); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("other customer's order: %v", err)
		}
		// The same checkout key cannot make a second order.
		dup := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: a, PayType: shop.PayCard, Amount: 5, Items: o.Items}
		if err := db.CreateOrder(ctx, dup, "k1", t0); !shop.IsCode(err, shop.Conflict) {
			t.Fatalf("second order with one key: %v", err)
		}
		prev, err := db.OrderByCheckoutKey(ctx, a, "k1")
		if err != nil || prev.No != o.No {
			t.Fatalf("by key: %v %v", prev, err)
		}
		for i := range 12 {
			newOrder(t, db, a, "page"+string(rune('a'+i)))
		}
		page, total, err := db.CustomerOrders(ctx, a, 10, 10)
		if err != nil || total != 13 || len(page) != 3 || page[2].No != o.No {
			t.Fatalf("page 2: %d orders of %d, %v", len(page), total, err)
		}
	})
}

// Many confirmations of one payment at once make one change and one event.
func TestApplyEventExactlyOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		o := newOrder(t, db, newCustomer(t, db, "a@example.com"), "k")
		var wg sync.WaitGroup
		var mu sync.Mutex
		changes := 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := shop.EventPaid
				if i%3 == 0 {
					ev = shop.EventFailed
				}
				changed, _, err := db.ApplyEvent(ctx, o.ID, ev, storage.EventMeta{Source: "test"}, t0)
				if err != nil {
					t.Error(err)
				}
				if changed && ev == shop.EventPaid {
					mu.Lock()
					changes++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		got, _ := db.OrderByID(ctx, o.ID)
		if got.Status != shop.StatusPaid || changes != 1 {
			t.Fatalf("status %s after %d paid changes", got.Status, changes)
		}
		evs, err := db.Events(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		paid := 0
		for _, e := range evs {
			if e.To == shop.StatusPaid {
				paid++
			}
			if e.From == shop.StatusPaid {
				t.Fatalf("a paid order moved: %+v", e)
			}
		}
		if paid != 1 {
			t.Fatalf("%d events into paid: %+v", paid, evs)
		}
	})
}

func TestPayTokenLog(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		var ids []int64
		for range 2 {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				delivery, err := storage.InsertPayToken(ctx, tx, "ab12", "NA0249_001", "notify", t0)
				if err == nil {
					ids = append(ids, delivery.ID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if ids[0] == ids[1] {
			t.Fatal("a duplicate delivery must get its own row")
		}
		if err := db.MarkPayToken(ctx, ids[0], "K1", shop.Outcome{Kind: shop.OutcomePaid}, t0); err != nil {
			t.Fatal(err)
		}
		delivery, err := db.PayTokenByID(ctx, ids[0])
		if err != nil || delivery.Outcome != (shop.Outcome{Kind: shop.OutcomePaid}) || delivery.ProcessedAt.IsZero() || delivery.Ref == "" {
			t.Fatalf("marked token: %+v %v", delivery, err)
		}
		if byRef, err := db.PayTokenByRef(ctx, delivery.Ref); err != nil || byRef.ID != delivery.ID {
			t.Fatalf("by ref: %v", err)
		}
		list, err := db.PayTokens(ctx, "K1", 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %d %v", len(list), err)
		}
	})
}

func TestRolledBackTransactionKeepsNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		boom := shop.Errorf(shop.Internal, "", "boom")
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := storage.InsertPayToken(ctx, tx, "ab12", "NA0249_001", "notify", t0); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("err = %v", err)
		}
		list, _ := db.PayTokens(ctx, "", 10)
		if len(list) != 0 {
			t.Fatalf("rolled back row kept: %d", len(list))
		}
	})
}
