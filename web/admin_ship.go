package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sinopay/sinopay/shop"
)

// adminShip marks a paid order shipped with a carrier and tracking
// number (POST /admin/orders/{no}/ship): its customer sees them on the
// order's page and gets a message. A wrong field brings the order's page
// back with the form as typed and the reason beside the field.
func (s *Server) adminShip(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	o, err := s.db.OrderByNo(ctx, r.PathValue("no"))
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/orders")
		return
	}
	back := "/admin/orders/" + url.PathEscape(o.No)
	carrier, tracking := strings.TrimSpace(form.Get("carrier")), strings.TrimSpace(form.Get("tracking"))
	if problems := shop.CheckShipment(carrier, tracking); len(problems) > 0 {
		p, err := s.adminOrderData(ctx, r, o)
		if err != nil {
			s.adminFail(w, r, a, err, back)
			return
		}
		p.Ship.Carrier, p.Ship.Tracking, p.Ship.Problems = carrier, tracking, problems
		s.renderAdmin(w, http.StatusBadRequest, "admin_order", s.newAdminView(r, a, "orders", "admin.order.title", p))
		return
	}
	if err := s.db.MarkShipped(ctx, o.ID, carrier, tracking, a.Email, s.now()); err != nil {
		s.adminFail(w, r, a, err, back)
		return
	}
	if s.outbox != nil {
		s.outbox.Wake()
	}
	s.log.InfoContext(r.Context(), "order marked shipped", "order", o.No, "carrier", carrier, "admin", a.Email)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// adminUnship takes back a shipment marked by mistake (POST
// /admin/orders/{no}/unship). The customer's message about it, if sent,
// stays sent.
func (s *Server) adminUnship(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	if _, err := parseForm(w, r); err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	o, err := s.db.OrderByNo(ctx, r.PathValue("no"))
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/orders")
		return
	}
	back := "/admin/orders/" + url.PathEscape(o.No)
	if err := s.db.UnmarkShipped(ctx, o.ID, a.Email, s.now()); err != nil {
		s.adminFail(w, r, a, err, back)
		return
	}
	s.log.InfoContext(r.Context(), "shipment taken back", "order", o.No, "admin", a.Email)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
