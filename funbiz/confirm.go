package funbiz

import (
	"context"
	"errors"
	"fmt"
)

// OrderLookup finds the caller's own order by its OrderNo and says what
// it expects to be paid: its OrderNo and Amount (whole NT$). When the
// caller has no such order it returns ErrUnknownOrder (wrapped or not);
// any other error means it could not look (a database down, say).
type OrderLookup func(ctx context.Context, orderNo string) (Expected, error)

// ConfirmToken is Confirm for a caller that holds only a PayToken, as a
// notification or a card return delivers it: it asks the bank what the
// token stands for (OrderPayQuery, Sign verified), looks up the order the
// bank names with lookup, and judges the answer against it. The verdict's
// OrderNo is that order: apply the verdict to it and to no other.
//
// Errors, and what to do with them:
//   - ErrUnknownToken: the bank knows no such token for this shop (a
//     forgery, or another shop's). Asking again gives the same answer:
//     drop it.
//   - ErrMismatch: the answer is about another PayToken or shop, or names
//     an order the lookup does not have (then it also matches
//     ErrUnknownOrder). Never book it; keep it for a person.
//   - Temporary(err) true: the bank could not be asked or read, or the
//     lookup failed. The verdict is unknown; try again later.
//   - any other: a refusal or a setting that asking again will not change
//     (ErrBankRefused, ErrInvalid); keep the order waiting and tell a
//     person.
//
// The bank's codes for an unknown token are not public: ErrUnknownToken
// is recognised by UnknownTokenCodes (our sandbox's code). ConfirmToken is
// safe for concurrent use; lookup may be called concurrently too.
func (c *Client) ConfirmToken(ctx context.Context, payToken string, lookup OrderLookup) (*Confirmation, error) {
	r, err := c.OrderPayQuery(ctx, payToken)
	if err != nil {
		return nil, err
	}
	if r.PayToken != "" && r.PayToken != payToken {
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: fmt.Sprintf("answer is for another PayToken %q", r.PayToken), Err: ErrMismatch}
	}
	if r.ShopNo != c.shopNo || (r.Payment.ShopNo != "" && r.Payment.ShopNo != c.shopNo) {
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: fmt.Sprintf("answer is for shop %q (payment %q), not %q", r.ShopNo, r.Payment.ShopNo, c.shopNo), Err: ErrMismatch}
	}
	no := r.Payment.OrderNo
	want, err := lookup(ctx, no)
	switch {
	case errors.Is(err, ErrUnknownOrder):
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: fmt.Sprintf("the bank names order %q, which the lookup does not have", no), Err: joinSentinel(ErrMismatch, err)}
	case err != nil:
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: fmt.Sprintf("looking up order %q", no), Err: err}
	}
	return Judge(c.shopNo, r, want), nil
}
