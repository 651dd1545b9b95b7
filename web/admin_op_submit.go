package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
)

// adminOpSubmit does a confirmed operation (POST /admin/orders/{no}/{op})
// and goes back to the order page, which says how it ended. The form's
// key makes a second submit (a double click, a reload) the same
// operation: the bank is asked once. A form the rules refuse (an amount
// over what is left, no reason) comes back with the reason, and nothing
// is recorded.
func (s *Server) adminOpSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context() // Maintain bounds its own bank call
	tctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(tctx, w, r)
	if a == nil {
		return
	}
	op := shop.Op(r.PathValue("op"))
	if !op.Valid() {
		s.adminMissing(w, r, a)
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	no := r.PathValue("no")
	back := "/admin/orders/" + url.PathEscape(no)
	req := payment.OpRequest{OrderNo: no, Op: op, Reason: strings.TrimSpace(form.Get("reason")), Key: form.Get("key"), Admin: a,
		Restock: op == shop.OpRefund && form.Get("restock") != ""}
	if v := strings.TrimSpace(form.Get("amount")); v != "" && op != shop.OpCancel {
		n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
		if err != nil || n <= 0 {
			s.opFormAgain(w, r, req, shop.Errorf(shop.Invalid, "admin.op.bad_amount", "amount %q", v), v)
			return
		}
		req.Amount = shop.Money(n)
	}
	rec, err := s.pay.Maintain(ctx, req)
	if err != nil {
		if c := shop.ErrorCode(err); c == shop.Invalid || c == shop.Conflict {
			s.opFormAgain(w, r, req, err, form.Get("amount"))
			return
		}
		s.adminFail(w, r, a, err, back)
		return
	}
	http.Redirect(w, r, back+"?op="+strconv.FormatInt(rec.ID, 10), http.StatusSeeOther)
}

// opFormAgain shows the confirmation form again with what was typed and
// why it was refused, under the same key (nothing was recorded with it).
func (s *Server) opFormAgain(w http.ResponseWriter, r *http.Request, req payment.OpRequest, err error, amount string) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	o, oerr := s.db.OrderByNo(ctx, req.OrderNo)
	if oerr != nil {
		s.adminFail(w, r, req.Admin, oerr, "/admin/orders")
		return
	}
	p := newOpPage(o, req.Op, s)
	p.Key, p.Reason, p.Error = req.Key, req.Reason, shop.ErrorKey(err)
	p.Typed = strings.TrimSpace(amount)
	s.renderAdmin(w, httpStatus(shop.ErrorCode(err)), "admin_op", s.newAdminView(r, req.Admin, "orders", opTitle[req.Op], p))
}
