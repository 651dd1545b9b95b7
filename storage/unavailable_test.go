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

// When the PostgreSQL server goes away, every call fails quickly with
// Unavailable (so the web layer answers 503 and the bank sends again),
// whether it finds a pooled connection that was cut or has to dial; when
// it comes back, the same *DB works again without being reopened.
func TestPostgresGoesAway(t *testing.T) {
	url := storagetest.PostgresURL(t)
	px, viaProxy := storagetest.NewPostgresProxy(t, url)
	ctx := context.Background()
	db, err := storage.Open(ctx, viaProxy)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := newOrder(t, db, newCustomer(t, db, "a@example.com"), "k")

	calls := []struct {
		name string
		call func() error
	}{
		{"ping", func() error { return db.Ping(ctx) }},
		{"read an order", func() error { _, err := db.OrderByNo(ctx, o.No); return err }},
		{"list orders", func() error { _, _, err := db.CustomerOrders(ctx, o.CustomerID, 10, 0); return err }},
		{"record a PayToken", func() error {
			return db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := storage.InsertPayToken(ctx, tx, "ab12", "NA0249_001", "notify", t0)
				return err
			})
		}},
		{"apply an event", func() error {
			_, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: "test"}, t0)
			return err
		}},
	}
	// Fill the pool with open connections, as a busy shop has, so that
	// the calls after the cut meet dead pooled connections first.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := db.OrderByNo(ctx, o.No); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	px.Cut()
	for round := range 2 { // the pooled connections, then fresh dials
		for _, c := range calls {
			start := time.Now()
			err := c.call()
			if !shop.IsCode(err, shop.Unavailable) {
				t.Errorf("%s with the server gone (round %d): %v (code %q), want unavailable", c.name, round, err, shop.ErrorCode(err))
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("%s with the server gone took %s", c.name, took)
			}
		}
	}

	px.Restore(t)
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Errorf("%s with the server back: %v", c.name, err)
		}
	}
	got, err := db.OrderByID(ctx, o.ID)
	if err != nil || got.Status != shop.StatusPaid {
		t.Fatalf("order after the outage: %v %v", got, err)
	}
}
