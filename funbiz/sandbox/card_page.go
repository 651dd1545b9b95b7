package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The hosted card page: what the bank's CardPayURL shows the buyer. It
// checks the card form on the server (Luhn, expiry, CVC), makes the
// attempt, and sends the browser back to the shop's ReturnURL by an
// auto-submitting form POST of ShopNo and PayToken, success or failure.

// testCard is a card number with a fixed outcome.
type testCard struct {
	Number  string
	Outcome Outcome
}

// TestCards are the documented test cards. 4000-2211-1111-1111 is the
// card the bank's own sandbox documents; it fails the Luhn check, so the
// page recognises table cards before it applies Luhn.
var TestCards = []testCard{
	{"4000-2211-1111-1111", OutcomeSuccess},
	{"4000-0000-0000-0002", OutcomeDecline},
	{"4000-0000-0000-9995", OutcomeInsufficient},
	{"4000-0000-0000-0069", OutcomeExpiredCard},
	{"4000-0000-0000-0119", OutcomeTimeout},
}

type cardPageData struct {
	ShopNo, OrderNo, PrdtName string
	Amount                    int64
	Expires                   string
	Action                    string
	Number, Exp               string
	Errors                    []string
	TestCards                 []testCard
	Shop                      string // the shop's site, from its ReturnURL: a way back
}

type cardDoneData struct {
	Success                     bool
	Reason                      string
	ReturnURL, ShopNo, PayToken string
}

// formTargets lets the return form post to the shop, and lets the
// shop redirect the browser on: Chromium applies form-action to every
// redirect that follows a form's submission, and a shop may send the
// buyer to another site (an API payment ends at its merchant's
// ReturnURL). The form's only target is the ReturnURL the merchant gave,
// nothing a buyer types, so any http or https destination is allowed,
// and only on this page.
func (d cardDoneData) formTargets() []string {
	if shopSite(d.ReturnURL) == "" {
		return nil
	}
	return []string{"http:", "https:"}
}

// cardOrder finds the order behind a card page token, as a copy.
func (s *Sandbox) cardOrder(token string) (order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byCardToken[token]
	if o == nil {
		return order{}, false
	}
	return *o, true
}

// cardGate answers for a page that cannot take a payment (unknown, paid,
// expired) and reports whether it did.
func (p *pages) cardGate(w http.ResponseWriter, r *http.Request, o order, found bool) bool {
	switch {
	case !found:
		p.message(w, r, http.StatusNotFound, "secondary", "notfound.title", "notfound.body")
	case o.State != stateWaiting:
		p.message(w, r, http.StatusConflict, "info", "card.paid_title", "card.paid_body")
	case p.s.Now().After(o.PageExpires):
		p.message(w, r, http.StatusGone, "warning", "card.expired_title", "card.expired_body", o.PageExpires.In(taipei).Format("2006-01-02 15:04"))
	default:
		return false
	}
	return true
}

func (p *pages) cardData(o order, r *http.Request) cardPageData {
	return cardPageData{
		ShopNo: o.ShopNo, OrderNo: o.OrderNo, PrdtName: o.PrdtName, Amount: o.Amount / 100,
		Expires: o.PageExpires.In(taipei).Format("2006-01-02 15:04"), Action: r.URL.Path, TestCards: TestCards,
		Shop: shopSite(o.ReturnURL),
	}
}

// shopSite is the root of the site a ReturnURL is on (scheme and host),
// where the bank's pages link back to the shop; "" when it is not an http
// or https URL.
func shopSite(returnURL string) string {
	u, err := url.Parse(returnURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/"
}

func (p *pages) cardPage(w http.ResponseWriter, r *http.Request) {
	o, found := p.s.cardOrder(r.PathValue("token"))
	if p.cardGate(w, r, o, found) {
		return
	}
	p.render(w, r, http.StatusOK, "card", p.cardData(o, r))
}

func (p *pages) cardSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token := r.PathValue("token")
	o, found := p.s.cardOrder(token)
	if p.cardGate(w, r, o, found) {
		return
	}
	var want Outcome
	c := defaultCard
	switch r.PostForm.Get("action") {
	case "success":
		want = OutcomeSuccess
	case "fail":
		want = OutcomeDecline
	default:
		var errs []string
		want, c, errs = p.checkCard(r, p.s.Now())
		if len(errs) > 0 {
			d := p.cardData(o, r)
			d.Number, d.Exp, d.Errors = r.PostForm.Get("number"), r.PostForm.Get("exp"), errs
			p.render(w, r, http.StatusUnprocessableEntity, "card", d)
			return
		}
	}
	p.s.mu.Lock()
	cur := p.s.byCardToken[token]
	res, err := p.s.payCardLocked(cur, want, c, "card page")
	p.s.mu.Unlock()
	if err != nil {
		// The order changed between the checks and now (paid in
		// another tab, or the page just expired).
		o, found = p.s.cardOrder(token)
		if !p.cardGate(w, r, o, found) {
			http.Error(w, err.Error(), http.StatusConflict)
		}
		return
	}
	p.s.wakeLoop()
	done := cardDoneData{Success: res.Status == "S", ReturnURL: o.ReturnURL, ShopNo: o.ShopNo, PayToken: res.PayToken}
	if !done.Success {
		done.Reason = p.t(r, "outcome."+res.Outcome)
	}
	p.render(w, r, http.StatusOK, "card_done", done)
}

// checkCard validates the card form and says which outcome the card has.
func (p *pages) checkCard(r *http.Request, now time.Time) (Outcome, Card, []string) {
	var errs []string
	number := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, r.PostForm.Get("number"))
	out := OutcomeSuccess
	known := false
	for _, tc := range TestCards {
		if strings.ReplaceAll(tc.Number, "-", "") == number {
			out, known = tc.Outcome, true
		}
	}
	switch {
	case len(number) < 13 || len(number) > 19 || strings.Trim(number, "0123456789") != "":
		errs = append(errs, p.t(r, "err.number_format"))
	case !known && !luhn(number):
		errs = append(errs, p.t(r, "err.number"))
	}
	month, year, ok := parseExpiry(r.PostForm.Get("exp"))
	if !ok {
		errs = append(errs, p.t(r, "err.exp_format"))
	} else if y, m := now.In(taipei).Year(), int(now.In(taipei).Month()); year < y || (year == y && month < m) {
		errs = append(errs, p.t(r, "err.exp_past"))
	}
	cvc := r.PostForm.Get("cvc")
	if (len(cvc) != 3 && len(cvc) != 4) || strings.Trim(cvc, "0123456789") != "" {
		errs = append(errs, p.t(r, "err.cvc"))
	}
	if len(errs) > 0 {
		return "", Card{}, errs
	}
	return out, Card{Left: number[:6], Right: number[len(number)-4:], Exp: twoDigits(month) + twoDigits(year%100)}, nil
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// luhn is the check digit test every card number passes.
func luhn(number string) bool {
	sum := 0
	for i := range len(number) {
		d := int(number[len(number)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// parseExpiry reads MM/YY, MMYY or MM/YYYY.
func parseExpiry(s string) (month, year int, ok bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	mm, yy, found := strings.Cut(s, "/")
	if !found {
		if len(s) != 4 {
			return 0, 0, false
		}
		mm, yy = s[:2], s[2:]
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || m < 1 || m > 12 || len(mm) > 2 {
		return 0, 0, false
	}
	switch len(yy) {
	case 2:
		y += 2000
	case 4:
	default:
		return 0, 0, false
	}
	return m, y, true
}
