package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API drives the sandbox from tests, scripts and the
// dashboard. Every answer is JSON; bad input is HTTP 400 with
// {"error":…}, an unknown thing 404, a state that forbids the action 409
// (with "reason"). The same endpoints take HTML form posts from the
// dashboard and then redirect back to it (POST, redirect, GET).

func (s *Sandbox) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sandbox/clock", s.handleClock)
	mux.HandleFunc("POST /_sandbox/clock/advance", s.handleAdvance)
	mux.HandleFunc("POST /_sandbox/run", s.handleRun)
	mux.HandleFunc("GET /_sandbox/orders", s.handleOrders)
	mux.HandleFunc("GET /_sandbox/payments", s.handlePayments)
	mux.HandleFunc("GET /_sandbox/deliveries", s.handleDeliveries)
	mux.HandleFunc("GET /_sandbox/refusals", s.handleRefusals)
	mux.HandleFunc("GET /_sandbox/notices", s.handleNotices)
	mux.HandleFunc("POST /_sandbox/reset", s.handleReset)
	mux.HandleFunc("GET /_sandbox/chaos", s.handleChaosGet)
	mux.HandleFunc("POST /_sandbox/chaos", s.handleChaos)
	mux.HandleFunc("POST /_sandbox/notify/resend", s.handleResend)
	mux.HandleFunc("POST /_sandbox/card/pay", s.handleCardPay)
	mux.HandleFunc("POST /_sandbox/atm/transfer", s.handleTransfer)
}

// num is a whole number given as a JSON number or, from a form, a string.
type num int64

func (n *num) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a whole number", b)
	}
	*n = num(v)
	return nil
}

// flag is a boolean given as JSON or as a form's "true"/"on"/"1".
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true", "on", "1", "yes", "y":
		*f = true
	case "false", "off", "0", "no", "n", "", "null":
		*f = false
	default:
		return fmt.Errorf("%s is not true or false", b)
	}
	return nil
}

// decodeInput reads a JSON body, or a form post from the dashboard. It
// reports whether the request was a form, so the handler can redirect.
func decodeInput(w http.ResponseWriter, r *http.Request, dst any) (form bool, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
		if err := r.ParseMultipartForm(64 << 10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return true, fmt.Errorf("the form cannot be read: %v", err)
		}
		m := map[string]string{}
		for k, v := range r.PostForm {
			if k != "back" && len(v) > 0 && v[0] != "" {
				m[k] = v[0]
			}
		}
		b, _ := json.Marshal(m)
		if err := json.Unmarshal(b, dst); err != nil {
			return true, fmt.Errorf("the form is not right: %v", err)
		}
		return true, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false, fmt.Errorf("the body cannot be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return false, fmt.Errorf("the body is not the expected JSON object: %v", err)
	}
	return false, nil
}

// reply answers a control call: JSON, or for a form, a redirect back to the
// dashboard page that posted it, with a message to show there (kept on
// the server: see flash.go).
func (s *Sandbox) reply(w http.ResponseWriter, r *http.Request, form bool, v any, err error, msg func(catalog) string) {
	if form {
		back := r.PostFormValue("back")
		if !strings.HasPrefix(back, "/_sandbox/") || strings.HasPrefix(back, "//") {
			back = "/_sandbox/"
		}
		switch {
		case err != nil:
			s.pages.setFlash(w, flash{err: true, text: refusedSaying(err, "refused.")})
		case msg != nil:
			s.pages.setFlash(w, flash{text: msg})
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusBadRequest, Reason: "invalid", Msg: err.Error()}
	}
	writeJSON(w, e.Status, struct {
		Error  string `json:"error"`
		Reason string `json:"reason,omitempty"`
	}{e.Msg, e.Reason})
}

// parseDuration is time.ParseDuration plus whole days ("2d"), because
// "advance to the day after tomorrow" is a common wish.
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 90s, 10m, 2h or 3d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 90s, 10m, 2h or 3d", s)
	}
	return d, nil
}

// ClockView is the sandbox's time.
type ClockView struct {
	Now    string // RFC 3339, Taiwan time
	Wire   string // yyyyMMddHHmm, as in the bank's answers
	Offset string // how far Advance has moved the sandbox ahead of its clock
}

func (s *Sandbox) clockView() ClockView {
	now := s.Now()
	return ClockView{Now: rfc(now), Wire: dt(now), Offset: time.Duration(s.offset.Load()).String()}
}

// Advance moves the sandbox clock forward by d, then does everything that
// became due (notifications, ATM auto-payments, scheduled captures) before
// it returns. The clock never goes back; d must be positive.
func (s *Sandbox) Advance(d time.Duration) error {
	if d <= 0 {
		return errInvalid("the clock only moves forward: By must be positive")
	}
	if d > 366*24*time.Hour {
		return errInvalid("By must be at most 366d")
	}
	s.mu.Lock()
	off := time.Duration(s.offset.Add(int64(d)))
	s.persist(writeSet{offset: &off})
	s.mu.Unlock()
	s.RunDue()
	return nil
}

func (s *Sandbox) handleClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clockView())
}

func (s *Sandbox) handleAdvance(w http.ResponseWriter, r *http.Request) {
	var in struct{ By string }
	form, err := decodeInput(w, r, &in)
	var d time.Duration
	if err == nil {
		if in.By == "" {
			err = errInvalid(`give By, e.g. {"By":"10m"}`)
		} else if d, err = parseDuration(in.By); err == nil {
			err = s.Advance(d)
		}
	}
	s.reply(w, r, form, s.clockView(), err, said("flash.advanced", in.By))
}

func (s *Sandbox) handleRun(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	form, err := decodeInput(w, r, &in)
	if err == nil {
		s.RunDue()
	}
	s.reply(w, r, form, s.clockView(), err, said("flash.ran"))
}

func filterOf(r *http.Request) Filter {
	return Filter{ShopNo: r.URL.Query().Get("ShopNo"), OrderNo: r.URL.Query().Get("OrderNo")}
}

func (s *Sandbox) handleOrders(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Orders(filterOf(r), s.baseURL(r)))
}

func (s *Sandbox) handlePayments(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Payments(filterOf(r)))
}

func (s *Sandbox) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Deliveries(filterOf(r)))
}

func (s *Sandbox) handleRefusals(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Refusals())
}

func (s *Sandbox) handleNotices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Notices())
}

// Reset forgets every order, payment, delivery, refusal and chaos rule,
// and puts the clock offset back to zero. Merchants stay.
func (s *Sandbox) Reset() error {
	s.runMu.Lock() // not in the middle of a delivery pass
	defer s.runMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
	return s.store.Reset()
}

func (s *Sandbox) handleReset(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	form, err := decodeInput(w, r, &in)
	if err == nil {
		err = s.Reset()
	}
	s.reply(w, r, form, struct{ Status string }{"reset"}, err, said("flash.reset"))
}

// ChaosInput arms chaos rules; see README.md.
type ChaosInput struct {
	ShopNo      string
	OrderNo     string
	NextOutcome string
	Notify      string
	Delay       string
	// Mismatch makes the bank's answers about the order's next payment
	// disagree with the order: amount, shop or order.
	Mismatch string
	// Other is the ShopNo (Mismatch shop) or OrderNo (Mismatch order)
	// those answers name instead; empty lets the sandbox pick one.
	Other string
	API   string
	Count num
	Clear flag
}

// ChaosView shows the armed rules.
type ChaosView struct {
	API         *apiChaos
	NextOutcome []ChaosRule
	Notify      []ChaosRule
	Mismatch    []ChaosRule
}

// ChaosRule is one armed per-order rule; an empty OrderNo means any order
// of the shop.
type ChaosRule struct {
	ShopNo  string
	OrderNo string
	Mode    string
	Delay   string `json:",omitempty"`
	Other   string `json:",omitempty"`
}

func (s *Sandbox) chaosView() ChaosView {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := ChaosView{NextOutcome: []ChaosRule{}, Notify: []ChaosRule{}, Mismatch: []ChaosRule{}}
	if s.chaos.API.Count > 0 {
		a := s.chaos.API
		v.API = &a
	}
	for k, o := range s.chaos.NextOutcome {
		v.NextOutcome = append(v.NextOutcome, ChaosRule{ShopNo: k.shopNo, OrderNo: k.orderNo, Mode: string(o)})
	}
	for k, n := range s.chaos.Notify {
		r := ChaosRule{ShopNo: k.shopNo, OrderNo: k.orderNo, Mode: string(n.Mode)}
		if n.Delay > 0 {
			r.Delay = n.Delay.String()
		}
		v.Notify = append(v.Notify, r)
	}
	for k, m := range s.chaos.Mismatch {
		v.Mismatch = append(v.Mismatch, ChaosRule{ShopNo: k.shopNo, OrderNo: k.orderNo, Mode: string(m.Mode), Other: m.Other})
	}
	return v
}

// ArmChaos arms the rules in c (several at once are fine), or with Clear
// disarms everything first.
func (s *Sandbox) ArmChaos(c ChaosInput) error {
	shop := c.ShopNo
	if shop == "" {
		shop = DemoShopNo
	}
	if s.merchants[shop] == nil {
		return errInvalid("ShopNo %s is not a merchant of this sandbox", shop)
	}
	k := orderKey{shop, c.OrderNo}
	var out Outcome
	var nc notifyChaos
	var ac apiChaos
	var mc mismatchChaos
	if c.NextOutcome != "" {
		o, err := ParseOutcome(c.NextOutcome)
		if err != nil {
			return errInvalid("NextOutcome: %v", err)
		}
		out = o
	}
	if c.Notify != "" {
		nc.Mode = notifyChaosMode(c.Notify)
		switch nc.Mode {
		case chaosNotifyDelay, chaosNotifyDuplicate, chaosNotifyDrop, chaosNotifyReorder:
		default:
			return errInvalid("Notify must be delay, duplicate, drop or reorder, got %q", c.Notify)
		}
		if c.Delay != "" {
			d, err := parseDuration(c.Delay)
			if err != nil || d <= 0 {
				return errInvalid("Delay must be a positive duration such as 30s")
			}
			nc.Delay = d
		} else if nc.Mode == chaosNotifyDelay {
			nc.Delay = 30 * time.Second
		}
	}
	if c.Mismatch != "" {
		mc = mismatchChaos{Mode: mismatchMode(c.Mismatch), Other: c.Other}
		if err := mc.check(shop, c.OrderNo); err != nil {
			return err
		}
	} else if c.Other != "" {
		return errInvalid("Other goes with Mismatch shop or order")
	}
	if c.API != "" {
		ac = apiChaos{Mode: apiChaosMode(c.API), Count: int(c.Count), ShopNo: c.ShopNo}
		switch ac.Mode {
		case chaosAPI500, chaosAPIHang, chaosAPIGarbage, chaosAPINonceExpired:
		default:
			return errInvalid("API must be 500, hang, garbage or nonce-expired, got %q", c.API)
		}
		if ac.Count == 0 {
			ac.Count = 1
		}
		if ac.Count < 0 || ac.Count > 1000 {
			return errInvalid("Count must be 1 to 1000")
		}
	}
	if c.NextOutcome == "" && c.Notify == "" && c.Mismatch == "" && c.API == "" && !c.Clear {
		return errInvalid("give NextOutcome, Notify, Mismatch, API or Clear")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Clear {
		s.chaos = newChaosState()
	}
	if out != "" {
		s.chaos.NextOutcome[k] = out
	}
	if nc.Mode != "" {
		s.chaos.Notify[k] = nc
	}
	if mc.Mode != "" {
		s.chaos.Mismatch[k] = mc
	}
	if ac.Mode != "" {
		s.chaos.API = ac
	}
	return nil
}

func (s *Sandbox) handleChaosGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.chaosView())
}

func (s *Sandbox) handleChaos(w http.ResponseWriter, r *http.Request) {
	var in ChaosInput
	form, err := decodeInput(w, r, &in)
	if err == nil {
		err = s.ArmChaos(in)
	}
	s.reply(w, r, form, s.chaosView(), err, said("flash.chaos"))
}

func (s *Sandbox) handleResend(w http.ResponseWriter, r *http.Request) {
	var in struct{ PayToken string }
	form, err := decodeInput(w, r, &in)
	var v DeliveryView
	if err == nil {
		if in.PayToken == "" {
			err = errInvalid("give PayToken")
		} else {
			v, err = s.Resend(in.PayToken)
		}
	}
	s.reply(w, r, form, v, err, said("flash.resent"))
}

func (s *Sandbox) handleCardPay(w http.ResponseWriter, r *http.Request) {
	var in struct{ ShopNo, OrderNo, Outcome string }
	form, err := decodeInput(w, r, &in)
	var res *PayResult
	if err == nil {
		res, err = s.controlPayCard(in.ShopNo, in.OrderNo, in.Outcome)
	}
	var msg func(catalog) string
	if res != nil {
		msg = func(c catalog) string { return c.translate("flash.card_paid", c.outcome("C", res.Outcome)) }
	}
	s.reply(w, r, form, res, err, msg)
}

func (s *Sandbox) controlPayCard(shopNo, orderNo, out string) (*PayResult, error) {
	if shopNo == "" {
		shopNo = DemoShopNo
	}
	if orderNo == "" {
		return nil, errInvalid("give OrderNo")
	}
	if out == "" {
		out = string(OutcomeSuccess)
	}
	o, err := ParseOutcome(out)
	if err != nil {
		return nil, errInvalid("Outcome: %v", err)
	}
	return s.PayCard(shopNo, orderNo, o, defaultCard, "control API")
}

func (s *Sandbox) handleTransfer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AtmPayNo       string
		Amount         num
		BankNo, AcctNo string
	}
	form, err := decodeInput(w, r, &in)
	var res *PayResult
	if err == nil {
		switch {
		case in.AtmPayNo == "":
			err = errInvalid("give AtmPayNo")
		case in.Amount <= 0:
			err = errInvalid("give Amount, in whole NT$, more than 0")
		default:
			res, err = s.Transfer(in.AtmPayNo, int64(in.Amount), in.BankNo, in.AcctNo)
		}
	}
	s.reply(w, r, form, res, err, said("atm.received"))
}
