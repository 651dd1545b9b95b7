package sandbox

import (
	"strconv"

	"github.com/sinopay/sinopay/funbiz"
)

type payQueryAnswer struct {
	ShopNo          string        `json:"ShopNo"`
	PayToken        string        `json:"PayToken"`
	Date            string        `json:"Date"`
	Status          funbiz.Status `json:"Status"`
	Description     string        `json:"Description"`
	TSResultContent *tsResultWire `json:"TSResultContent"`
}

// tsResultWire is TSResultContent as in the bank's real answer; Amount
// is a string there, unlike everywhere else (PROTOCOL §8.3).
type tsResultWire struct {
	APType      string        `json:"APType"`
	TSNo        string        `json:"TSNo"`
	OrderNo     string        `json:"OrderNo"`
	ShopNo      string        `json:"ShopNo"`
	PayType     string        `json:"PayType"`
	Amount      string        `json:"Amount"`
	Status      funbiz.Status `json:"Status"`
	Description string        `json:"Description"`
	Param1      string        `json:"Param1,omitempty"`
	Param2      string        `json:"Param2,omitempty"`
	Param3      string        `json:"Param3,omitempty"`
	PayDate     string        `json:"PayDate"`
	LeftCCNo    string        `json:"LeftCCNo,omitempty"`
	RightCCNo   string        `json:"RightCCNo,omitempty"`
	CCExpDate   string        `json:"CCExpDate,omitempty"`
}

func (s *Sandbox) orderPayQuery(req *request) (any, *refusal) {
	tok, ref := req.msg.str("PayToken")
	if ref != nil {
		return nil, ref
	}
	if ref := req.msg.required("PayToken", tok); ref != nil {
		return nil, ref
	}
	if ref := req.msg.text("PayToken", tok, funbiz.MaxPayToken); ref != nil {
		return nil, ref
	}
	s.mu.Lock()
	p := s.payments[tok]
	var w *tsResultWire
	if p != nil && p.ShopNo == req.m.shopNo {
		o := s.orders[orderKey{p.ShopNo, p.OrderNo}]
		w = &tsResultWire{
			APType: p.APType, TSNo: p.TSNo, OrderNo: p.OrderNo, ShopNo: p.ShopNo, PayType: p.PayType,
			Amount: strconv.FormatInt(p.Amount, 10), Status: funbiz.Status(p.Status), Description: p.Description,
			Param1: o.Param1, Param2: o.Param2, Param3: o.Param3, PayDate: dt(p.PayDate),
			LeftCCNo: p.LeftCCNo, RightCCNo: p.RightCCNo, CCExpDate: p.CCExpDate,
		}
		if p.Misreport != nil {
			p.Misreport.payQuery(w, p.Amount)
		}
	}
	s.mu.Unlock()
	if w == nil {
		return nil, refuse(CodeNotFound, "PayToken is not known for this shop")
	}
	return &payQueryAnswer{ShopNo: req.m.shopNo, PayToken: tok, Date: dt(s.Now()), Status: funbiz.StatusSuccess, Description: successDescription, TSResultContent: w}, nil
}
