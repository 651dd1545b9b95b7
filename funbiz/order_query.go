package funbiz

import (
	"context"
)

// OrderQueryParams filters OrderQuery. At least one filter is required
// (the bank answers at most 300 orders). Times are yyyyMMddHHmm in Taiwan
// time (see FormatDateTime).
type OrderQueryParams struct {
	OrderNo        string
	PayType        PayType
	OrderDateTimeS string
	OrderDateTimeE string
	PayDateTimeS   string
	PayDateTimeE   string
	// PayFlag is FlagYes (paid, or captured) or FlagNo (not).
	PayFlag Flag
}

// MaxOrderQueryRows is the most orders one OrderQuery answers.
const MaxOrderQueryRows = 300

// Validate checks the filters.
func (p *OrderQueryParams) Validate() error {
	if p.OrderNo != "" {
		if err := checkOrderNo("OrderNo", p.OrderNo); err != nil {
			return err
		}
	}
	if p.PayType != "" && p.PayType != PayTypeATM && p.PayType != PayTypeCard {
		return invalid("PayType", "must be A, C or empty, got %q", p.PayType)
	}
	for _, f := range []struct{ name, v string }{
		{"OrderDateTimeS", p.OrderDateTimeS}, {"OrderDateTimeE", p.OrderDateTimeE},
		{"PayDateTimeS", p.PayDateTimeS}, {"PayDateTimeE", p.PayDateTimeE},
	} {
		if err := checkDateTime(f.name, f.v); err != nil {
			return err
		}
	}
	if (p.OrderDateTimeS == "") != (p.OrderDateTimeE == "") {
		return invalid("OrderDateTimeS", "and OrderDateTimeE go together")
	}
	if (p.PayDateTimeS == "") != (p.PayDateTimeE == "") {
		return invalid("PayDateTimeS", "and PayDateTimeE go together")
	}
	if p.OrderDateTimeS > p.OrderDateTimeE {
		return invalid("OrderDateTimeS", "is after OrderDateTimeE")
	}
	if p.PayDateTimeS > p.PayDateTimeE {
		return invalid("PayDateTimeS", "is after PayDateTimeE")
	}
	if p.PayFlag != "" && p.PayFlag != FlagYes && p.PayFlag != FlagNo {
		return invalid("PayFlag", "must be Y, N or empty, got %q", p.PayFlag)
	}
	if p.OrderNo == "" && p.PayType == "" && p.OrderDateTimeS == "" && p.PayDateTimeS == "" && p.PayFlag == "" {
		return invalid("OrderQueryParams", "need at least one filter")
	}
	return nil
}

type orderQueryMsg struct {
	ShopNo         string  `json:"ShopNo"`
	OrderNo        string  `json:"OrderNo,omitempty"`
	PayType        PayType `json:"PayType,omitempty"`
	OrderDateTimeS string  `json:"OrderDateTimeS,omitempty"`
	OrderDateTimeE string  `json:"OrderDateTimeE,omitempty"`
	PayDateTimeS   string  `json:"PayDateTimeS,omitempty"`
	PayDateTimeE   string  `json:"PayDateTimeE,omitempty"`
	PayFlag        Flag    `json:"PayFlag,omitempty"`
}

// OrderQueryResult is the answer to OrderQuery.
type OrderQueryResult struct {
	ShopNo      string
	Date        string
	Status      Status
	Description string
	Orders      []OrderInfo
}

// OrderInfo is one order as the bank sees it. Amounts are whole NT$.
type OrderInfo struct {
	OrderNo      string
	TSNo         string
	TSDate       string
	ApprovedDate string `json:",omitempty"`
	PayDate      string `json:",omitempty"`
	Amount       int64
	PayType      PayType
	PayStatus    PayStatus
	ExpireDate   string      `json:",omitempty"`
	RefundFlag   Flag        `json:",omitempty"`
	RefundAmount int64       `json:",omitempty"`
	RefundDate   string      `json:",omitempty"`
	PrdtName     string      `json:",omitempty"`
	Memo         string      `json:",omitempty"`
	Param1       string      `json:",omitempty"`
	Param2       string      `json:",omitempty"`
	Param3       string      `json:",omitempty"`
	ATM          *ATMDetail  `json:",omitempty"`
	Card         *CardDetail `json:",omitempty"`
}

// ATMDetail is the ATM part of an OrderQuery row.
type ATMDetail struct {
	AtmPayNo  string
	WebAtmURL string `json:",omitempty"`
	OtpURL    string `json:",omitempty"`
	// BankNo and AcctNo identify the payer's bank and the last 5 digits of
	// the payer's account, once paid.
	BankNo string `json:",omitempty"`
	AcctNo string `json:",omitempty"`
}

// CardDetail is the card part of an OrderQuery row. Card numbers are only
// ever masked: the first 6 and last 4 digits.
type CardDetail struct {
	CardPayURL string `json:",omitempty"`
	LeftCCNo   string `json:",omitempty"`
	RightCCNo  string `json:",omitempty"`
	AuthCode   string `json:",omitempty"`
	CCExpDate  string `json:",omitempty"`
	CCToken    string `json:",omitempty"`
}

type orderInfoWire struct {
	OrderNo, TSNo, TSDate, ApprovedDate, PayDate string
	Amount                                       cents
	PayType                                      PayType
	PayStatus                                    PayStatus
	ExpireDate                                   string
	RefundFlag                                   Flag
	RefundAmount                                 cents
	RefundDate, PrdtName, Memo                   string
	Param1, Param2, Param3                       string
	AuthCode                                     string
	ATMParam                                     *ATMDetail
	CardParam                                    *CardDetail
}

func (w *orderInfoWire) info() (OrderInfo, error) {
	amt, err := w.Amount.ntd("Amount")
	if err != nil {
		return OrderInfo{}, err
	}
	ref, err := w.RefundAmount.ntd("RefundAmount")
	if err != nil {
		return OrderInfo{}, err
	}
	o := OrderInfo{
		OrderNo: w.OrderNo, TSNo: w.TSNo, TSDate: w.TSDate, ApprovedDate: w.ApprovedDate, PayDate: w.PayDate,
		Amount: amt, PayType: w.PayType, PayStatus: w.PayStatus, ExpireDate: w.ExpireDate,
		RefundFlag: w.RefundFlag, RefundAmount: ref, RefundDate: w.RefundDate, PrdtName: w.PrdtName, Memo: w.Memo,
		Param1: w.Param1, Param2: w.Param2, Param3: w.Param3, ATM: w.ATMParam, Card: w.CardParam,
	}
	// One implementation reads AuthCode on the row itself.
	if w.AuthCode != "" {
		if o.Card == nil {
			o.Card = &CardDetail{}
		}
		if o.Card.AuthCode == "" {
			o.Card.AuthCode = w.AuthCode
		}
	}
	return o, nil
}

type orderQueryResp struct {
	ShopNo, Date, Description string
	Status                    Status
	OrderList                 []orderInfoWire
}

func (r *orderQueryResp) status() (Status, string) { return r.Status, r.Description }

// OrderQuery lists orders matching the filters, at most 300. It is
// read-only and retried on transport failures.
func (c *Client) OrderQuery(ctx context.Context, p *OrderQueryParams) (*OrderQueryResult, error) {
	if err := p.Validate(); err != nil {
		setService(err, ServiceOrderQuery)
		return nil, err
	}
	msg := &orderQueryMsg{ShopNo: c.shopNo, OrderNo: p.OrderNo, PayType: p.PayType, OrderDateTimeS: p.OrderDateTimeS,
		OrderDateTimeE: p.OrderDateTimeE, PayDateTimeS: p.PayDateTimeS, PayDateTimeE: p.PayDateTimeE, PayFlag: p.PayFlag}
	var w orderQueryResp
	if err := c.call(ctx, ServiceOrderQuery, readOnly, msg, &w); err != nil {
		return nil, err
	}
	r := &OrderQueryResult{ShopNo: w.ShopNo, Date: w.Date, Status: w.Status, Description: w.Description, Orders: make([]OrderInfo, 0, len(w.OrderList))}
	for i := range w.OrderList {
		o, err := w.OrderList[i].info()
		if err != nil {
			return nil, malformed(ServiceOrderQuery, err)
		}
		r.Orders = append(r.Orders, o)
	}
	return r, nil
}

// FindOrder asks the bank about one order by its OrderNo. found is false
// when the bank has no such order. This is how a caller learns whether an
// OrderCreate that timed out reached the bank.
func (c *Client) FindOrder(ctx context.Context, orderNo string) (info OrderInfo, found bool, err error) {
	if err := checkOrderNo("OrderNo", orderNo); err != nil {
		setService(err, ServiceOrderQuery)
		return OrderInfo{}, false, err
	}
	r, err := c.OrderQuery(ctx, &OrderQueryParams{OrderNo: orderNo})
	if err != nil {
		return OrderInfo{}, false, err
	}
	for _, o := range r.Orders {
		if o.OrderNo == orderNo {
			return o, true, nil
		}
	}
	return OrderInfo{}, false, nil
}
