package sandbox

import "net/http"

// The dashboard: everything the sandbox knows, newest first, with buttons
// that post to the control API and come back here.

type dashboardData struct {
	Clock       ClockView
	API         string
	DemoShopNo  string
	DemoHash    []string
	KeyID       bool
	Steps       []string
	Orders      []OrderView
	Payments    []PaymentView
	Deliveries  []DeliveryView
	Refusals    []RefusalView
	Notices     []NoticeView
	Chaos       ChaosView
	APIModes    []apiChaosMode
	NotifyModes []notifyChaosMode
	Mismatches  []mismatchMode
	Outcomes    []Outcome
	Codes       []Code
}

// dashboardRows is how many rows each list shows.
const dashboardRows = 100

func firstN[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

func (p *pages) dashboard(w http.ResponseWriter, r *http.Request) {
	s := p.s
	h := DemoHash()
	base := s.baseURL(r)
	d := dashboardData{
		Clock: s.clockView(), API: base + APIPrefix, DemoShopNo: DemoShopNo,
		DemoHash: []string{"A1 " + string(h.A1), "A2 " + string(h.A2), "B1 " + string(h.B1), "B2 " + string(h.B2)},
		KeyID:    s.opts.KeyID != "",
		Steps:    []string{"1m", "10m", "1h", "1d"},
		Orders:   firstN(s.Orders(Filter{}, base), dashboardRows), Payments: firstN(s.Payments(Filter{}), dashboardRows),
		Deliveries: firstN(s.Deliveries(Filter{}), dashboardRows), Refusals: firstN(s.Refusals(), dashboardRows),
		Notices:     firstN(s.Notices(), dashboardRows),
		Chaos:       s.chaosView(),
		APIModes:    []apiChaosMode{chaosAPI500, chaosAPIHang, chaosAPIGarbage, chaosAPINonceExpired},
		NotifyModes: []notifyChaosMode{chaosNotifyDelay, chaosNotifyDuplicate, chaosNotifyDrop, chaosNotifyReorder},
		Mismatches:  mismatchModes,
		Outcomes:    []Outcome{OutcomeSuccess, OutcomeDecline, OutcomeInsufficient, OutcomeExpiredCard, OutcomeTimeout},
		Codes:       append(Codes(), PaymentCodes()...),
	}
	p.render(w, r, http.StatusOK, "dashboard", d)
}
