package sandbox

import (
	"slices"
	"time"
)

// The views are what the control API answers, the dashboard shows and
// ControlClient decodes: amounts in whole NT$, times as RFC 3339 in Taiwan
// time, links built from the base URL. They are declared here only; code
// that reads the control API uses them rather than a copy.

// OrderView is an order as the control API lists it.
type OrderView struct {
	ShopNo      string
	OrderNo     string
	TSNo        string
	PayType     string
	Amount      int64 // whole NT$
	PayStatus   string
	State       string
	PrdtName    string
	Memo        string `json:",omitempty"`
	Param1      string `json:",omitempty"`
	Param2      string `json:",omitempty"`
	Param3      string `json:",omitempty"`
	Created     string
	ReturnURL   string `json:",omitempty"`
	BackendURL  string `json:",omitempty"`
	AtmPayNo    string `json:",omitempty"`
	ExpireDate  string `json:",omitempty"`
	AutoPayAt   string `json:",omitempty"`
	ATMPageURL  string `json:",omitempty"`
	CardPageURL string `json:",omitempty"`
	PageExpires string `json:",omitempty"`
	AutoBilling bool   `json:",omitempty"`
	CaptureDue  string `json:",omitempty"`
	PaidAt      string `json:",omitempty"`
	CapturedAt  string `json:",omitempty"`
	CancelledAt string `json:",omitempty"`
	Captured    int64  `json:",omitempty"`
	Refunded    int64  `json:",omitempty"`
	PayTokens   []string
	// Misreport is what OrderQuery says wrongly about the order since a
	// mismatch chaos rule struck one of its payments; nil when it tells
	// the truth. The view itself always shows the truth.
	Misreport *Misreport `json:",omitempty"`
}

// Misreport is what a mismatch chaos rule makes the bank's answers say
// wrongly.
type Misreport struct {
	Mode string // amount, shop or order
	// Amount is the amount reported instead (whole NT$), for amount.
	Amount int64 `json:",omitempty"`
	// Other is the ShopNo (shop) or OrderNo (order) named instead.
	Other string `json:",omitempty"`
}

// PaymentView is one PayToken.
type PaymentView struct {
	PayToken    string
	ShopNo      string
	OrderNo     string
	PayType     string
	APType      string
	Amount      int64 // whole NT$
	Status      string
	Description string `json:",omitempty"`
	PayDate     string
	Card        string `json:",omitempty"`
	Outcome     string
	Source      string
	// Misreport is what OrderPayQuery says wrongly about the payment, by
	// a mismatch chaos rule; nil when it tells the truth.
	Misreport *Misreport `json:",omitempty"`
}

// DeliveryView is one notification and its attempts.
type DeliveryView struct {
	ID       int64
	ShopNo   string
	OrderNo  string
	PayToken string
	URL      string
	State    string
	Created  string
	NextAt   string `json:",omitempty"`
	Failures int
	Note     string `json:",omitempty"`
	Attempts []AttemptView
}

// AttemptView is one try at a delivery.
type AttemptView struct {
	At         string
	HTTPStatus int     `json:",omitempty"`
	LatencyMS  float64 // real time the receiver took
	Body       string  `json:",omitempty"`
	Error      string  `json:",omitempty"`
	Problem    string  `json:",omitempty"`
	OK         bool
}

// RefusalView is one refused API call.
type RefusalView struct {
	At          string
	ShopNo      string
	APIService  string
	Description string
	SignString  string `json:",omitempty"`
	Remote      string
}

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(taipei).Format(time.RFC3339)
}

func (s *Sandbox) orderView(o *order, now time.Time, base string) OrderView {
	v := OrderView{
		ShopNo: o.ShopNo, OrderNo: o.OrderNo, TSNo: o.TSNo, PayType: o.PayType, Amount: o.Amount / 100,
		PayStatus: o.payStatus(now), State: string(o.State), PrdtName: o.PrdtName, Memo: o.Memo,
		Param1: o.Param1, Param2: o.Param2, Param3: o.Param3, Created: rfc(o.Created),
		ReturnURL: o.ReturnURL, BackendURL: o.BackendURL, AtmPayNo: o.AtmPayNo, ExpireDate: o.ExpireDate,
		AutoPayAt: rfc(o.AutoPayAt), PageExpires: rfc(o.PageExpires), AutoBilling: o.AutoBilling,
		CaptureDue: rfc(o.CaptureDue), PaidAt: rfc(o.PaidAt), CapturedAt: rfc(o.CapturedAt), CancelledAt: rfc(o.CancelledAt),
		Captured: o.Captured / 100, Refunded: o.refunded() / 100, PayTokens: slices.Clone(o.PayTokens),
		Misreport: o.Misreport.view(o.Amount),
	}
	if v.PayTokens == nil {
		v.PayTokens = []string{}
	}
	if o.PayType == "A" {
		v.ATMPageURL = base + "/_sandbox/atm/" + o.AtmPayNo
	} else {
		v.CardPageURL = cardURL(base, o)
	}
	return v
}

func paymentView(p *payment) PaymentView {
	v := PaymentView{
		PayToken: p.PayToken, ShopNo: p.ShopNo, OrderNo: p.OrderNo, PayType: p.PayType, APType: p.APType,
		Amount: p.Amount / 100, Status: p.Status, Description: p.Description, PayDate: rfc(p.PayDate),
		Outcome: p.Outcome, Source: p.Source, Misreport: p.Misreport.view(p.Amount),
	}
	if p.LeftCCNo != "" {
		v.Card = p.LeftCCNo + "******" + p.RightCCNo
	}
	return v
}

func deliveryView(d *delivery) DeliveryView {
	v := DeliveryView{
		ID: d.ID, ShopNo: d.ShopNo, OrderNo: d.OrderNo, PayToken: d.PayToken, URL: d.URL, State: string(d.State),
		Created: rfc(d.Created), NextAt: rfc(d.NextAt), Failures: d.Failures, Note: d.Note, Attempts: []AttemptView{},
	}
	if d.State != deliveryPending {
		v.NextAt = ""
	}
	for _, a := range d.Attempts {
		v.Attempts = append(v.Attempts, AttemptView{
			At: rfc(a.At), HTTPStatus: a.HTTPStatus, LatencyMS: float64(a.Latency.Microseconds()) / 1000,
			Body: a.Body, Error: a.Error, Problem: a.Problem, OK: a.OK,
		})
	}
	return v
}

// Filter narrows the lists; empty fields match everything.
type Filter struct {
	ShopNo  string
	OrderNo string
}

func (f Filter) match(shopNo, orderNo string) bool {
	return (f.ShopNo == "" || f.ShopNo == shopNo) && (f.OrderNo == "" || f.OrderNo == orderNo)
}

// Orders lists orders, newest first. base is the public URL for links.
func (s *Sandbox) Orders(f Filter, base string) []OrderView {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []OrderView{}
	for i := len(s.orderSeq) - 1; i >= 0; i-- {
		if o := s.orderSeq[i]; f.match(o.ShopNo, o.OrderNo) {
			out = append(out, s.orderView(o, now, base))
		}
	}
	return out
}

// Payments lists payments, newest first.
func (s *Sandbox) Payments(f Filter) []PaymentView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []PaymentView{}
	for i := len(s.paymentSeq) - 1; i >= 0; i-- {
		if p := s.paymentSeq[i]; f.match(p.ShopNo, p.OrderNo) {
			out = append(out, paymentView(p))
		}
	}
	return out
}

// Deliveries lists notifications, newest first.
func (s *Sandbox) Deliveries(f Filter) []DeliveryView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []DeliveryView{}
	for i := len(s.deliveries) - 1; i >= 0; i-- {
		if d := s.deliveries[i]; f.match(d.ShopNo, d.OrderNo) {
			out = append(out, deliveryView(d))
		}
	}
	return out
}

// Refusals lists recent refused API calls, newest first. Only the last
// 200 are kept, in memory.
func (s *Sandbox) Refusals() []RefusalView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []RefusalView{}
	for i := len(s.refusals) - 1; i >= 0; i-- {
		r := s.refusals[i]
		out = append(out, RefusalView{At: rfc(r.At), ShopNo: r.ShopNo, APIService: r.APIService, Description: r.Description, SignString: r.SignString, Remote: r.Remote})
	}
	return out
}
