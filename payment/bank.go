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
func (s *Service) BankOrder(ctx context.Context, orderNo string) (info funbiz.OrderInfo, found bool, err error) {
	info, found, err = s.findOrder(ctx, orderNo)
	if err != nil {
		return info, false, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "asking the bank about %s", orderNo)
	}
	return info, found, nil
}

// findOrder asks the bank (OrderQuery) for its row of one order, as
// funbiz's FindOrder does, and refuses an answer about another shop's
// orders: a row carries no ShopNo, so the answer's is the only word on
// whose order it is, and a row of another shop must never change ours.
// That error wraps funbiz.ErrMismatch.
func (s *Service) findOrder(ctx context.Context, orderNo string) (funbiz.OrderInfo, bool, error) {
	r, err := s.bank.OrderQuery(ctx, &funbiz.OrderQueryParams{OrderNo: orderNo})
	if err != nil {
		return funbiz.OrderInfo{}, false, err
	}
	if r.ShopNo != "" && r.ShopNo != s.bank.ShopNo() {
		return funbiz.OrderInfo{}, false, &funbiz.Error{Service: funbiz.ServiceOrderQuery, Err: funbiz.ErrMismatch,
			Msg: fmt.Sprintf("answer is for ShopNo %q, not %q", r.ShopNo, s.bank.ShopNo())}
	}
	for _, info := range r.Orders {
		if info.OrderNo == orderNo {
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
