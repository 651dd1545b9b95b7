package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Outbox is the shop's e-mail sender, as the web layer sees it
// (outbox.Outbox).
type Outbox interface {
	// Wake makes it look for messages to send now.
	Wake()
	// Sending reports whether messages go to an SMTP server; if not, they
	// stay in the outbox for a person to read.
	Sending() bool
}

// adminMailPage is one page of the outbox.
type adminMailPage struct {
	Mails                          []*shop.Mail
	Sending                        bool
	Status                         shop.MailStatus
	Statuses                       []shop.MailStatus
	Query                          url.Values
	Total, Page, Pages, Prev, Next int
}

// adminMail lists the e-mail the shop wrote, newest first (GET
// /admin/mail?status=…): with no SMTP server configured, this is where a
// developer reads it.
func (s *Server) adminMail(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	p := adminMailPage{Sending: s.outbox != nil && s.outbox.Sending(), Statuses: shop.MailStatuses, Query: url.Values{}}
	if st := shop.MailStatus(r.URL.Query().Get("status")); slices.Contains(shop.MailStatuses, st) {
		p.Status = st
		p.Query.Set("status", string(st))
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > 1_000_000 {
		page = 1
	}
	mails, total, err := s.db.Mails(ctx, storage.MailFilter{Status: p.Status}, adminOrdersPerPage, (page-1)*adminOrdersPerPage)
	if err != nil {
		s.adminFail(w, r, a, err, "")
		return
	}
	p.Mails, p.Total, p.Page, p.Pages = mails, total, page, max(1, (total+adminOrdersPerPage-1)/adminOrdersPerPage)
	if page > p.Pages {
		http.Redirect(w, r, "/admin/mail?"+pageQuery(p.Query, p.Pages), http.StatusSeeOther)
		return
	}
	if page > 1 {
		p.Prev = page - 1
	}
	if page < p.Pages {
		p.Next = page + 1
	}
	s.renderAdmin(w, http.StatusOK, "admin_mail", s.newAdminView(r, a, "mail", "admin.mail.title", p))
}

// adminMailShowPage is one message.
type adminMailShowPage struct {
	Mail    *shop.Mail
	OrderNo string
}

// adminMailShow shows one message as it was written (GET
// /admin/mail/{id}).
func (s *Server) adminMailShow(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	m, err := s.db.Mail(ctx, id)
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/mail")
		return
	}
	p := adminMailShowPage{Mail: m}
	if m.Secret != "" && m.Text != "" {
		// A reset link not sent yet: the page shows its token.
		secretPage(w)
	}
	if m.OrderID != 0 {
		if o, err := s.db.OrderByID(ctx, m.OrderID); err == nil {
			p.OrderNo = o.No
		}
	}
	s.renderAdmin(w, http.StatusOK, "admin_mail_show", s.newAdminView(r, a, "mail", "admin.mail.title", p))
}

// adminMailResend sends a message again as it was written (POST
// /admin/mail/{id}/resend): to the SMTP server, or back into the outbox.
func (s *Server) adminMailResend(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	back := "/admin/mail/" + strconv.FormatInt(id, 10)
	if err := s.db.ResendMail(ctx, id, s.now()); err != nil {
		s.adminFail(w, r, a, err, back)
		return
	}
	if s.outbox != nil {
		s.outbox.Wake()
	}
	s.log.InfoContext(r.Context(), "message sent again from the back office", "mail", id, "admin", a.Email)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
