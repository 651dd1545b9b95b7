package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// adminOrdersPerPage is the length of a page of the back office's lists.
const adminOrdersPerPage = 25

// adminOrdersPage is one page of all orders, filtered.
type adminOrdersPage struct {
	Orders []adminOrderRow
	// The filters as given, to fill the form again and to page with.
	Status, PayType, From, To, Customer, OrderNo string
	Query                                        url.Values
	Statuses                                     []shop.Status
	AwaitingCapture                              string // the status filter's value for it
	ToShip                                       string // and for paid orders waiting to ship
	// PickAll ticks every order for the packing list: the list of those
	// waiting to ship.
	PickAll                        bool
	Total, Page, Pages, Prev, Next int
}

// adminOrderRow is an order in the list, with what the list shows of it.
type adminOrderRow struct {
	storage.AdminOrder
	AwaitingCapture bool
	RowClass        string
}

// adminOrders lists every order, newest first, filtered by status, pay
// type, creation day (Taiwan time, both ends included), customer (part
// of the email) and order number, 25 a page (GET /admin/orders).
func (s *Server) adminOrders(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	q := r.URL.Query()
	p := adminOrdersPage{
		Status: q.Get("status"), PayType: q.Get("pay_type"), From: q.Get("from"), To: q.Get("to"),
		Customer: strings.TrimSpace(q.Get("customer")), OrderNo: strings.TrimSpace(q.Get("no")),
		Statuses: shop.Statuses, AwaitingCapture: storage.FilterAwaitingCapture, ToShip: storage.FilterToShip,
	}
	f := storage.OrderFilter{Customer: p.Customer, OrderNo: p.OrderNo}
	if p.Status == storage.FilterAwaitingCapture || p.Status == storage.FilterToShip || shop.Status(p.Status).Valid() {
		f.Status = p.Status
		p.PickAll = p.Status == storage.FilterToShip
	} else {
		p.Status = ""
	}
	if payType := shop.PayType(p.PayType); payType.Valid() {
		f.PayType = payType
	} else {
		p.PayType = ""
	}
	if d, ok := parseDay(p.From); ok {
		f.From = d
	} else {
		p.From = ""
	}
	if d, ok := parseDay(p.To); ok {
		f.To = d.AddDate(0, 0, 1) // the whole last day
	} else {
		p.To = ""
	}
	p.Query = url.Values{}
	for k, v := range map[string]string{"status": p.Status, "pay_type": p.PayType, "from": p.From, "to": p.To, "customer": p.Customer, "no": p.OrderNo} {
		if v != "" {
			p.Query.Set(k, v)
		}
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	orders, total, err := s.db.AdminOrders(ctx, f, adminOrdersPerPage, (page-1)*adminOrdersPerPage)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	p.Total, p.Page, p.Pages = total, page, max(1, (total+adminOrdersPerPage-1)/adminOrdersPerPage)
	if page > p.Pages {
		http.Redirect(w, r, "/admin/orders?"+pageQuery(p.Query, p.Pages), http.StatusSeeOther)
		return
	}
	if page > 1 {
		p.Prev = page - 1
	}
	if page < p.Pages {
		p.Next = page + 1
	}
	for _, o := range orders {
		p.Orders = append(p.Orders, adminOrderRow{AdminOrder: o, AwaitingCapture: o.AwaitingCapture(), RowClass: rowClass(o.Status)})
	}
	s.renderAdmin(w, http.StatusOK, "admin_orders", s.newAdminView(r, a, "orders", "admin.orders.title", p))
}

// parseDay reads a date input's yyyy-mm-dd as the start of that day in
// Taiwan time.
func parseDay(v string) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, v, funbiz.Taipei)
	return d, err == nil
}
