package sandbox

import (
	"github.com/sinopay/sinopay/funbiz"
)

type unCapturedRow struct {
	OrderNo      string `json:"OrderNo"`
	TSNo         string `json:"TSNo"`
	TSDate       string `json:"TSDate"`
	ApprovedDate string `json:"ApprovedDate"`
	ExpireDate   string `json:"ExpireDate"`
	Amount       int64  `json:"Amount"`
	PayType      string `json:"PayType"`
	PrdtName     string `json:"PrdtName"`
	Memo         string `json:"Memo"`
	PayStatus    string `json:"PayStatus"`
}

type unCapturedAnswer struct {
	ShopNo      string          `json:"ShopNo"`
	Date        string          `json:"Date"`
	Status      funbiz.Status   `json:"Status"`
	Description string          `json:"Description"`
	OrderList   []unCapturedRow `json:"OrderList"`
}

func (s *Sandbox) orderUnCapturedQuery(req *request) (any, *refusal) {
	orderNo, ref := req.msg.str("OrderNo")
	if ref != nil {
		return nil, ref
	}
	if ref := req.msg.text("OrderNo", orderNo, funbiz.MaxOrderNo); ref != nil {
		return nil, ref
	}
	now := s.Now()
	rows := []unCapturedRow{}
	s.mu.Lock()
	for _, o := range s.orderSeq {
		if o.ShopNo != req.m.shopNo || o.State != stateAuthorised || (orderNo != "" && o.OrderNo != orderNo) {
			continue
		}
		rows = append(rows, unCapturedRow{
			OrderNo: o.OrderNo, TSNo: o.TSNo, TSDate: dt(o.Created), ApprovedDate: dt(o.PaidAt),
			ExpireDate: dt(o.CaptureDue), Amount: o.Amount, PayType: o.PayType, PrdtName: o.PrdtName,
			Memo: o.Memo, PayStatus: o.payStatus(now),
		})
	}
	s.mu.Unlock()
	return &unCapturedAnswer{ShopNo: req.m.shopNo, Date: dt(now), Status: funbiz.StatusSuccess, Description: successDescription, OrderList: rows}, nil
}
