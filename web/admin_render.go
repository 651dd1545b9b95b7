package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

// adminPageNames are the back office's pages; each is
// templates/admin_<name>.html on top of templates/admin_layout.html, a
// layout of its own (its own navigation, wider tables).
var adminPageNames = []string{"admin_orders", "admin_order", "admin_op", "admin_paytokens", "admin_jobs", "admin_reports", "admin_report", "admin_mail", "admin_mail_show", "admin_packing", "admin_products", "admin_product", "admin_apikeys", "admin_error"}

// parseAdminPages adds the back office's pages to p, per language.
func parseAdminPages(p *pages) error {
	for _, name := range adminPageNames {
		p.sets[name] = map[string]*template.Template{}
		for _, lang := range locale.Langs {
			t, err := template.New("admin_layout.html").Funcs(funcs(lang)).Funcs(adminFuncs(lang)).
				ParseFS(templateFS, "templates/admin_layout.html", "templates/"+name+".html")
			if err != nil {
				return fmt.Errorf("web: template %s: %w", name, err)
			}
			bakeWords(t, lang)
			p.sets[name][lang] = t
		}
	}
	return nil
}

// adminFuncs are the back office's template functions for one language.
func adminFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"op":       func(op shop.Op) string { return locale.Op(lang, op) },
		"opstate":  func(s shop.OpState) string { return locale.OpState(lang, s) },
		"jobstate": func(s shop.JobState) string { return locale.JobState(lang, s) },
		"verdict":  func(v shop.Verdict) string { return locale.Verdict(lang, v) },
		// The bank's PayStatus comes typed by funbiz on an order's page,
		// and by shop in a reconciliation report.
		"paystatus":    func(s any) string { return locale.PayStatus(lang, shop.PayStatus(fmt.Sprint(s))) },
		"bankstate":    func(s shop.BankState) string { return locale.BankState(lang, s) },
		"cents":        func(c int64) string { return centsText(c) },
		"ntd":          func(n int64) string { return locale.Money(lang, shop.Money(n)) },
		"verdictclass": func(v shop.Verdict) string { return verdictClass(v) },
		"day":          func(d string) string { return dashedDate(d) },
		"bankdt":       bankDateTime,
		"outcome":      func(o shop.Outcome) string { return locale.Outcome(lang, o) },
		"jobkind":      func(k string) string { return locale.JobKind(lang, k) },
		"whensec":      locale.When,
		"mailstatus":   func(s shop.MailStatus) string { return locale.MailStatus(lang, s) },
		"mailkind":     func(k shop.MailKind) string { return locale.MailKind(lang, k) },
		// query is typed as a URL so that html/template keeps its & and =
		// (a plain string after "?" would be escaped as one value).
		"query": func(q url.Values, n int) template.URL { return template.URL(pageQuery(q, n)) },
	}
}

// centsText writes NT$0.01 units as NT$12.34 (fees need not be whole NT$).
func centsText(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%sNT$%s.%02d", sign, locale.Money(locale.EN, shop.Money(c/100))[3:], c%100)
}

// bankDateTime writes the bank's yyyyMMddHHmm (or yyyyMMdd) as people
// read it; anything else is shown as it is.
func bankDateTime(s string) string {
	if len(s) == 12 {
		if _, err := time.Parse("200601021504", s); err == nil {
			return s[:4] + "-" + s[4:6] + "-" + s[6:8] + " " + s[8:10] + ":" + s[10:]
		}
	}
	return dashedDate(s)
}

// pageQuery is the query string of a list page: the filters, with page
// set to n.
func pageQuery(q url.Values, n int) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set("page", strconv.Itoa(n))
	return c.Encode()
}

// adminView is a back-office page: the shop's view (language, the admin,
// where we are) and the section of the navigation it belongs to.
type adminView struct {
	*view
	Section string
}

// newAdminView starts the view of a back-office page.
func (s *Server) newAdminView(r *http.Request, admin *shop.Customer, section, title string, data any) *adminView {
	return &adminView{view: s.newView(r, admin, title, data), Section: section}
}

// renderAdmin writes a back-office page, as render does.
func (s *Server) renderAdmin(w http.ResponseWriter, status int, page string, v *adminView) {
	s.renderIn(w, status, page, v.Lang, v)
}

// admin returns the logged-in admin, or answers the request itself and
// returns nil: a visitor goes to the login page; a customer who is not an
// admin gets the shop's plain 404 page, the same as for a path that does
// not exist, so the back office does not reveal itself.
func (s *Server) admin(ctx context.Context, w http.ResponseWriter, r *http.Request) *shop.Customer {
	c := s.loggedIn(ctx, w, r)
	if c == nil {
		return nil
	}
	if !c.IsAdmin() {
		s.notFound(w, r)
		return nil
	}
	return c
}

// adminNotFound answers paths under /admin/ that no route knows exactly
// as the known ones would to a visitor or a customer, and with a 404 in
// the back office's layout to an admin.
func (s *Server) adminNotFound(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	s.adminMissing(w, r, a)
}

// adminMissing answers an admin with the back office's 404 page.
func (s *Server) adminMissing(w http.ResponseWriter, r *http.Request, admin *shop.Customer) {
	s.adminFail(w, r, admin, shop.Errorf(shop.NotFound, "error.not_found", "no such page %s", r.URL.Path), "")
}

// adminFail answers a back-office request that went wrong, with a link
// back to where the admin came from. A refusal (a form the rules refuse,
// an order that cannot take an operation) stays in the back office's
// layout; faults of the server are logged and answered as the shop's
// error page is, without their inner text.
func (s *Server) adminFail(w http.ResponseWriter, r *http.Request, admin *shop.Customer, err error, back string) {
	code := shop.ErrorCode(err)
	status := httpStatus(code)
	if code == shop.Unauthorized || admin == nil {
		s.failBack(w, r, err, back)
		return
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "route", r.Pattern, "code", string(code), "error", err)
	}
	section, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/admin/"), "/")
	v := s.newAdminView(r, admin, section, "error.title", nil)
	p := adminErrorPage{Status: status, Key: shop.ErrorKey(err), Back: back}
	if p.Key == "admin.op.not_card" {
		p.Hint = "admin.order.atm_refund"
	}
	v.Data = p
	s.renderAdmin(w, status, "admin_error", v)
}

// adminErrorPage is the back office's error page: the message of Key,
// and for an ATM order that cannot be refunded, what to do instead.
type adminErrorPage struct {
	Status int
	Key    string // the message's translation key
	Hint   string // what to do instead, a translation key, or ""
	Back   string
}

// pathID reads the numeric {id} of a back-office path; anything else is
// answered with the back office's 404 page, and ok is false.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request, admin *shop.Customer) (id int64, ok bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.adminMissing(w, r, admin)
		return 0, false
	}
	return id, true
}
