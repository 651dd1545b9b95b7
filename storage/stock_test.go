package storage_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// counted makes a product with stock n.
func counted(t *testing.T, db *storage.DB, sku string, n int) shop.Product {
	t.Helper()
	p := shop.Product{SKU: sku, NameZH: sku, NameEN: sku, Price: 100, Counted: true, Stock: n}
	id, err := db.CreateProduct(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	p.ID = id
	return p
}

func stockOf(t *testing.T, db *storage.DB, id int64) int {
	t.Helper()
	p, err := db.Product(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

// orderOf makes (without storing) an order of qty of p for customer c.
func orderOf(c int64, p shop.Product, qty int) *shop.Order {
	return &shop.Order{No: shop.NewOrderNo(t0), CustomerID: c, PayType: shop.PayCard, Amount: p.Price * shop.Money(qty),
		Items: []shop.Item{{ProductID: p.ID, Name: p.NameZH, NameZH: p.NameZH, NameEN: p.NameEN, UnitPrice: p.Price, Qty: qty}}}
}

// 100 buyers at once for the last 3: exactly 3 orders are made, the
// others are told it is sold out, and the stock ends at 0.
func TestStockRace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		p := counted(t, db, "last-three", 3)
		var customers []int64
		for i := range 100 {
			customers = append(customers, newCustomer(t, db, "buyer"+string(rune('A'+i/26))+string(rune('a'+i%26))+"@example.com"))
		}
		var made, soldOut atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range customers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := db.CreateOrder(ctx, orderOf(c, p, 1), "k", t0)
				switch {
				case err == nil:
					made.Add(1)
				case shop.ErrorKey(err) == "checkout.sold_out":
					soldOut.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if made.Load() != 3 || soldOut.Load() != 97 || stockOf(t, db, p.ID) != 0 {
			t.Fatalf("made %d, sold out %d, stock %d; want 3, 97, 0", made.Load(), soldOut.Load(), stockOf(t, db, p.ID))
		}
	})
}

// Random checkouts, expiries, payments, late payments and cancellations:
// the stock plus what open orders hold is always what there was, the
// stock never goes below zero by a checkout, and an order holds its
// items exactly while it is neither expired nor cancelled.
func TestStockProperty(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		const initial = 20
		p := counted(t, db, "counted", initial)
		free := counted(t, db, "uncounted", 0)
		if err := db.UpdateProduct(ctx, shop.Product{ID: free.ID, SKU: free.SKU, NameZH: "x", NameEN: "x", Price: 100}); err != nil {
			t.Fatal(err)
		}
		c := newCustomer(t, db, "prop@example.com")
		var orders []*shop.Order
		late := false
		for step := range 300 {
			switch op := rng.IntN(5); {
			case op <= 1:
				o := orderOf(c, p, 1+rng.IntN(4))
				o.Items = append(o.Items, shop.Item{ProductID: free.ID, Name: "x", NameZH: "x", NameEN: "x", UnitPrice: 100, Qty: 1})
				before := stockOf(t, db, p.ID)
				err := db.CreateOrder(ctx, o, "k"+string(rune(step)), t0)
				switch {
				case err == nil:
					orders = append(orders, o)
				case shop.ErrorKey(err) == "checkout.sold_out":
					if before >= o.Items[0].Qty {
						t.Fatalf("sold out with %d left for %d", before, o.Items[0].Qty)
					}
				default:
					t.Fatal(err)
				}
			case len(orders) > 0:
				o := orders[rng.IntN(len(orders))]
				ev := []shop.Event{shop.EventExpired, shop.EventPaid, shop.EventCancelled}[rng.IntN(3)]
				before, err := db.OrderByID(ctx, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				changed, _, err := db.ApplyEvent(ctx, o.ID, ev, storage.EventMeta{Source: shop.SourceAdmin}, t0)
				if err != nil {
					t.Fatal(err)
				}
				// The bank took money for an expired order: its items are
				// taken again, even below zero.
				late = late || (changed && ev == shop.EventPaid && before.Status == shop.StatusExpired)
			}
			held := 0
			for _, o := range orders {
				got, err := db.OrderByID(ctx, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				holds := got.Status != shop.StatusExpired && got.Status != shop.StatusRefunded
				if got.StockHeld != holds {
					t.Fatalf("step %d: order %s (%s) holds %v", step, got.No, got.Status, got.StockHeld)
				}
				if got.StockHeld {
					held += got.Items[0].Qty
				}
			}
			left := stockOf(t, db, p.ID)
			if left+held != initial {
				t.Fatalf("step %d: %d left + %d held ≠ %d", step, left, held, initial)
			}
			if left < 0 && !late {
				t.Fatalf("step %d: %d left, and no order was paid after it expired", step, left)
			}
			if got, _ := db.Product(ctx, free.ID); got.Counted {
				t.Fatal("an uncounted product became counted")
			}
		}
	})
}
