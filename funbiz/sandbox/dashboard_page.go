package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The dashboard: everything the sandbox knows, newest first, a page at a
// time, with a search by OrderNo and buttons that post to the control API
// and come back here.

type dashboardData struct {
	Clock      ClockView
	API        string
	DemoShopNo string
	DemoHash   []string
	KeyID      bool
	Steps      []string
	// Back is where the dashboard's forms come back to: this page, with
	// its search and pages.
	Back string
	// Query is the OrderNo searched for (any part of it, in any case);
	// it narrows the orders, payments and notifications.
	Query       string
	Orders      []OrderView
	OrderPages  pager
	Payments    []PaymentView
	PayPages    pager
	Deliveries  []DeliveryView
	DelivPages  pager
	Refusals    []RefusalView
	Notices     []NoticeView
	Chaos       ChaosView
	APIModes    []apiChaosMode
	NotifyModes []notifyChaosMode
	Mismatches  []mismatchMode
	Outcomes    []Outcome
	Codes       []Code
}

// dashboardRows is how many rows each list that is not paged shows.
const dashboardRows = 100

// Rows per page of the paged lists.
const (
	ordersPerPage     = 20
	paymentsPerPage   = 20
	deliveriesPerPage = 10
)

func firstN[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

// pager is where a paged list of the dashboard stands, with links to the
// pages before and after (keeping the search and the other lists' pages).
type pager struct {
	Page, Pages, Total int
	Prev, Next         string // "" at either end
}

// page cuts page n (from the query parameter param, 1 when missing or
// out of range) of size rows out of xs.
func page[T any](xs []T, q url.Values, param string, size int) ([]T, pager) {
	pg := pager{Total: len(xs), Pages: max(1, (len(xs)+size-1)/size)}
	n, err := strconv.Atoi(q.Get(param))
	if err != nil || n < 1 || n > pg.Pages {
		n = 1
	}
	pg.Page = n
	link := func(n int) string {
		c := dashboardState(q)
		if n == 1 {
			c.Del(param)
		} else {
			c.Set(param, strconv.Itoa(n))
		}
		if len(c) == 0 {
			return "/_sandbox/"
		}
		return "/_sandbox/?" + c.Encode()
	}
	if n > 1 {
		pg.Prev = link(n - 1)
	}
	if n < pg.Pages {
		pg.Next = link(n + 1)
	}
	lo := min((n-1)*size, len(xs))
	return xs[lo:min(lo+size, len(xs))], pg
}

// search keeps the rows whose OrderNo holds q, in any case.
func search[T any](xs []T, q string, orderNo func(T) string) []T {
	if q == "" {
		return xs
	}
	q = strings.ToUpper(q)
	return slices.DeleteFunc(xs, func(x T) bool { return !strings.Contains(strings.ToUpper(orderNo(x)), q) })
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
		Refusals: firstN(s.Refusals(), dashboardRows), Notices: firstN(s.Notices(), dashboardRows),
		Chaos:       s.chaosView(),
		APIModes:    []apiChaosMode{chaosAPI500, chaosAPIHang, chaosAPIGarbage, chaosAPINonceExpired},
		NotifyModes: []notifyChaosMode{chaosNotifyDelay, chaosNotifyDuplicate, chaosNotifyDrop, chaosNotifyReorder},
		Mismatches:  mismatchModes,
		Outcomes:    []Outcome{OutcomeSuccess, OutcomeDecline, OutcomeInsufficient, OutcomeExpiredCard, OutcomeTimeout},
		Codes:       append(Codes(), PaymentCodes()...),
	}
	q := r.URL.Query()
	d.Back = "/_sandbox/"
	if here := dashboardState(q); len(here) > 0 {
		d.Back += "?" + here.Encode()
	}
	d.Query = strings.TrimSpace(q.Get("q"))
	if len(d.Query) > 64 {
		d.Query = d.Query[:64]
	}
	orders := search(s.Orders(Filter{}, base), d.Query, func(o OrderView) string { return o.OrderNo })
	// Newest first by creation, whatever order a restored store kept.
	slices.SortStableFunc(orders, func(a, b OrderView) int { return strings.Compare(b.Created, a.Created) })
	d.Orders, d.OrderPages = page(orders, q, "page", ordersPerPage)
	d.Payments, d.PayPages = page(search(s.Payments(Filter{}), d.Query, func(x PaymentView) string { return x.OrderNo }), q, "ppage", paymentsPerPage)
	d.Deliveries, d.DelivPages = page(search(s.Deliveries(Filter{}), d.Query, func(x DeliveryView) string { return x.OrderNo }), q, "dpage", deliveriesPerPage)
	p.render(w, r, http.StatusOK, "dashboard", d)
}

// dashboardState is what of the query says where the dashboard stands:
// the search and the lists' pages, nothing else.
func dashboardState(q url.Values) url.Values {
	c := url.Values{}
	for _, k := range []string{"q", "page", "ppage", "dpage"} {
		if v := q.Get(k); v != "" {
			c.Set(k, v)
		}
	}
	return c
}
