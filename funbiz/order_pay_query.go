package funbiz

import (
	"context"
)

// APType is the kind of payment message behind a PayToken.
type APType string

const (
	APTypePayOut     APType = "PayOut"     // a payment result
	APTypeCaptureOut APType = "CaptureOut" // a scheduled capture completed
)

// PayResult is the answer to OrderPayQuery: what a PayToken stands for.
type PayResult struct {
	ShopNo      string
	PayToken    string
	Date        string
	Status      Status
	Description string
	// Payment is the bank's TSResultContent.
	Payment Payment
}

// Payment is one payment event (TSResultContent). Amount is whole NT$.
type Payment struct {
	APType      APType
	TSNo        string
	OrderNo     string
	ShopNo      string
	PayType     PayType
	Amount      int64
	Status      Status
	Description string `json:",omitempty"`
	Param1      string `json:",omitempty"`
	Param2      string `json:",omitempty"`
	Param3      string `json:",omitempty"`
	PayDate     string `json:",omitempty"`
	LeftCCNo    string `json:",omitempty"`
	RightCCNo   string `json:",omitempty"`
	CCExpDate   string `json:",omitempty"`
	CCToken     string `json:",omitempty"`
}

// Succeeded reports whether the payment itself succeeded.
func (p *Payment) Succeeded() bool {
	return p.Status == StatusSuccess && (p.APType == APTypePayOut || p.APType == APTypeCaptureOut || p.APType == "")
}

type paymentWire struct {
	APType                                  APType
	TSNo, OrderNo, ShopNo                   string
	PayType                                 PayType
	Amount                                  cents
	Status                                  Status
	Description, Param1, Param2, Param3     string
	PayDate, LeftCCNo, RightCCNo, CCExpDate string
	CCToken                                 string
}

func (p *paymentWire) decodeMember(d *decoder, m member) {
	switch {
	case m.is("APType"):
		p.APType = APType(d.str(m))
	case m.is("TSNo"):
		p.TSNo = d.str(m)
	case m.is("OrderNo"):
		p.OrderNo = d.str(m)
	case m.is("ShopNo"):
		p.ShopNo = d.str(m)
	case m.is("PayType"):
		p.PayType = PayType(d.str(m))
	case m.is("Amount"):
		p.Amount = d.amount(m)
	case m.is("Status"):
		p.Status = Status(d.str(m))
	case m.is("Description"):
		p.Description = d.str(m)
	case m.is("Param1"):
		p.Param1 = d.str(m)
	case m.is("Param2"):
		p.Param2 = d.str(m)
	case m.is("Param3"):
		p.Param3 = d.str(m)
	case m.is("PayDate"):
		p.PayDate = d.str(m)
	case m.is("LeftCCNo"):
		p.LeftCCNo = d.str(m)
	case m.is("RightCCNo"):
		p.RightCCNo = d.str(m)
	case m.is("CCExpDate"):
		p.CCExpDate = d.str(m)
	case m.is("CCToken"):
		p.CCToken = d.str(m)
	}
}

type payQueryMsg struct {
	ShopNo   string `json:"ShopNo"`
	PayToken string `json:"PayToken"`
}

func (m *payQueryMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendStr(b, o, "PayToken", m.PayToken)
	return append(b, '}')
}

type payQueryResp struct {
	ShopNo, PayToken, Date, Description string
	Status                              Status
	TSResultContent                     *paymentWire
}

func (r *payQueryResp) status() (Status, string) { return r.Status, r.Description }

func (r *payQueryResp) decodeMember(d *decoder, m member) {
	switch {
	case m.is("ShopNo"):
		r.ShopNo = d.str(m)
	case m.is("PayToken"):
		r.PayToken = d.str(m)
	case m.is("Date"):
		r.Date = d.str(m)
	case m.is("Status"):
		r.Status = Status(d.str(m))
	case m.is("Description"):
		r.Description = d.str(m)
	case m.is("TSResultContent"):
		r.TSResultContent = nil
		if p := new(paymentWire); d.object(m, p) {
			r.TSResultContent = p
		}
	}
}

// OrderPayQuery asks the bank what a PayToken stands for. It is read-only
// and retried on transport failures. The answer's Sign has been verified;
// whether it matches your order is yours to check (see Confirm).
func (c *Client) OrderPayQuery(ctx context.Context, payToken string) (*PayResult, error) {
	if err := CheckPayToken(payToken); err != nil {
		setService(err, ServiceOrderPayQuery)
		return nil, err
	}
	var w payQueryResp
	if err := c.call(ctx, ServiceOrderPayQuery, readOnly, &payQueryMsg{ShopNo: c.shopNo, PayToken: payToken}, &w); err != nil {
		return nil, err
	}
	return w.result()
}

// result converts the answer.
func (w *payQueryResp) result() (*PayResult, error) {
	if w.TSResultContent == nil {
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: "answer has no TSResultContent", Err: ErrMalformedResponse}
	}
	t := w.TSResultContent
	amt, err := t.Amount.ntd("TSResultContent.Amount")
	if err != nil {
		return nil, malformed(ServiceOrderPayQuery, err)
	}
	return &PayResult{
		ShopNo: w.ShopNo, PayToken: w.PayToken, Date: w.Date, Status: w.Status, Description: w.Description,
		Payment: Payment{
			APType: t.APType, TSNo: t.TSNo, OrderNo: t.OrderNo, ShopNo: t.ShopNo, PayType: t.PayType, Amount: amt,
			Status: t.Status, Description: t.Description, Param1: t.Param1, Param2: t.Param2, Param3: t.Param3,
			PayDate: t.PayDate, LeftCCNo: t.LeftCCNo, RightCCNo: t.RightCCNo, CCExpDate: t.CCExpDate, CCToken: t.CCToken,
		},
	}, nil
}
