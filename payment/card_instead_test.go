package payment_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// An unpaid ATM order paid by card instead: a new order and a new bank
// order take its place; paying both, in either order, pays one and puts
// the other on review, on both databases.
func TestCardInstead(t *testing.T) {
	for _, transferFirst := range []bool{false, true} {
		name := map[bool]string{false: "card-then-transfer", true: "transfer-then-card"}[transferFirst]
		t.Run(name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, db *storage.DB) {
				ctx := context.Background()
				r := testrig.New(t, testrig.Options{DB: db})
				atm := r.Checkout("k-instead", shop.PayATM)
				card, err := r.Pay.CardInstead(ctx, r.Customer(), atm.No)
				if err != nil {
					t.Fatal(err)
				}
				if card.PayType != shop.PayCard || card.No == atm.No || card.Amount != atm.Amount || card.Replaces != atm.No ||
					card.Bank.State != shop.BankCreated || card.Bank.CardPayURL == "" || len(card.Items) != len(atm.Items) {
					t.Fatalf("replacement: %+v", card)
				}
				if old := r.Order(atm.No); old.ReplacedBy != card.No || old.Status != shop.StatusWaiting {
					t.Fatalf("replaced order: %+v", old)
				}
				// Asked again, the same card order; one bank order each.
				again, err := r.Pay.CardInstead(ctx, r.Customer(), atm.No)
				if err != nil || again.No != card.No {
					t.Fatalf("second click: %+v %v", again, err)
				}
				if n := r.BankOrders(); n != 2 {
					t.Fatalf("%d bank orders, want 2", n)
				}

				first, second := card, atm
				if transferFirst {
					first, second = atm, card
				}
				pay := func(o *shop.Order) {
					if o.PayType == shop.PayATM {
						r.Bank.Transfer(o.Bank.AtmPayNo, int64(o.Amount))
						r.WaitStatus(o.No, map[bool]shop.Status{true: shop.StatusPaid, false: shop.StatusReview}[o == first])
						return
					}
					tok := r.Bank.PayCard(o.No, sandbox.OutcomeSuccess)
					if _, err := r.Pay.Return(ctx, funbiz.Notification{ShopNo: r.Bank.ShopNo, PayToken: tok}); err != nil {
						t.Fatal(err)
					}
				}
				pay(first)
				r.WaitStatus(first.No, shop.StatusPaid)
				pay(second)
				got := r.WaitStatus(second.No, shop.StatusReview)
				evs, err := db.Events(ctx, got.ID)
				if err != nil || len(evs) == 0 || !strings.Contains(evs[len(evs)-1].Note, "paid twice: order "+first.No) {
					t.Fatalf("events of the second: %+v %v", evs, err)
				}
				if f := r.Order(first.No); f.Status != shop.StatusPaid {
					t.Errorf("first paid order became %s", f.Status)
				}
			})
		})
	}
}

// Only the customer's own unpaid ATM order can be paid by card instead,
// and many clicks at once make one replacement.
func TestCardInsteadRefusals(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t, testrig.Options{})
	card := r.Checkout("k-card", shop.PayCard)
	if _, err := r.Pay.CardInstead(ctx, r.Customer(), card.No); !shop.IsCode(err, shop.Conflict) {
		t.Errorf("a card order: %v, want Conflict", err)
	}
	atm := r.Checkout("k-atm", shop.PayATM)
	other, err := r.DB.CreateCustomer(ctx, "other@example.com", "x", r.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pay.CardInstead(ctx, other, atm.No); !shop.IsCode(err, shop.NotFound) {
		t.Errorf("another customer's order: %v, want NotFound", err)
	}
	var wg sync.WaitGroup
	nos := make([]string, 8)
	for i := range nos {
		wg.Go(func() {
			o, err := r.Pay.CardInstead(ctx, r.Customer(), atm.No)
			if err != nil {
				t.Errorf("click %d: %v", i, err)
				return
			}
			nos[i] = o.No
		})
	}
	wg.Wait()
	for _, no := range nos {
		if no != nos[0] {
			t.Fatalf("clicks at once made %v", nos)
		}
	}
	paid := r.Checkout("k-paid", shop.PayATM)
	r.Bank.Transfer(paid.Bank.AtmPayNo, int64(paid.Amount))
	r.WaitStatus(paid.No, shop.StatusPaid)
	if _, err := r.Pay.CardInstead(ctx, r.Customer(), paid.No); !shop.IsCode(err, shop.Conflict) {
		t.Errorf("a paid order: %v, want Conflict", err)
	}
}
