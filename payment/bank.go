package payment

import (
	"context"
	"errors"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// BankOrder asks the bank (OrderQuery) how it sees one order, for the back
// office to show beside ours. found is false when the bank has no such
// order. The error is Unavailable when the bank cannot be asked.
func (s *Service) BankOrder(ctx context.Context, orderNo string) (info funbiz.OrderInfo, found bool, err error) {
	info, found, err = s.bank.FindOrder(ctx, orderNo)
	if err != nil {
		return info, false, shop.Wrap(shop.Unavailable, "error.bank_unavailable", err, "asking the bank about %s", orderNo)
	}
	return info, found, nil
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
