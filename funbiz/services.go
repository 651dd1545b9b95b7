package funbiz

import (
	"bytes"
	"fmt"
	"strconv"
)

// APIService names.
const (
	ServiceOrderCreate          = "OrderCreate"
	ServiceOrderQuery           = "OrderQuery"
	ServiceOrderPayQuery        = "OrderPayQuery"
	ServiceOrderMaintain        = "OrderMaintain"
	ServiceOrderUnCapturedQuery = "OrderUnCapturedQuery"
	ServiceBillQuery            = "BillQuery"
	ServiceAllotQuery           = "AllotQuery"
)

// Status is the bank's verdict in every answer, and on the payment itself
// in OrderPayQuery's TSResultContent (PROTOCOL §8.8). The Description beside
// it says why; decide on Status, not on the Description's code.
type Status string

const (
	StatusSuccess Status = "S" // processed successfully
	StatusFailure Status = "F" // refused or failed
)

// PayType is how an order is paid.
type PayType string

const (
	PayTypeATM  PayType = "A" // ATM virtual account (虛擬帳號)
	PayTypeCard PayType = "C" // credit card (信用卡)
)

// Flag is a yes-or-no member of the wire: RefundFlag in OrderQuery rows
// and the PayFlag filter of OrderQuery.
type Flag string

const (
	FlagYes Flag = "Y"
	FlagNo  Flag = "N"
)

// TSType is the kind of a money movement in BillQuery and AllotQuery.
type TSType string

const (
	TSTypeCollection TSType = "P" // money collected: an ATM transfer or a card capture
	TSTypeRefund     TSType = "R" // money refunded
)

// PayStatus is the state of an order in OrderQuery: "1", the PayType
// letter, and three digits (PROTOCOL §8.8).
type PayStatus string

const (
	PayStatusATMWaiting   PayStatus = "1A200" // awaiting the transfer
	PayStatusATMPaid      PayStatus = "1A400" // paid
	PayStatusATMSettled   PayStatus = "1A900" // paid and settled (撥款)
	PayStatusCardWaiting  PayStatus = "1C200" // awaiting payment on the card page
	PayStatusCardExpired  PayStatus = "1C250" // card page expired unpaid
	PayStatusCardAuthed   PayStatus = "1C300" // authorised, not captured
	PayStatusCardVoid     PayStatus = "1C350" // authorisation void
	PayStatusCardCanceled PayStatus = "1C351" // authorisation cancelled
	PayStatusCardCaptured PayStatus = "1C400" // captured (paid)
	PayStatusCardSettled  PayStatus = "1C900" // captured and settled
)

// Settled reports whether the order's money has been paid out to the
// merchant (撥款): 1A900, 1C900 and the like. The bank's OrderQuery moves
// a paid order from 400 to 900 on its settlement date.
func (s PayStatus) Settled() bool {
	return len(s) == 5 && s[0] == '1' && s[2:] == "900"
}

// Paid reports whether the bank holds the money for this order: an ATM
// transfer or a card authorisation or capture, settled or not.
func (s PayStatus) Paid() bool {
	switch s {
	case PayStatusATMPaid, PayStatusATMSettled, PayStatusCardAuthed, PayStatusCardCaptured, PayStatusCardSettled:
		return true
	}
	return len(s) == 5 && s[0] == '1' && (s[2:] == "400" || s[2:] == "900")
}

// cents is an amount on the wire: NT$ × 100, sent by the bank as a JSON
// number or, in TSResultContent, as a string.
type cents int64

// parseCents reads an amount's text: a JSON number's literal or a
// string's content. A decimal with a zero fraction ("100.00") is
// accepted, and "" is 0.
func parseCents(b []byte) (cents, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if i := bytes.IndexByte(b, '.'); i >= 0 && len(bytes.Trim(b[i+1:], "0")) == 0 {
		b = b[:i]
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q is not a whole number of cents", b)
	}
	return cents(n), nil
}

// ntd converts a wire amount to whole NT$. TWD has no cents in practice;
// a fraction is reported, not rounded away.
func (c cents) ntd(field string) (int64, error) {
	if c%100 != 0 {
		return 0, fmt.Errorf("%s %d is not a whole NT$ amount (the wire unit is NT$0.01)", field, int64(c))
	}
	return int64(c) / 100, nil
}

func setService(err error, service string) {
	if e, ok := err.(*Error); ok && e.Service == "" {
		e.Service = service
	}
}

func malformed(service string, err error) error {
	return &Error{Service: service, Msg: "answer does not have the expected shape", Err: joinSentinel(ErrMalformedResponse, err)}
}
