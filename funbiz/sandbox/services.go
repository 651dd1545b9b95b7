package sandbox

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

type serviceFunc func(s *Sandbox, req *request) (any, *refusal)

// services are the APIService values the sandbox answers (PROTOCOL §8).
var services = map[string]serviceFunc{
	funbiz.ServiceOrderCreate:          (*Sandbox).orderCreate,
	funbiz.ServiceOrderQuery:           (*Sandbox).orderQuery,
	funbiz.ServiceOrderPayQuery:        (*Sandbox).orderPayQuery,
	funbiz.ServiceOrderMaintain:        (*Sandbox).orderMaintain,
	funbiz.ServiceOrderUnCapturedQuery: (*Sandbox).orderUnCapturedQuery,
	funbiz.ServiceBillQuery:            (*Sandbox).billQuery,
	funbiz.ServiceAllotQuery:           (*Sandbox).allotQuery,
}

// Limits of PROTOCOL §10 in the wire unit.
const (
	maxATMAmountCents = funbiz.MaxATMAmount * 100
	maxAmountCents    = funbiz.MaxAmount * 100
	defaultExpMinutes = 10
)

// strs reads several string members, stopping at the first bad one.
func (f fields) strs(names ...string) (map[string]string, *refusal) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, r := f.str(n)
		if r != nil {
			return nil, r
		}
		out[n] = v
	}
	return out, nil
}

// amount reads an amount in the wire unit: a positive whole number of
// NT$0.01 that is a whole NT$, since TWD has no cents in practice.
func (f fields) amount(name string, required bool, limit int64) (int64, bool, *refusal) {
	n, set, r := f.int(name)
	switch {
	case r != nil:
		return 0, false, r
	case !set && required:
		return 0, false, refuse(CodeMissingField, "%s%s is required (NT$ × 100)", f.prefix, name)
	case !set:
		return 0, false, nil
	case n <= 0:
		return 0, false, refuse(CodeBadField, "%s%s must be more than 0", f.prefix, name)
	case n%100 != 0:
		return 0, false, refuse(CodeBadField, "%s%s %d is not a whole NT$ amount: the unit is NT$0.01, so NT$180 is 18000", f.prefix, name, n)
	case n > limit:
		return 0, false, refuse(CodeBadField, "%s%s %d is more than the limit %d (NT$%d)", f.prefix, name, n, limit, limit/100)
	}
	return n, true, nil
}

// ---- OrderCreate ----

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
	OrderNo     string      `json:"OrderNo"`
	ShopNo      string      `json:"ShopNo"`
	TSNo        string      `json:"TSNo"`
	Amount      int64       `json:"Amount"`
	Status      string      `json:"Status"`
	Description string      `json:"Description"`
	PayType     string      `json:"PayType"`
	Param1      string      `json:"Param1,omitempty"`
	Param2      string      `json:"Param2,omitempty"`
	Param3      string      `json:"Param3,omitempty"`
	ATMParam    *atmAnswer  `json:"ATMParam,omitempty"`
	CardParam   *cardAnswer `json:"CardParam,omitempty"`
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
	limit := int64(maxAmountCents)
	if v["PayType"] == "A" {
		limit = maxATMAmountCents
	}
	amount, _, ref := m.amount("Amount", true, limit)
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
		OrderNo: o.OrderNo, ShopNo: o.ShopNo, TSNo: o.TSNo, Amount: o.Amount, Status: "S", Description: successDescription,
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
	q := url.Values{"TD": {o.TSNo}, "TK": {o.ATMTicket}}
	if channel != "" {
		q.Set("Channel", channel)
	}
	return base + "/_sandbox/atm/" + o.AtmPayNo + "?" + q.Encode()
}

func cardURL(base string, o *order) string { return base + "/_sandbox/card/" + o.CardToken }

// ---- OrderQuery ----

type orderListAnswer struct {
	ShopNo      string     `json:"ShopNo"`
	Date        string     `json:"Date"`
	Status      string     `json:"Status"`
	Description string     `json:"Description"`
	OrderList   []orderRow `json:"OrderList"`
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

func dt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return funbiz.FormatDateTime(t)
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
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
	s.mu.Lock()
	for _, o := range s.orderSeq {
		if len(rows) == funbiz.MaxOrderQueryRows {
			break
		}
		if o.ShopNo != req.m.shopNo ||
			(v["OrderNo"] != "" && o.OrderNo != v["OrderNo"]) ||
			(v["PayType"] != "" && o.PayType != v["PayType"]) ||
			(v["PayFlag"] != "" && yesNo(o.payFlag()) != v["PayFlag"]) {
			continue
		}
		if v["OrderDateTimeS"] != "" {
			if c := dt(o.Created); c < v["OrderDateTimeS"] || c > v["OrderDateTimeE"] {
				continue
			}
		}
		if v["PayDateTimeS"] != "" {
			if p := dt(o.payDate()); p == "" || p < v["PayDateTimeS"] || p > v["PayDateTimeE"] {
				continue
			}
		}
		rows = append(rows, s.row(o, now, base))
	}
	s.mu.Unlock()
	return &orderListAnswer{ShopNo: req.m.shopNo, Date: dt(now), Status: "S", Description: successDescription, OrderList: rows}, nil
}

// ---- OrderPayQuery ----

type payQueryAnswer struct {
	ShopNo          string        `json:"ShopNo"`
	PayToken        string        `json:"PayToken"`
	Date            string        `json:"Date"`
	Status          string        `json:"Status"`
	Description     string        `json:"Description"`
	TSResultContent *tsResultWire `json:"TSResultContent"`
}

// tsResultWire is TSResultContent as in the bank's real answer; Amount
// is a string there, unlike everywhere else (PROTOCOL §8.3).
type tsResultWire struct {
	APType      string `json:"APType"`
	TSNo        string `json:"TSNo"`
	OrderNo     string `json:"OrderNo"`
	ShopNo      string `json:"ShopNo"`
	PayType     string `json:"PayType"`
	Amount      string `json:"Amount"`
	Status      string `json:"Status"`
	Description string `json:"Description"`
	Param1      string `json:"Param1,omitempty"`
	Param2      string `json:"Param2,omitempty"`
	Param3      string `json:"Param3,omitempty"`
	PayDate     string `json:"PayDate"`
	LeftCCNo    string `json:"LeftCCNo,omitempty"`
	RightCCNo   string `json:"RightCCNo,omitempty"`
	CCExpDate   string `json:"CCExpDate,omitempty"`
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
			Amount: strconv.FormatInt(p.Amount, 10), Status: p.Status, Description: p.Description,
			Param1: o.Param1, Param2: o.Param2, Param3: o.Param3, PayDate: dt(p.PayDate),
			LeftCCNo: p.LeftCCNo, RightCCNo: p.RightCCNo, CCExpDate: p.CCExpDate,
		}
	}
	s.mu.Unlock()
	if w == nil {
		return nil, refuse(CodeNotFound, "PayToken is not known for this shop")
	}
	return &payQueryAnswer{ShopNo: req.m.shopNo, PayToken: tok, Date: dt(s.Now()), Status: "S", Description: successDescription, TSResultContent: w}, nil
}

// ---- OrderMaintain ----

type maintainAnswer struct {
	OrderNo     string `json:"OrderNo"`
	ShopNo      string `json:"ShopNo"`
	TSNo        string `json:"TSNo"`
	Command     string `json:"Command"`
	Amount      int64  `json:"Amount"`
	Date        string `json:"Date"`
	Status      string `json:"Status"`
	Description string `json:"Description"`
}

func (s *Sandbox) orderMaintain(req *request) (any, *refusal) {
	m := req.msg
	v, ref := m.strs("OrderNo", "Command", "Remark")
	if ref != nil {
		return nil, ref
	}
	if ref := m.required("OrderNo", v["OrderNo"]); ref != nil {
		return nil, ref
	}
	if ref := m.text("OrderNo", v["OrderNo"], funbiz.MaxOrderNo); ref != nil {
		return nil, ref
	}
	if ref := m.required("Command", v["Command"]); ref != nil {
		return nil, ref
	}
	cmd := v["Command"]
	if cmd != "P" && cmd != "C" && cmd != "R" {
		return nil, refuse(CodeBadField, "Command must be P (capture), C (cancel) or R (refund), got %s", clip(cmd, 10))
	}
	amount, amountSet, ref := m.amount("Amount", false, maxAmountCents)
	if ref != nil {
		return nil, ref
	}
	if amountSet && cmd == "C" {
		return nil, refuse(CodeBadField, "Amount cannot be given with Command C: a cancellation voids the whole authorisation")
	}
	if ref := m.text("Remark", v["Remark"], funbiz.MaxRemark); ref != nil {
		return nil, ref
	}

	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[orderKey{req.m.shopNo, v["OrderNo"]}]
	if o == nil {
		return nil, refuse(CodeNotFound, "no order %s for this shop", clip(v["OrderNo"], 60))
	}
	if o.PayType != "C" {
		return nil, refuse(CodeNotAllowed, "order %s is not a card order; only card orders can be captured, cancelled or refunded", o.OrderNo)
	}
	var done int64
	switch cmd {
	case "P":
		if o.State != stateAuthorised {
			return nil, refuse(CodeNotAllowed, "order %s is %s; only an authorised, uncaptured order (AutoBilling N) can be captured", o.OrderNo, o.State)
		}
		done = o.Amount
		if amountSet {
			if amount > o.Amount {
				return nil, refuse(CodeNotAllowed, "capture amount %d is more than the authorised %d", amount, o.Amount)
			}
			done = amount
		}
		s.captureLocked(o, done, now)
	case "C":
		if o.State != stateAuthorised {
			return nil, refuse(CodeNotAllowed, "order %s is %s; only an authorised, uncaptured order can be cancelled (refund a captured one)", o.OrderNo, o.State)
		}
		o.moveTo(stateCancelled)
		o.CancelledAt = now
		o.CaptureDue = time.Time{}
		done = o.Amount
	case "R":
		if o.State != stateCaptured {
			return nil, refuse(CodeNotAllowed, "order %s is %s; only a captured order can be refunded", o.OrderNo, o.State)
		}
		left := o.Captured - o.refunded()
		done = left
		if amountSet {
			done = amount
		}
		if left == 0 {
			return nil, refuse(CodeNotAllowed, "order %s is already refunded in full", o.OrderNo)
		}
		if done > left {
			return nil, refuse(CodeNotAllowed, "refund %d is more than the %d still refundable (captured %d, refunded %d)", done, left, o.Captured, o.refunded())
		}
		o.Refunds = append(o.Refunds, refund{Amount: done, At: now})
	}
	s.persist(writeSet{orders: []*order{o}})
	return &maintainAnswer{OrderNo: o.OrderNo, ShopNo: o.ShopNo, TSNo: o.TSNo, Command: cmd, Amount: done, Date: dt(now), Status: "S", Description: successDescription}, nil
}

// captureLocked captures an authorised order.
func (s *Sandbox) captureLocked(o *order, amount int64, at time.Time) {
	o.moveTo(stateCaptured)
	o.Captured = amount
	o.CapturedAt = at
	o.CaptureDue = time.Time{}
}

// ---- OrderUnCapturedQuery ----

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
	Status      string          `json:"Status"`
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
	return &unCapturedAnswer{ShopNo: req.m.shopNo, Date: dt(now), Status: "S", Description: successDescription, OrderList: rows}, nil
}

// ---- BillQuery ----

// billEvent is money moving on an order: a collection (P) or a refund (R).
type billEvent struct {
	o      *order
	typ    string
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
			ev = append(ev, billEvent{o, "P", at, amt})
		}
		for _, r := range o.Refunds {
			ev = append(ev, billEvent{o, "R", r.At, r.Amount})
		}
	}
	slices.SortStableFunc(ev, func(a, b billEvent) int { return a.at.Compare(b.at) })
	return ev
}

type billRow struct {
	TSNo    string `json:"TSNo"`
	OrderNo string `json:"OrderNo"`
	TSType  string `json:"TSType"`
	TSDate  string `json:"TSDate"`
	PayDate string `json:"PayDate"`
	PayType string `json:"PayType"`
	Amount  int64  `json:"Amount"`
	Param1  string `json:"Param1"`
	Param2  string `json:"Param2"`
	Param3  string `json:"Param3"`
}

type billAnswer struct {
	ShopNo      string    `json:"ShopNo"`
	Date        string    `json:"Date"`
	BillDate    string    `json:"BillDate"`
	Status      string    `json:"Status"`
	Description string    `json:"Description"`
	OrderList   []billRow `json:"OrderList"`
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
	return &billAnswer{ShopNo: req.m.shopNo, Date: dt(s.Now()), BillDate: day, Status: "S", Description: successDescription, OrderList: rows}, nil
}

// ---- AllotQuery ----

// Settlement rules of the sandbox (the bank's are per contract): money
// collected or refunded on day D is settled on D+1, one settlement per
// PayType per day; the fee is NT$15 per ATM collection and 2.5% of a card
// collection, rounded half up to NT$0.01; refunds carry no fee.
const (
	atmFeeCents     = 1500
	cardFeePerMille = 25
)

func fee(e billEvent) int64 {
	if e.typ != "P" {
		return 0
	}
	if e.o.PayType == "A" {
		return atmFeeCents
	}
	return (e.amount*cardFeePerMille + 500) / 1000
}

type allotItem struct {
	TSNO    string `json:"TSNO"`
	OrderNO string `json:"OrderNO"`
	PayDate string `json:"PayDate"`
	Amount  int64  `json:"Amount"`
	Fee     int64  `json:"Fee"`
	TSType  string `json:"TSType"`
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
	ShopNo      string     `json:"ShopNo"`
	Date        string     `json:"Date"`
	Status      string     `json:"Status"`
	Description string     `json:"Description"`
	Allot       []allotRow `json:"Allot"`
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
		day := funbiz.FormatDate(e.at.In(taipei).AddDate(0, 0, 1))
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
		if e.typ == "P" {
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
	return &allotAnswer{ShopNo: req.m.shopNo, Date: dt(now), Status: "S", Description: successDescription, Allot: rows}, nil
}

// settlementAccount is a made-up, stable 14-digit account per shop.
func settlementAccount(shopNo string) string {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(shopNo); i++ {
		h = (h ^ uint64(shopNo[i])) * 1099511628211
	}
	return fmt.Sprintf("807%011d", h%100_000_000_000)
}
