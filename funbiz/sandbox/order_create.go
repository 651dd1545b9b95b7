package sandbox

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

type atmAnswer struct {
	AtmPayNo  string `json:"AtmPayNo"`
	WebAtmURL string `json:"WebAtmURL"`
	OtpURL    string `json:"OtpURL"`
}

type cardAnswer struct {
	CardPayURL string `json:"CardPayURL"`
}

// orderCreateAnswer has the members of the bank's real answer, in its
// order (PROTOCOL §12, response-sandbox-ordercreate-atm).
type orderCreateAnswer struct {
	OrderNo     string        `json:"OrderNo"`
	ShopNo      string        `json:"ShopNo"`
	TSNo        string        `json:"TSNo"`
	Amount      int64         `json:"Amount"`
	Status      funbiz.Status `json:"Status"`
	Description string        `json:"Description"`
	PayType     string        `json:"PayType"`
	Param1      string        `json:"Param1,omitempty"`
	Param2      string        `json:"Param2,omitempty"`
	Param3      string        `json:"Param3,omitempty"`
	ATMParam    *atmAnswer    `json:"ATMParam,omitempty"`
	CardParam   *cardAnswer   `json:"CardParam,omitempty"`
}

func (s *Sandbox) orderCreate(req *request) (any, *refusal) {
	m := req.msg
	v, ref := m.strs("OrderNo", "CurrencyID", "PayType", "PrdtName", "Memo", "Param1", "Param2", "Param3", "ReturnURL", "BackendURL")
	if ref != nil {
		return nil, ref
	}
	if ref := m.required("OrderNo", v["OrderNo"]); ref != nil {
		return nil, ref
	}
	if ref := m.text("OrderNo", v["OrderNo"], funbiz.MaxOrderNo); ref != nil {
		return nil, ref
	}
	// No ATM ceiling: the bank's own sandbox created and paid an ATM order
	// of NT$94,403 (PROTOCOL §10).
	amount, _, ref := m.amount("Amount", true, maxAmountCents)
	if ref != nil {
		return nil, ref
	}
	if ref := m.required("CurrencyID", v["CurrencyID"]); ref != nil {
		return nil, ref
	}
	if v["CurrencyID"] != "TWD" {
		return nil, refuse(CodeBadField, "CurrencyID must be TWD, got %s", clip(v["CurrencyID"], 10))
	}
	if ref := m.required("PayType", v["PayType"]); ref != nil {
		return nil, ref
	}
	if v["PayType"] != "A" && v["PayType"] != "C" {
		return nil, refuse(CodeMethodDisabled, "PayType %s is not enabled for this shop (A ATM, C card)", clip(v["PayType"], 10))
	}
	if ref := m.required("PrdtName", v["PrdtName"]); ref != nil {
		return nil, ref
	}
	for _, c := range []struct {
		name string
		max  int
	}{{"PrdtName", funbiz.MaxPrdtName}, {"Memo", funbiz.MaxMemo}, {"Param1", funbiz.MaxParam}, {"Param2", funbiz.MaxParam}, {"Param3", funbiz.MaxParam}} {
		if ref := m.text(c.name, v[c.name], c.max); ref != nil {
			return nil, ref
		}
	}
	for _, n := range []string{"ReturnURL", "BackendURL"} {
		if ref := m.url(n, v[n]); ref != nil {
			return nil, ref
		}
	}
	now := s.Now()
	o := &order{
		ShopNo: req.m.shopNo, OrderNo: v["OrderNo"], PayType: v["PayType"], Amount: amount,
		PrdtName: v["PrdtName"], Memo: v["Memo"], Param1: v["Param1"], Param2: v["Param2"], Param3: v["Param3"],
		ReturnURL: v["ReturnURL"], BackendURL: v["BackendURL"], Created: now, State: stateWaiting,
	}
	if o.PayType == "A" {
		if ref := s.readATMParam(m, o, now); ref != nil {
			return nil, ref
		}
	} else if ref := readCardParam(m, o, now); ref != nil {
		return nil, ref
	}

	s.mu.Lock()
	if _, dup := s.orders[o.key()]; dup {
		s.mu.Unlock()
		return nil, refuse(CodeDuplicateOrder, "OrderNo %s was already used by this shop; use OrderQuery to see that order", clip(o.OrderNo, 60))
	}
	p := shopPrefix(o.ShopNo)
	s.tsSeq[p]++
	o.TSNo = fmt.Sprintf("%s%08d", p, s.tsSeq[p])
	if o.PayType == "A" {
		o.AtmPayNo = s.newAtmPayNoLocked()
		o.ATMTicket = newUUID()
		if s.opts.ATMAutoPay > 0 && !strings.HasSuffix(o.OrderNo, "9") {
			o.AutoPayAt = now.Add(s.opts.ATMAutoPay)
		}
	} else {
		o.CardToken = randomHex(16)
	}
	s.indexOrder(o)
	s.persist(writeSet{orders: []*order{o}})
	s.mu.Unlock()
	if !o.AutoPayAt.IsZero() {
		s.wakeLoop()
	}

	a := &orderCreateAnswer{
		OrderNo: o.OrderNo, ShopNo: o.ShopNo, TSNo: o.TSNo, Amount: o.Amount, Status: funbiz.StatusSuccess, Description: successDescription,
		PayType: o.PayType, Param1: o.Param1, Param2: o.Param2, Param3: o.Param3,
	}
	base := s.baseURL(req.r)
	if o.PayType == "A" {
		a.ATMParam = &atmAnswer{AtmPayNo: o.AtmPayNo, WebAtmURL: webATMURL(base, o, ""), OtpURL: webATMURL(base, o, "OTP")}
	} else {
		a.CardParam = &cardAnswer{CardPayURL: cardURL(base, o)}
	}
	return a, nil
}

func (s *Sandbox) readATMParam(m fields, o *order, now time.Time) *refusal {
	atm, ref := m.obj("ATMParam")
	if ref != nil {
		return ref
	}
	exp, ref := atm.str("ExpireDate")
	if ref != nil {
		return ref
	}
	if ref := atm.required("ExpireDate", exp); ref != nil {
		return ref
	}
	if ref := atm.date("ExpireDate", exp); ref != nil {
		return ref
	}
	if today := funbiz.FormatDate(now); exp < today {
		return refuse(CodeBadField, "ATMParam.ExpireDate %s is before today (%s, Taiwan time)", exp, today)
	}
	o.ExpireDate = exp
	return nil
}

func readCardParam(m fields, o *order, now time.Time) *refusal {
	card, ref := m.obj("CardParam")
	if ref != nil {
		return ref
	}
	v, ref := card.strs("AutoBilling", "PayTypeSub")
	if ref != nil {
		return ref
	}
	switch v["AutoBilling"] {
	case "", "Y":
		// Absent reads as Y: an order that is never captured by surprise
		// is worse than one captured at once.
		o.AutoBilling = true
	case "N":
	default:
		return refuse(CodeBadField, "CardParam.AutoBilling must be Y or N, got %s", clip(v["AutoBilling"], 10))
	}
	if v["PayTypeSub"] != "" && v["PayTypeSub"] != "ONE" {
		return refuse(CodeMethodDisabled, "CardParam.PayTypeSub %s is not enabled; only ONE (pay in full) is", clip(v["PayTypeSub"], 10))
	}
	mins, set, ref := card.int("ExpMinutes")
	if ref != nil {
		return ref
	}
	if !set {
		mins = defaultExpMinutes
	} else if mins < 1 || mins > 30 {
		return refuse(CodeBadField, "CardParam.ExpMinutes must be 1 to 30, got %d", mins)
	}
	days, set, ref := card.int("ExpBillingDays")
	if ref != nil {
		return ref
	}
	if set && (days < 1 || days > 7) {
		return refuse(CodeBadField, "CardParam.ExpBillingDays must be 1 to 7 in the sandbox, got %d", days)
	}
	if !o.AutoBilling {
		o.ExpBillingDays = int(days)
	}
	if o.ReturnURL == "" {
		return refuse(CodeMissingField, "ReturnURL is required for a card order: the card page sends the buyer back there")
	}
	o.PageExpires = now.Add(time.Duration(mins) * time.Minute)
	return nil
}

func (s *Sandbox) newAtmPayNoLocked() string {
	for {
		// 99922 is the prefix of the bank's sandbox virtual accounts.
		n := "99922" + fmt.Sprintf("%09d", randomUint64()%1_000_000_000)
		if s.byAtmPayNo[n] == nil {
			return n
		}
	}
}

func webATMURL(base string, o *order, channel string) string {
	// What url.Values.Encode gives, keys in its sorted order, without
	// building the map: every OrderQuery row draws one.
	q := "TD=" + url.QueryEscape(o.TSNo) + "&TK=" + url.QueryEscape(o.ATMTicket)
	if channel != "" {
		q = "Channel=" + url.QueryEscape(channel) + "&" + q
	}
	return base + "/_sandbox/atm/" + o.AtmPayNo + "?" + q
}

func cardURL(base string, o *order) string { return base + "/_sandbox/card/" + o.CardToken }
