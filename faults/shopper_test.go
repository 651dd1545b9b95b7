package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// carts the shoppers buy: ids 1–5 are the seeded catalogue.
var carts = []string{"q_1=1", "q_3=1", "q_1=2&q_5=1", "q_2=1", "q_4=1&q_3=2"}

// newCustomer signs a customer up at the world's shop.
func (w *world) newCustomer(name string) *customer {
	w.t.Helper()
	c, err := newCustomer(context.Background(), w.shop.URL, fmt.Sprintf("%s-%d@example.com", name, rand.Int64()))
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// newCustomers signs n customers up, two at a time: a sign-up hashes a
// password for a quarter of a second of CPU, and a crowd of them on a
// busy machine outlasts the shop's 10 s limit on a request.
func (w *world) newCustomers(name string, n int) []*customer {
	w.t.Helper()
	cs := make([]*customer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	turns := make(chan struct{}, 2)
	for i := range n {
		wg.Go(func() {
			turns <- struct{}{}
			defer func() { <-turns }()
			cs[i], errs[i] = newCustomer(context.Background(), w.shop.URL, fmt.Sprintf("%s%d-%d@example.com", name, i, rand.Int64()))
		})
	}
	wg.Wait()
	mustT(w.t, errors.Join(errs...))
	return cs
}

// order places an order with pay type "A" or "C" and returns its number.
func (w *world) order(ctx context.Context, c *customer, payType string) (string, error) {
	return c.Checkout(ctx, w.shop.URL, carts[rand.IntN(len(carts))], payType)
}

// pay pays an order at the bank, by transfer or by card, and returns the
// PayToken.
func (w *world) pay(ctx context.Context, no string) (string, error) {
	o, err := w.bank.Order(ctx, demoShopNo, no)
	if err != nil {
		return "", err
	}
	var p sandbox.PayResult
	if o.PayType == "A" {
		p, err = w.bank.Transfer(ctx, o.AtmPayNo, o.Amount)
	} else {
		p, err = w.bank.PayCard(ctx, demoShopNo, no, sandbox.OutcomeSuccess)
	}
	return p.PayToken, err
}

func mustT(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
