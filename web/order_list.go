package web

import (
	"net/http"
	"strconv"
)

// ordersPerPage is the length of a page of the order list.
const ordersPerPage = 10

// orderListPage is one page of the customer's orders, newest first.
type orderListPage struct {
	Orders     []orderView
	Page       int
	Pages      int
	Prev, Next int // 0 when there is none
}

// orderList shows the customer's orders (GET /orders?page=n). A page past
// the end goes to the last page.
func (s *Server) orderList(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	c := s.loggedIn(ctx, w, r)
	if c == nil {
		return
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	orders, total, err := s.db.CustomerOrders(ctx, c.ID, ordersPerPage, (page-1)*ordersPerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pages := max(1, (total+ordersPerPage-1)/ordersPerPage)
	if page > pages {
		http.Redirect(w, r, "/orders?page="+strconv.Itoa(pages), http.StatusSeeOther)
		return
	}
	p := orderListPage{Page: page, Pages: pages}
	if page > 1 {
		p.Prev = page - 1
	}
	if page < pages {
		p.Next = page + 1
	}
	now := s.now()
	for _, o := range orders {
		p.Orders = append(p.Orders, newOrderView(o, now))
	}
	s.render(w, http.StatusOK, "orders", s.newView(r, c, "orders.title", p))
}
