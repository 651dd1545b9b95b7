package funbiz

import (
	"bytes"
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

// Allot is one settlement. The manual calls its amounts decimals; this
// package reads them in the API's unit (NT$0.01) and reports whole NT$ and
// the exact cents, since fees need not be whole NT$.
type Allot struct {
	AllotNo             string
	AllotDate           string
	PayType             PayType
	PayAmount           int64
	RefundAmount        int64
	FeeAmountCents      int64
	ExtAllotAmountCents int64
	AllotAmountCents    int64
	Account             string
	Items               []AllotItem
}

// AllotItem is one order in a settlement.
type AllotItem struct {
	TSNo     string
	OrderNo  string
	PayDate  string
	Amount   int64
	FeeCents int64
	TSType   TSType
}

type allotMsg struct {
	ShopNo     string  `json:"ShopNo"`
	AllotDateS string  `json:"AllotDateS"`
	AllotDateE string  `json:"AllotDateE"`
	PayType    PayType `json:"PayType,omitempty"`
}

type allotWire struct {
	AllotNo                                string
	AllotDate                              jsonText
	PayType                                PayType
	PayAmount, RefundAmount                cents
	FeeAmount, ExtAllotAmount, AllotAmount cents
	Account                                string
	List                                   []struct {
		TSNO, OrderNO, PayDate string
		Amount, Fee            cents
		TSType                 TSType
	}
}

// jsonText accepts a JSON string or number and keeps its text.
type jsonText string

func (t *jsonText) UnmarshalJSON(b []byte) error {
	*t = jsonText(bytes.Trim(b, `"`))
	return nil
}

type allotResp struct {
	ShopNo, Date, Description string
	Status                    Status
	Allot                     []allotWire
}

func (r *allotResp) status() (Status, string) { return r.Status, r.Description }

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
		pay, err := a.PayAmount.ntd("PayAmount")
		if err != nil {
			return nil, malformed(ServiceAllotQuery, err)
		}
		ref, err := a.RefundAmount.ntd("RefundAmount")
		if err != nil {
			return nil, malformed(ServiceAllotQuery, err)
		}
		al := Allot{AllotNo: a.AllotNo, AllotDate: string(a.AllotDate), PayType: a.PayType, PayAmount: pay, RefundAmount: ref,
			FeeAmountCents: int64(a.FeeAmount), ExtAllotAmountCents: int64(a.ExtAllotAmount), AllotAmountCents: int64(a.AllotAmount), Account: a.Account}
		for _, it := range a.List {
			amt, err := it.Amount.ntd("Amount")
			if err != nil {
				return nil, malformed(ServiceAllotQuery, err)
			}
			al.Items = append(al.Items, AllotItem{TSNo: it.TSNO, OrderNo: it.OrderNO, PayDate: it.PayDate, Amount: amt, FeeCents: int64(it.Fee), TSType: it.TSType})
		}
		r.Allots = append(r.Allots, al)
	}
	return r, nil
}
