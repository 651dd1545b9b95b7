package sandbox

import (
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

type orderListAnswer struct {
	ShopNo      string        `json:"ShopNo"`
	Date        string        `json:"Date"`
	Status      funbiz.Status `json:"Status"`
	Description string        `json:"Description"`
	OrderList   []orderRow    `json:"OrderList"`
}

type orderRow struct {
	OrderNo      string   `json:"OrderNo"`
	TSNo         string   `json:"TSNo"`
	TSDate       string   `json:"TSDate"`
	ApprovedDate string   `json:"ApprovedDate"`
	PayDate      string   `json:"PayDate"`
	Amount       int64    `json:"Amount"`
	PayType      string   `json:"PayType"`
	PayStatus    string   `json:"PayStatus"`
	ExpireDate   string   `json:"ExpireDate"`
	RefundFlag   string   `json:"RefundFlag"`
	PrdtName     string   `json:"PrdtName"`
	Memo         string   `json:"Memo"`
	Param1       string   `json:"Param1"`
	Param2       string   `json:"Param2"`
	Param3       string   `json:"Param3"`
	ATMParam     *atmRow  `json:"ATMParam,omitempty"`
	CardParam    *cardRow `json:"CardParam,omitempty"`
}

type atmRow struct {
	AtmPayNo  string `json:"AtmPayNo"`
	WebAtmURL string `json:"WebAtmURL"`
	OtpURL    string `json:"OtpURL"`
	BankNo    string `json:"BankNo"`
	AcctNo    string `json:"AcctNo"`
}

type cardRow struct {
	CardPayURL string `json:"CardPayURL"`
	LeftCCNo   string `json:"LeftCCNo"`
	RightCCNo  string `json:"RightCCNo"`
	AuthCode   string `json:"AuthCode"`
}

func (s *Sandbox) row(o *order, now time.Time, base string) orderRow {
	r := orderRow{
		OrderNo: o.OrderNo, TSNo: o.TSNo, TSDate: dt(o.Created), PayDate: dt(o.payDate()), Amount: o.Amount,
		PayType: o.PayType, PayStatus: o.payStatus(now), RefundFlag: yesNo(len(o.Refunds) > 0),
		PrdtName: o.PrdtName, Memo: o.Memo, Param1: o.Param1, Param2: o.Param2, Param3: o.Param3,
	}
	if o.PayType == "A" {
		r.ExpireDate = o.ExpireDate + "2359"
		r.ATMParam = &atmRow{AtmPayNo: o.AtmPayNo, WebAtmURL: webATMURL(base, o, ""), OtpURL: webATMURL(base, o, "OTP"), BankNo: o.BankNo, AcctNo: o.AcctNo}
	} else {
		r.ApprovedDate = dt(o.PaidAt)
		r.ExpireDate = dt(o.PageExpires)
		r.CardParam = &cardRow{CardPayURL: cardURL(base, o), LeftCCNo: o.LeftCCNo, RightCCNo: o.RightCCNo, AuthCode: o.AuthCode}
	}
	return r
}

func (s *Sandbox) orderQuery(req *request) (any, *refusal) {
	m := req.msg
	v, ref := m.strs("OrderNo", "PayType", "OrderDateTimeS", "OrderDateTimeE", "PayDateTimeS", "PayDateTimeE", "PayFlag")
	if ref != nil {
		return nil, ref
	}
	if ref := m.text("OrderNo", v["OrderNo"], funbiz.MaxOrderNo); ref != nil {
		return nil, ref
	}
	if p := v["PayType"]; p != "" && p != "A" && p != "C" {
		return nil, refuse(CodeBadField, "PayType must be A, C or absent, got %s", clip(p, 10))
	}
	for _, n := range []string{"OrderDateTimeS", "OrderDateTimeE", "PayDateTimeS", "PayDateTimeE"} {
		if ref := m.dateTime(n, v[n]); ref != nil {
			return nil, ref
		}
	}
	for _, pair := range [][2]string{{"OrderDateTimeS", "OrderDateTimeE"}, {"PayDateTimeS", "PayDateTimeE"}} {
		a, b := v[pair[0]], v[pair[1]]
		if (a == "") != (b == "") {
			missing := pair[0]
			if b == "" {
				missing = pair[1]
			}
			return nil, refuse(CodeMissingField, "%s is required with %s", missing, pair[0][:len(pair[0])-1]+"S/E")
		}
		if a > b {
			return nil, refuse(CodeBadField, "%s is after %s", pair[0], pair[1])
		}
	}
	if f := v["PayFlag"]; f != "" && f != "Y" && f != "N" {
		return nil, refuse(CodeBadField, "PayFlag must be Y, N or absent, got %s", clip(f, 10))
	}
	if v["OrderNo"] == "" && v["PayType"] == "" && v["OrderDateTimeS"] == "" && v["PayDateTimeS"] == "" && v["PayFlag"] == "" {
		return nil, refuse(CodeMissingField, "give at least one filter: OrderNo, PayType, OrderDateTimeS/E, PayDateTimeS/E or PayFlag")
	}
	now := s.Now()
	base := s.baseURL(req.r)
	rows := []orderRow{}
	// The answer's ShopNo, in the signed message: another shop's when it
	// lists an order a shop-mismatch rule struck. The envelope's stays
	// the asking shop's, so the Sign verifies.
	shopNo := req.m.shopNo
	orderNo, payType, payFlag := v["OrderNo"], v["PayType"], v["PayFlag"]
	orderS, orderE, payS, payE := v["OrderDateTimeS"], v["OrderDateTimeE"], v["PayDateTimeS"], v["PayDateTimeE"]
	s.mu.Lock()
	// An OrderNo names one order of the shop at most: look it up rather
	// than walk every order, which made a query cost as much as the
	// sandbox held orders.
	candidates := s.orderSeq
	if orderNo != "" {
		candidates = nil
		if o := s.orders[orderKey{req.m.shopNo, orderNo}]; o != nil {
			candidates = []*order{o}
		}
	}
	for _, o := range candidates {
		if len(rows) == funbiz.MaxOrderQueryRows {
			break
		}
		if o.ShopNo != req.m.shopNo ||
			(orderNo != "" && o.OrderNo != orderNo) ||
			(payType != "" && o.PayType != payType) ||
			(payFlag != "" && yesNo(o.payFlag()) != payFlag) {
			continue
		}
		if orderS != "" {
			if c := dt(o.Created); c < orderS || c > orderE {
				continue
			}
		}
		if payS != "" {
			if p := dt(o.payDate()); p == "" || p < payS || p > payE {
				continue
			}
		}
		r := s.row(o, now, base)
		if m := o.Misreport; m != nil {
			m.orderRow(&r)
			if m.Mode == mismatchShop {
				shopNo = m.Other
			}
		}
		rows = append(rows, r)
	}
	s.mu.Unlock()
	return &orderListAnswer{ShopNo: shopNo, Date: dt(now), Status: funbiz.StatusSuccess, Description: successDescription, OrderList: rows}, nil
}
