package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// BankOrder asks the bank (OrderQuery) how it sees one order, for the back
// office to show beside ours. found is false when the bank has no such
// order. The error is Unavailable when the bank cannot be asked.
func (s *Service) BankOrder(ctx context.Context, o *shop.Order) (info funbiz.OrderInfo, found bool, err error) {
	info, found, err = s.findOrder(ctx, o)
	if err != nil {
		return info, false, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "asking the bank about %s", o.No)
	}
	return info, found, nil
}

// bankOf is the bank an order is at: the test bank for an order a test
// key made beside a live bank, the shop's own for every other.
func (s *Service) bankOf(o *shop.Order) *funbiz.Client {
	if o.TestBank && s.cfg.TestBank != nil {
		return s.cfg.TestBank
	}
	return s.bank
}

// bankFor is the bank a callback for shopNo comes from, and whether it
// is the test bank; nil when it is neither's.
func (s *Service) bankFor(shopNo string) (c *funbiz.Client, test bool) {
	switch {
	case shopNo == s.bank.ShopNo():
		return s.bank, false
	case s.cfg.TestBank != nil && shopNo == s.cfg.TestBank.ShopNo():
		return s.cfg.TestBank, true
	}
	return nil, false
}

// HasTestBank tells whether a test bank stands beside the shop's own, for
// the payments of test API keys.
func (s *Service) HasTestBank() bool { return s.cfg.TestBank != nil }

// findOrder asks the bank (OrderQuery) for its row of one order, as
// funbiz's FindOrder does, and refuses an answer about another shop's
// orders: a row carries no ShopNo, so the answer's is the only word on
// whose order it is, and a row of another shop must never change ours.
// That error wraps funbiz.ErrMismatch.
func (s *Service) findOrder(ctx context.Context, o *shop.Order) (funbiz.OrderInfo, bool, error) {
	bank := s.bankOf(o)
	r, err := bank.OrderQuery(ctx, &funbiz.OrderQueryParams{OrderNo: o.No})
	if err != nil {
		return funbiz.OrderInfo{}, false, err
	}
	if r.ShopNo != "" && r.ShopNo != bank.ShopNo() {
		return funbiz.OrderInfo{}, false, &funbiz.Error{Service: funbiz.ServiceOrderQuery, Err: funbiz.ErrMismatch,
			Msg: fmt.Sprintf("answer is for ShopNo %q, not %q", r.ShopNo, bank.ShopNo())}
	}
	for _, info := range r.Orders {
		if info.OrderNo == o.No {
			return info, true, nil
		}
	}
	return funbiz.OrderInfo{}, false, nil
}

// PingBank checks that the bank answers, with the cheapest call it has
// (a Nonce, which changes nothing). It is for readiness checks; bound ctx.
func (s *Service) PingBank(ctx context.Context) error {
	if _, err := s.bank.Nonce(ctx); err != nil {
		return shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "bank ping")
	}
	return nil
}

func bankErrorText(err error) string {
	var fe *funbiz.Error
	if errors.As(err, &fe) && fe.Description != "" {
		return fe.Description
	}
	return err.Error()
}
