package funbiz

import (
	"context"
)

// BillResult is a day's collections and refunds (BillQuery).
type BillResult struct {
	ShopNo      string
	Date        string
	BillDate    string
	Status      Status
	Description string
	Items       []BillItem
}

// BillItem is one collection or refund. Amount is whole NT$.
type BillItem struct {
	TSNo    string
	OrderNo string
	TSType  TSType
	TSDate  string
	PayDate string
	PayType PayType
	Amount  int64
	Param1  string `json:",omitempty"`
	Param2  string `json:",omitempty"`
	Param3  string `json:",omitempty"`
}

type billQueryMsg struct {
	ShopNo   string `json:"ShopNo"`
	BillDate string `json:"BillDate"`
}

func (m *billQueryMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendStr(b, o, "BillDate", m.BillDate)
	return append(b, '}')
}

type billItemWire struct {
	TSNo, OrderNo, TSDate, PayDate string
	TSType                         TSType
	PayType                        PayType
	Amount                         cents
	Param1, Param2, Param3         string
}

func (it *billItemWire) decodeMember(d *decoder, m member) {
	switch {
	case m.is("TSNo"):
		it.TSNo = d.str(m)
	case m.is("OrderNo"):
		it.OrderNo = d.str(m)
	case m.is("TSType"):
		it.TSType = TSType(d.str(m))
	case m.is("TSDate"):
		it.TSDate = d.str(m)
	case m.is("PayDate"):
		it.PayDate = d.str(m)
	case m.is("PayType"):
		it.PayType = PayType(d.str(m))
	case m.is("Amount"):
		it.Amount = d.amount(m)
	case m.is("Param1"):
		it.Param1 = d.str(m)
	case m.is("Param2"):
		it.Param2 = d.str(m)
	case m.is("Param3"):
		it.Param3 = d.str(m)
	}
}

type billQueryResp struct {
	ShopNo, Date, BillDate, Description string
	Status                              Status
	OrderList                           []billItemWire
}

func (r *billQueryResp) status() (Status, string) { return r.Status, r.Description }

func (r *billQueryResp) decodeMember(d *decoder, m member) {
	switch {
	case m.is("ShopNo"):
		r.ShopNo = d.str(m)
	case m.is("Date"):
		r.Date = d.str(m)
	case m.is("BillDate"):
		r.BillDate = d.str(m)
	case m.is("Status"):
		r.Status = Status(d.str(m))
	case m.is("Description"):
		r.Description = d.str(m)
	case m.is("OrderList"):
		r.OrderList = nil
		d.array(m, func(e member) {
			r.OrderList = append(r.OrderList, billItemWire{})
			d.object(e, &r.OrderList[len(r.OrderList)-1])
		})
	}
}

// BillQuery lists a day's collections and refunds. billDate is yyyyMMdd:
// the manual's format is not public (a sample comment says yyMMdd), and
// yyyyMMdd is the format of every other date field. It is read-only.
func (c *Client) BillQuery(ctx context.Context, billDate string) (*BillResult, error) {
	if err := checkDate("BillDate", billDate, true); err != nil {
		setService(err, ServiceBillQuery)
		return nil, err
	}
	var w billQueryResp
	if err := c.call(ctx, ServiceBillQuery, readOnly, &billQueryMsg{ShopNo: c.shopNo, BillDate: billDate}, &w); err != nil {
		return nil, err
	}
	r := &BillResult{ShopNo: w.ShopNo, Date: w.Date, BillDate: w.BillDate, Status: w.Status, Description: w.Description, Items: make([]BillItem, 0, len(w.OrderList))}
	for _, it := range w.OrderList {
		amt, err := it.Amount.ntd("Amount")
		if err != nil {
			return nil, malformed(ServiceBillQuery, err)
		}
		r.Items = append(r.Items, BillItem{TSNo: it.TSNo, OrderNo: it.OrderNo, TSType: it.TSType, TSDate: it.TSDate,
			PayDate: it.PayDate, PayType: it.PayType, Amount: amt, Param1: it.Param1, Param2: it.Param2, Param3: it.Param3})
	}
	return r, nil
}
