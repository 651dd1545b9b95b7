package sandbox

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/sinopay/sinopay/funbiz"
)

// Settlement rules of the sandbox (the bank's are per contract): money
// collected or refunded on day D is settled on D+1, one settlement per
// PayType per day; the fee is NT$15 per ATM collection and 2.5% of a card
// collection, rounded half up to NT$0.01; refunds carry no fee.
const (
	atmFeeCents     = 1500
	cardFeePerMille = 25
)

func fee(e billEvent) int64 {
	if e.typ != funbiz.TSTypeCollection {
		return 0
	}
	if e.o.PayType == "A" {
		return atmFeeCents
	}
	return (e.amount*cardFeePerMille + 500) / 1000
}

type allotItem struct {
	TSNO    string        `json:"TSNO"`
	OrderNO string        `json:"OrderNO"`
	PayDate string        `json:"PayDate"`
	Amount  int64         `json:"Amount"`
	Fee     int64         `json:"Fee"`
	TSType  funbiz.TSType `json:"TSType"`
}

type allotRow struct {
	AllotNo        string      `json:"AllotNo"`
	AllotDate      int64       `json:"AllotDate"`
	PayType        string      `json:"PayType"`
	PayAmount      int64       `json:"PayAmount"`
	RefundAmount   int64       `json:"RefundAmount"`
	FeeAmount      int64       `json:"FeeAmount"`
	ExtAllotAmount int64       `json:"ExtAllotAmount"`
	AllotAmount    int64       `json:"AllotAmount"`
	Account        string      `json:"Account"`
	List           []allotItem `json:"List"`
}

type allotAnswer struct {
	ShopNo      string        `json:"ShopNo"`
	Date        string        `json:"Date"`
	Status      funbiz.Status `json:"Status"`
	Description string        `json:"Description"`
	Allot       []allotRow    `json:"Allot"`
}

func (s *Sandbox) allotQuery(req *request) (any, *refusal) {
	m := req.msg
	v, ref := m.strs("AllotDateS", "AllotDateE", "PayType")
	if ref != nil {
		return nil, ref
	}
	for _, n := range []string{"AllotDateS", "AllotDateE"} {
		if ref := m.required(n, v[n]); ref != nil {
			return nil, ref
		}
		if ref := m.date(n, v[n]); ref != nil {
			return nil, ref
		}
	}
	if v["AllotDateS"] > v["AllotDateE"] {
		return nil, refuse(CodeBadField, "AllotDateS is after AllotDateE")
	}
	if p := v["PayType"]; p != "" && p != "A" && p != "C" {
		return nil, refuse(CodeBadField, "PayType must be A, C or absent, got %s", clip(p, 10))
	}
	now := s.Now()
	today := funbiz.FormatDate(now)
	type key struct{ day, payType string }
	groups := map[key]*allotRow{}
	s.mu.Lock()
	for _, e := range s.billEventsLocked(req.m.shopNo) {
		day := settlementDay(e.at)
		if day > today || day < v["AllotDateS"] || day > v["AllotDateE"] || (v["PayType"] != "" && e.o.PayType != v["PayType"]) {
			continue
		}
		k := key{day, e.o.PayType}
		g := groups[k]
		if g == nil {
			n, _ := strconv.ParseInt(day, 10, 64)
			g = &allotRow{AllotNo: shopPrefix(req.m.shopNo) + day + e.o.PayType, AllotDate: n, PayType: e.o.PayType,
				Account: settlementAccount(req.m.shopNo), List: []allotItem{}}
			groups[k] = g
		}
		f := fee(e)
		if e.typ == funbiz.TSTypeCollection {
			g.PayAmount += e.amount
		} else {
			g.RefundAmount += e.amount
		}
		g.FeeAmount += f
		g.List = append(g.List, allotItem{TSNO: e.o.TSNo, OrderNO: e.o.OrderNo, PayDate: dt(e.at), Amount: e.amount, Fee: f, TSType: e.typ})
	}
	s.mu.Unlock()
	rows := make([]allotRow, 0, len(groups))
	for _, g := range groups {
		g.AllotAmount = g.PayAmount - g.RefundAmount - g.FeeAmount + g.ExtAllotAmount
		rows = append(rows, *g)
	}
	slices.SortFunc(rows, func(a, b allotRow) int {
		return cmp.Or(cmp.Compare(a.AllotDate, b.AllotDate), cmp.Compare(a.PayType, b.PayType))
	})
	return &allotAnswer{ShopNo: req.m.shopNo, Date: dt(now), Status: funbiz.StatusSuccess, Description: successDescription, Allot: rows}, nil
}

// settlementAccount is a made-up, stable 14-digit account per shop.
func settlementAccount(shopNo string) string {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(shopNo); i++ {
		h = (h ^ uint64(shopNo[i])) * 1099511628211
	}
	return fmt.Sprintf("807%011d", h%100_000_000_000)
}
