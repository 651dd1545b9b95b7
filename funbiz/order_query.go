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

func (m *orderQueryMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendOptStr(b, o, "OrderNo", m.OrderNo)
	b = appendOptStr(b, o, "PayType", string(m.PayType))
	b = appendOptStr(b, o, "OrderDateTimeS", m.OrderDateTimeS)
	b = appendOptStr(b, o, "OrderDateTimeE", m.OrderDateTimeE)
	b = appendOptStr(b, o, "PayDateTimeS", m.PayDateTimeS)
	b = appendOptStr(b, o, "PayDateTimeE", m.PayDateTimeE)
	b = appendOptStr(b, o, "PayFlag", string(m.PayFlag))
	return append(b, '}')
}

// OrderQueryResult is the answer to OrderQuery.
type OrderQueryResult struct {
	ShopNo      string
	Date        string
	Status      Status
	Description string
	Orders      []OrderInfo
}

// OrderInfo is one order as the bank sees it (an OrderList row, PROTOCOL
// §8.2). Amounts are whole NT$; times are yyyyMMddHHmm, Taiwan time.
type OrderInfo struct {
	OrderNo string
	TSNo    string
	// TSDate is when the order was created.
	TSDate string
	// ApprovedDate is when a card was authorised.
	ApprovedDate string `json:",omitempty"`
	// PayDate is when the money was collected: the transfer, or the
	// capture.
	PayDate   string `json:",omitempty"`
	Amount    int64
	PayType   PayType
	PayStatus PayStatus
	// ExpireDate is when the order stops taking a payment: the end of an
	// ATM order's last day, or when a card page expires.
	ExpireDate string `json:",omitempty"`
	// RefundFlag is FlagYes once the order has any refund, partial or
	// full. It does not say how much: BillQuery lists each refund (TSType
	// R) on its day, and OrderMaintain's answer gives the amount of each.
	RefundFlag Flag `json:",omitempty"`
	// RefundAmount and RefundDate are read when an answer carries them, but
	// they are not in the public record of OrderQuery, which lists only
	// RefundFlag; our sandbox leaves them empty, as it sends nothing the
	// bank is not known to send. Do not rely on them: a 0 means "not
	// said", not "nothing refunded".
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

func (a *ATMDetail) decodeMember(d *decoder, m member) {
	switch {
	case m.is("AtmPayNo"):
		a.AtmPayNo = d.str(m)
	case m.is("WebAtmURL"):
		a.WebAtmURL = d.str(m)
	case m.is("OtpURL"):
		a.OtpURL = d.str(m)
	case m.is("BankNo"):
		a.BankNo = d.str(m)
	case m.is("AcctNo"):
		a.AcctNo = d.str(m)
	}
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

func (c *CardDetail) decodeMember(d *decoder, m member) {
	switch {
	case m.is("CardPayURL"):
		c.CardPayURL = d.str(m)
	case m.is("LeftCCNo"):
		c.LeftCCNo = d.str(m)
	case m.is("RightCCNo"):
		c.RightCCNo = d.str(m)
	case m.is("AuthCode"):
		c.AuthCode = d.str(m)
	case m.is("CCExpDate"):
		c.CCExpDate = d.str(m)
	case m.is("CCToken"):
		c.CCToken = d.str(m)
	}
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

func (w *orderInfoWire) decodeMember(d *decoder, m member) {
	switch {
	case m.is("OrderNo"):
		w.OrderNo = d.str(m)
	case m.is("TSNo"):
		w.TSNo = d.str(m)
	case m.is("TSDate"):
		w.TSDate = d.str(m)
	case m.is("ApprovedDate"):
		w.ApprovedDate = d.str(m)
	case m.is("PayDate"):
		w.PayDate = d.str(m)
	case m.is("Amount"):
		w.Amount = d.amount(m)
	case m.is("PayType"):
		w.PayType = PayType(d.str(m))
	case m.is("PayStatus"):
		w.PayStatus = PayStatus(d.str(m))
	case m.is("ExpireDate"):
		w.ExpireDate = d.str(m)
	case m.is("RefundFlag"):
		w.RefundFlag = Flag(d.str(m))
	case m.is("RefundAmount"):
		w.RefundAmount = d.amount(m)
	case m.is("RefundDate"):
		w.RefundDate = d.str(m)
	case m.is("PrdtName"):
		w.PrdtName = d.str(m)
	case m.is("Memo"):
		w.Memo = d.str(m)
	case m.is("Param1"):
		w.Param1 = d.str(m)
	case m.is("Param2"):
		w.Param2 = d.str(m)
	case m.is("Param3"):
		w.Param3 = d.str(m)
	case m.is("AuthCode"):
		w.AuthCode = d.str(m)
	case m.is("ATMParam"):
		w.ATMParam = nil
		if a := new(ATMDetail); d.object(m, a) {
			w.ATMParam = a
		}
	case m.is("CardParam"):
		w.CardParam = nil
		if c := new(CardDetail); d.object(m, c) {
			w.CardParam = c
		}
	}
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

func (r *orderQueryResp) decodeMember(d *decoder, m member) {
	switch {
	case m.is("ShopNo"):
		r.ShopNo = d.str(m)
	case m.is("Date"):
		r.Date = d.str(m)
	case m.is("Status"):
		r.Status = Status(d.str(m))
	case m.is("Description"):
		r.Description = d.str(m)
	case m.is("OrderList"):
		r.OrderList = nil
		d.array(m, func(e member) {
			r.OrderList = append(r.OrderList, orderInfoWire{})
			d.object(e, &r.OrderList[len(r.OrderList)-1])
		})
	}
}

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
