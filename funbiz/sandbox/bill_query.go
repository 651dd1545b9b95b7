package sandbox

import (
	"slices"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// billEvent is money moving on an order: a collection or a refund.
type billEvent struct {
	o      *order
	typ    funbiz.TSType
	at     time.Time
	amount int64
}

// billEventsLocked lists the shop's collections and refunds in time order.
func (s *Sandbox) billEventsLocked(shopNo string) []billEvent {
	var ev []billEvent
	for _, o := range s.orderSeq {
		if o.ShopNo != shopNo {
			continue
		}
		if at := o.payDate(); !at.IsZero() {
			amt := o.Amount
			if o.PayType == "C" {
				amt = o.Captured
			}
			ev = append(ev, billEvent{o, funbiz.TSTypeCollection, at, amt})
		}
		for _, r := range o.Refunds {
			ev = append(ev, billEvent{o, funbiz.TSTypeRefund, r.At, r.Amount})
		}
	}
	slices.SortStableFunc(ev, func(a, b billEvent) int { return a.at.Compare(b.at) })
	return ev
}

type billRow struct {
	TSNo    string        `json:"TSNo"`
	OrderNo string        `json:"OrderNo"`
	TSType  funbiz.TSType `json:"TSType"`
	TSDate  string        `json:"TSDate"`
	PayDate string        `json:"PayDate"`
	PayType string        `json:"PayType"`
	Amount  int64         `json:"Amount"`
	Param1  string        `json:"Param1"`
	Param2  string        `json:"Param2"`
	Param3  string        `json:"Param3"`
}

type billAnswer struct {
	ShopNo      string        `json:"ShopNo"`
	Date        string        `json:"Date"`
	BillDate    string        `json:"BillDate"`
	Status      funbiz.Status `json:"Status"`
	Description string        `json:"Description"`
	OrderList   []billRow     `json:"OrderList"`
}

func (s *Sandbox) billQuery(req *request) (any, *refusal) {
	day, ref := req.msg.str("BillDate")
	if ref != nil {
		return nil, ref
	}
	if ref := req.msg.required("BillDate", day); ref != nil {
		return nil, ref
	}
	if ref := req.msg.date("BillDate", day); ref != nil {
		return nil, ref
	}
	rows := []billRow{}
	s.mu.Lock()
	for _, e := range s.billEventsLocked(req.m.shopNo) {
		if funbiz.FormatDate(e.at) != day {
			continue
		}
		o := e.o
		rows = append(rows, billRow{TSNo: o.TSNo, OrderNo: o.OrderNo, TSType: e.typ, TSDate: dt(o.Created), PayDate: dt(e.at),
			PayType: o.PayType, Amount: e.amount, Param1: o.Param1, Param2: o.Param2, Param3: o.Param3})
	}
	s.mu.Unlock()
	return &billAnswer{ShopNo: req.m.shopNo, Date: dt(s.Now()), BillDate: day, Status: funbiz.StatusSuccess, Description: successDescription, OrderList: rows}, nil
}
