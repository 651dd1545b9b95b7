package funbiz

import (
	"context"
)

// AllotParams selects settlements (撥款) by date range, yyyyMMdd, and
// optionally by PayType.
type AllotParams struct {
	AllotDateS string
	AllotDateE string
	PayType    PayType
}

// AllotResult lists settlements.
type AllotResult struct {
	ShopNo      string
	Date        string
	Status      Status
	Description string
	Allots      []Allot
}

// Allot is one settlement. Its amounts are SettlementAmounts: their form
// on the wire is not public, so each is read exactly and kept as sent.
type Allot struct {
	AllotNo        string
	AllotDate      string
	PayType        PayType
	PayAmount      SettlementAmount
	RefundAmount   SettlementAmount
	FeeAmount      SettlementAmount
	ExtAllotAmount SettlementAmount
	AllotAmount    SettlementAmount
	Account        string
	Items          []AllotItem
}

// AllotItem is one order in a settlement.
type AllotItem struct {
	TSNo    string
	OrderNo string
	PayDate string
	Amount  SettlementAmount
	Fee     SettlementAmount
	TSType  TSType
}

type allotMsg struct {
	ShopNo     string  `json:"ShopNo"`
	AllotDateS string  `json:"AllotDateS"`
	AllotDateE string  `json:"AllotDateE"`
	PayType    PayType `json:"PayType,omitempty"`
}

func (m *allotMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendStr(b, o, "AllotDateS", m.AllotDateS)
	b = appendStr(b, o, "AllotDateE", m.AllotDateE)
	b = appendOptStr(b, o, "PayType", string(m.PayType))
	return append(b, '}')
}

type allotWire struct {
	AllotNo string
	// AllotDate is a number in the bank's answers; its text is kept.
	AllotDate                              string
	PayType                                PayType
	PayAmount, RefundAmount                SettlementAmount
	FeeAmount, ExtAllotAmount, AllotAmount SettlementAmount
	Account                                string
	List                                   []allotItemWire
}

func (a *allotWire) decodeMember(d *decoder, m member) {
	switch {
	case m.is("AllotNo"):
		a.AllotNo = d.str(m)
	case m.is("AllotDate"):
		a.AllotDate = d.str(m)
	case m.is("PayType"):
		a.PayType = PayType(d.str(m))
	case m.is("PayAmount"):
		a.PayAmount = readSettlementAmount(m)
	case m.is("RefundAmount"):
		a.RefundAmount = readSettlementAmount(m)
	case m.is("FeeAmount"):
		a.FeeAmount = readSettlementAmount(m)
	case m.is("ExtAllotAmount"):
		a.ExtAllotAmount = readSettlementAmount(m)
	case m.is("AllotAmount"):
		a.AllotAmount = readSettlementAmount(m)
	case m.is("Account"):
		a.Account = d.str(m)
	case m.is("List"):
		a.List = nil
		d.array(m, func(e member) {
			a.List = append(a.List, allotItemWire{})
			d.object(e, &a.List[len(a.List)-1])
		})
	}
}

// allotItemWire is one order of a settlement; the bank spells TSNO and
// OrderNO so.
type allotItemWire struct {
	TSNO, OrderNO, PayDate string
	Amount, Fee            SettlementAmount
	TSType                 TSType
}

func (it *allotItemWire) decodeMember(d *decoder, m member) {
	switch {
	case m.is("TSNO"):
		it.TSNO = d.str(m)
	case m.is("OrderNO"):
		it.OrderNO = d.str(m)
	case m.is("PayDate"):
		it.PayDate = d.str(m)
	case m.is("Amount"):
		it.Amount = readSettlementAmount(m)
	case m.is("Fee"):
		it.Fee = readSettlementAmount(m)
	case m.is("TSType"):
		it.TSType = TSType(d.str(m))
	}
}

type allotResp struct {
	ShopNo, Date, Description string
	Status                    Status
	Allot                     []allotWire
}

func (r *allotResp) status() (Status, string) { return r.Status, r.Description }

func (r *allotResp) decodeMember(d *decoder, m member) {
	switch {
	case m.is("ShopNo"):
		r.ShopNo = d.str(m)
	case m.is("Date"):
		r.Date = d.str(m)
	case m.is("Status"):
		r.Status = Status(d.str(m))
	case m.is("Description"):
		r.Description = d.str(m)
	case m.is("Allot"):
		r.Allot = nil
		d.array(m, func(e member) {
			r.Allot = append(r.Allot, allotWire{})
			d.object(e, &r.Allot[len(r.Allot)-1])
		})
	}
}

// AllotQuery lists settlements in a date range. It is read-only.
func (c *Client) AllotQuery(ctx context.Context, p *AllotParams) (*AllotResult, error) {
	err := checkDate("AllotDateS", p.AllotDateS, true)
	if err == nil {
		err = checkDate("AllotDateE", p.AllotDateE, true)
	}
	if err == nil && p.AllotDateS > p.AllotDateE {
		err = invalid("AllotDateS", "is after AllotDateE")
	}
	if err == nil && p.PayType != "" && p.PayType != PayTypeATM && p.PayType != PayTypeCard {
		err = invalid("PayType", "must be A, C or empty, got %q", p.PayType)
	}
	if err != nil {
		setService(err, ServiceAllotQuery)
		return nil, err
	}
	var w allotResp
	if err := c.call(ctx, ServiceAllotQuery, readOnly, &allotMsg{ShopNo: c.shopNo, AllotDateS: p.AllotDateS, AllotDateE: p.AllotDateE, PayType: p.PayType}, &w); err != nil {
		return nil, err
	}
	r := &AllotResult{ShopNo: w.ShopNo, Date: w.Date, Status: w.Status, Description: w.Description}
	for _, a := range w.Allot {
		al := Allot{AllotNo: a.AllotNo, AllotDate: a.AllotDate, PayType: a.PayType, PayAmount: a.PayAmount,
			RefundAmount: a.RefundAmount, FeeAmount: a.FeeAmount, ExtAllotAmount: a.ExtAllotAmount,
			AllotAmount: a.AllotAmount, Account: a.Account}
		for _, it := range a.List {
			al.Items = append(al.Items, AllotItem{TSNo: it.TSNO, OrderNo: it.OrderNO, PayDate: it.PayDate, Amount: it.Amount, Fee: it.Fee, TSType: it.TSType})
		}
		r.Allots = append(r.Allots, al)
	}
	return r, nil
}
