package payment

import (
	"context"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// A second OrderCreate for an order the bank already has (two sweeps
// racing, or a sweep and a slow first call) is refused by the bank; the
// loser adopts the bank's order instead of calling it refused, and the bank
// still has one order.
func TestSecondCreateAdoptsTheBanksOrder(t *testing.T) {
	ctx := context.Background()
	db := storagetest.SQLite(t)
	if err := db.SeedProducts(ctx, storage.SeedProducts); err != nil {
		t.Fatal(err)
	}
	bank := funbiztest.New(t)
	s, err := New(db, bank.Client(), Config{BaseURL: "http://127.0.0.1:1", InsertOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := db.CreateCustomer(ctx, "adopt@example.com", "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Checkout(ctx, cust, "k", []shop.CartLine{{ProductID: 1, Qty: 1}}, shop.PayATM)
	if err != nil || o.Bank.State != shop.BankCreated {
		t.Fatalf("checkout: %+v %v", o, err)
	}
	first := o.Bank
	if err := s.createAtBank(ctx, o); err != nil {
		t.Fatal(err)
	}
	got, err := db.OrderByNo(ctx, o.No)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bank.State != shop.BankCreated || got.Bank.AtmPayNo != first.AtmPayNo || got.Bank.ExpireDate == "" {
		t.Fatalf("after a second OrderCreate: %+v, first %+v", got.Bank, first)
	}
	if info, found, err := bank.Client().FindOrder(ctx, o.No); err != nil || !found || info.Amount != 750 {
		t.Fatalf("bank: %+v %v %v", info, found, err)
	}
}
