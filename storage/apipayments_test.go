package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// An API payment is an order of the shop's API account and its row, in
// one transaction; only its key reads it; its idempotency key is unique
// per API key; the account is sent no e-mail and cannot get a reset link.
func TestAPIPayments(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, _, err := db.CreateAPIKey(ctx, "woo", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := db.CreateAPIKey(ctx, "other", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		account, err := db.APIAccount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		newOrder := func() *shop.Order {
			return &shop.Order{No: shop.NewOrderNo(t0), CustomerID: account, PayType: shop.PayATM, Amount: 1500,
				Items: []shop.Item{{Name: "訂單 #1", NameZH: "訂單 #1", NameEN: "訂單 #1", UnitPrice: 1500, Qty: 1}}}
		}
		p := &shop.APIPayment{ID: shop.NewAPIPaymentID(), KeyID: k.ID, Reference: "1001", Description: "訂單 #1",
			Metadata: map[string]string{"cart": "42"}, IdemKey: "order-1", IdemHash: "h1"}
		o := newOrder()
		if err := db.CreateAPIPayment(ctx, p, o, t0); err != nil {
			t.Fatal(err)
		}
		got, err := db.APIPayment(ctx, k.ID, p.ID)
		if err != nil || got.Order.No != o.No || got.Metadata["cart"] != "42" || got.Reference != "1001" || got.Order.Items[0].Name != "訂單 #1" {
			t.Fatalf("read back: %+v %v", got, err)
		}
		if _, err := db.APIPayment(ctx, other.ID, p.ID); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("another key read it: %v", err)
		}
		if got, err := db.APIPaymentByIdem(ctx, k.ID, "order-1"); err != nil || got.ID != p.ID {
			t.Fatalf("by idempotency key: %+v %v", got, err)
		}
		if got, err := db.APIPaymentOfOrder(ctx, o.No); err != nil || got.ID != p.ID {
			t.Fatalf("of its order: %+v %v", got, err)
		}
		// The same idempotency key again: Conflict, and no order left.
		dup := &shop.APIPayment{ID: shop.NewAPIPaymentID(), KeyID: k.ID, Description: "x", IdemKey: "order-1", IdemHash: "h2"}
		o2 := newOrder()
		if err := db.CreateAPIPayment(ctx, dup, o2, t0); !shop.IsCode(err, shop.Conflict) {
			t.Fatalf("the same idempotency key: %v", err)
		}
		if _, err := db.OrderByNo(ctx, o2.No); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("the refused payment's order stayed: %v", err)
		}
		// Another key may use the same idempotency key.
		if err := db.CreateAPIPayment(ctx, &shop.APIPayment{ID: shop.NewAPIPaymentID(), KeyID: other.ID, Description: "x", IdemKey: "order-1"}, newOrder(), t0); err != nil {
			t.Fatal(err)
		}
		// The bank's answer queues no "order received" message for the
		// API's account, and it gets no reset link.
		if err := db.SetBank(ctx, o.ID, shop.BankOrder{State: shop.BankCreated, AtmPayNo: "9993000000000001", ExpireDate: "20261210"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.CreatePasswordReset(ctx, account, "token", t0, t0.Add(30*60e9)); err != nil {
			t.Fatal(err)
		}
		if ms, n, err := db.Mails(ctx, storage.MailFilter{}, 10, 0); err != nil || n != 0 {
			t.Fatalf("mail for the API's account: %d %+v %v", n, ms, err)
		}
		if _, err := db.PasswordResetCustomer(ctx, "token", t0); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("a reset link for the API's account: %v", err)
		}
	})
}

// The list's filters and cursor run on both databases.
func TestAPIPaymentList(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		k, _, err := db.CreateAPIKey(ctx, "woo", shop.APITest, t0)
		if err != nil {
			t.Fatal(err)
		}
		account, err := db.APIAccount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range 3 {
			o := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: account, PayType: shop.PayATM, Amount: 100,
				Items: []shop.Item{{Name: "x", NameZH: "x", NameEN: "x", UnitPrice: 100, Qty: 1}}}
			p := &shop.APIPayment{ID: shop.NewAPIPaymentID(), KeyID: k.ID, Description: "x", Reference: "r"}
			if err := db.CreateAPIPayment(ctx, p, o, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify, Amount: 100}, t0); err != nil {
					t.Fatal(err)
				}
			}
			ids = append(ids, p.ID)
		}
		for status, want := range map[string][]string{"": {ids[2], ids[1], ids[0]}, "pending": {ids[2], ids[0]}, "succeeded": {ids[1]}, "refunded": nil} {
			got, more, err := db.APIPayments(ctx, k.ID, storage.APIPaymentFilter{Status: status, Reference: "r"}, 10)
			if err != nil || more || len(got) != len(want) {
				t.Fatalf("%q: %d %v %v", status, len(got), more, err)
			}
			for i := range got {
				if got[i].ID != want[i] {
					t.Fatalf("%q: %s at %d, want %s", status, got[i].ID, i, want[i])
				}
			}
		}
		page, more, err := db.APIPayments(ctx, k.ID, storage.APIPaymentFilter{StartingAfter: ids[2]}, 1)
		if err != nil || !more || len(page) != 1 || page[0].ID != ids[1] {
			t.Fatalf("after %s: %+v %v %v", ids[2], page, more, err)
		}
		evs, more, err := db.APIEvents(ctx, k.ID, "", 10)
		if err != nil || more || len(evs) != 1 || evs[0].PaymentID != ids[1] || evs[0].Type != "payment.succeeded" {
			t.Fatalf("events: %+v %v %v", evs, more, err)
		}
	})
}
