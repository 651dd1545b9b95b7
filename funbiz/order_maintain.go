package funbiz

import (
	"context"
	"fmt"
)

// Command is an OrderMaintain action on a card order.
type Command string

const (
	CommandCapture Command = "P" // capture an authorisation (請款)
	CommandCancel  Command = "C" // cancel an authorisation (取消授權)
	CommandRefund  Command = "R" // refund (退款)
)

// OrderMaintainParams asks for a capture, a cancellation or a refund of a
// card order. Amount is whole NT$; 0 means the whole order.
type OrderMaintainParams struct {
	OrderNo string
	Command Command
	Amount  int64
	Remark  string
}

// Validate checks the parameters.
func (p *OrderMaintainParams) Validate() error {
	if err := checkOrderNo("OrderNo", p.OrderNo); err != nil {
		return err
	}
	switch p.Command {
	case CommandCapture, CommandCancel, CommandRefund:
	case "":
		return invalid("Command", "is required (P capture, C cancel, R refund)")
	default:
		return invalid("Command", "must be P, C or R, got %q", p.Command)
	}
	if p.Amount != 0 {
		if p.Command == CommandCancel {
			return invalid("Amount", "cannot be given when cancelling an authorisation")
		}
		if err := checkAmount("Amount", p.Amount, MaxAmount); err != nil {
			return err
		}
	}
	return checkText("Remark", p.Remark, MaxRemark, false)
}

type orderMaintainMsg struct {
	ShopNo  string  `json:"ShopNo"`
	OrderNo string  `json:"OrderNo"`
	Command Command `json:"Command"`
	Amount  int64   `json:"Amount,omitempty"`
	Remark  string  `json:"Remark,omitempty"`
}

func (m *orderMaintainMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendStr(b, o, "OrderNo", m.OrderNo)
	b = appendStr(b, o, "Command", string(m.Command))
	b = appendOptInt(b, o, "Amount", m.Amount)
	b = appendOptStr(b, o, "Remark", m.Remark)
	return append(b, '}')
}

// MaintainResult is the answer to OrderMaintain. Amount is whole NT$.
type MaintainResult struct {
	OrderNo     string
	ShopNo      string
	TSNo        string
	Command     Command
	Amount      int64
	Date        string
	Status      Status
	Description string
}

type maintainResp struct {
	OrderNo, ShopNo, TSNo string
	Command               Command
	Amount                cents
	Date                  string
	Status                Status
	Description           string
}

func (r *maintainResp) status() (Status, string) { return r.Status, r.Description }

func (r *maintainResp) decodeMember(d *decoder, m member) {
	switch {
	case m.is("OrderNo"):
		r.OrderNo = d.str(m)
	case m.is("ShopNo"):
		r.ShopNo = d.str(m)
	case m.is("TSNo"):
		r.TSNo = d.str(m)
	case m.is("Command"):
		r.Command = Command(d.str(m))
	case m.is("Amount"):
		r.Amount = d.amount(m)
	case m.is("Date"):
		r.Date = d.str(m)
	case m.is("Status"):
		r.Status = Status(d.str(m))
	case m.is("Description"):
		r.Description = d.str(m)
	}
}

// OrderMaintain captures, cancels or refunds a card order. It changes money
// at the bank, so it is never retried (except when the bank refused the
// nonce, which proves it did nothing). After ErrTransport, check the order
// with OrderQuery before asking again.
func (c *Client) OrderMaintain(ctx context.Context, p *OrderMaintainParams) (*MaintainResult, error) {
	if err := p.Validate(); err != nil {
		setService(err, ServiceOrderMaintain)
		return nil, err
	}
	msg := &orderMaintainMsg{ShopNo: c.shopNo, OrderNo: p.OrderNo, Command: p.Command, Amount: p.Amount * 100, Remark: p.Remark}
	var w maintainResp
	if err := c.call(ctx, ServiceOrderMaintain, mutating, msg, &w); err != nil {
		return nil, err
	}
	amt, err := w.Amount.ntd("Amount")
	if err != nil {
		return nil, malformed(ServiceOrderMaintain, err)
	}
	r := &MaintainResult{OrderNo: w.OrderNo, ShopNo: w.ShopNo, TSNo: w.TSNo, Command: w.Command, Amount: amt,
		Date: w.Date, Status: w.Status, Description: w.Description}
	if r.OrderNo != p.OrderNo || (r.Command != "" && r.Command != p.Command) {
		return r, &Error{Service: ServiceOrderMaintain, Msg: fmt.Sprintf("bank answered for order %q command %q, asked %q %q", r.OrderNo, r.Command, p.OrderNo, p.Command), Err: ErrMismatch}
	}
	return r, nil
}

// Capture asks for the capture (請款) of an authorised card order; amount
// 0 captures the whole authorisation.
func (c *Client) Capture(ctx context.Context, orderNo string, amount int64) (*MaintainResult, error) {
	return c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: orderNo, Command: CommandCapture, Amount: amount})
}

// CancelAuthorization voids the authorisation of an uncaptured card order.
func (c *Client) CancelAuthorization(ctx context.Context, orderNo, remark string) (*MaintainResult, error) {
	return c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: orderNo, Command: CommandCancel, Remark: remark})
}

// RefundParams asks for a refund of a captured card order. Say how much
// with exactly one of Amount and All: an Amount of 0 is refused rather
// than read as "everything", so that a forgotten amount never refunds a
// whole order.
type RefundParams struct {
	OrderNo string
	// Amount is whole NT$, at most what was captured less what was
	// refunded before.
	Amount int64
	// All refunds everything not yet refunded (the bank's own reading of a
	// refund without an Amount).
	All bool
	// Remark is the reason, kept by the bank; optional.
	Remark string
}

// Validate checks the parameters.
func (p *RefundParams) Validate() error {
	switch {
	case p.All && p.Amount != 0:
		return invalid("Amount", "must be 0 with All (All refunds everything left)")
	case !p.All && p.Amount == 0:
		return invalid("Amount", "is required; set All to refund everything left")
	}
	return p.maintain().Validate()
}

func (p *RefundParams) maintain() *OrderMaintainParams {
	return &OrderMaintainParams{OrderNo: p.OrderNo, Command: CommandRefund, Amount: p.Amount, Remark: p.Remark}
}

// Refund refunds a captured card order (OrderMaintain R), in part or in
// full. Like every OrderMaintain it is sent once and never retried: after
// ErrTransport the refund may or may not have happened, so look (BillQuery
// lists refunds by day; OrderQuery's RefundFlag says whether there is any)
// before asking again. The bank's API cannot refund an ATM transfer.
func (c *Client) Refund(ctx context.Context, p *RefundParams) (*MaintainResult, error) {
	if err := p.Validate(); err != nil {
		setService(err, ServiceOrderMaintain)
		return nil, err
	}
	return c.OrderMaintain(ctx, p.maintain())
}
