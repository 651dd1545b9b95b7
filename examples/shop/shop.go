package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// Order is one order of the shop. A real shop keeps orders in a database;
// this one keeps them in memory.
type Order struct {
	OrderNo  string
	PayType  funbiz.PayType
	Amount   int64 // whole NT$
	Status   Status
	Refunded int64 `json:",omitempty"`
	// ATM is where and until when to transfer, for an ATM order.
	ATM *ATMInstructions `json:",omitempty"`
	// CardPayURL is the bank's card page, for a card order.
	CardPayURL string `json:",omitempty"`
	// Note says why an order is on review.
	Note string `json:",omitempty"`
}

// ATMInstructions is what the buyer needs to pay an ATM order.
type ATMInstructions struct {
	BankCode string
	Account  string
	Deadline time.Time // the end of the last day, Taiwan time
}

// Status is an order's state. It only moves forward: a late "failed"
// never un-pays a paid order.
type Status string

const (
	StatusWaiting  Status = "waiting"
	StatusDeclined Status = "declined" // a card was declined; the buyer may try again
	StatusPaid     Status = "paid"
	StatusReview   Status = "review" // the bank's answer disagrees with the order: a person looks
	StatusRefunded Status = "refunded"
)

// Shop sells through the bank. It is safe for concurrent use.
type Shop struct {
	bank *funbiz.Client
	// baseURL is where the bank and the buyer reach the shop; the bank
	// posts notifications to baseURL/funbiz/notify and sends browsers
	// back to baseURL/funbiz/return.
	baseURL string
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	seq    int
	orders map[string]*Order
	// jobs holds PayTokens to confirm. A real shop records them in its
	// database before acknowledging the bank, so a crash loses none.
	jobs chan job
}

type job struct {
	token   string
	attempt int
}

// NewShop returns a shop that calls the bank with bank and is reached at
// baseURL. Run Work to confirm payments.
func NewShop(bank *funbiz.Client, baseURL string, log *slog.Logger) *Shop {
	return &Shop{bank: bank, baseURL: baseURL, log: log, now: time.Now, orders: map[string]*Order{}, jobs: make(chan job, 1024)}
}

// Handler serves the shop's API and the bank's two callbacks.
func (s *Shop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /orders/{no}", s.showOrder)
	mux.HandleFunc("POST /orders/{no}/refund", s.refund)
	mux.Handle("POST /funbiz/notify", funbiz.NotificationHandler(s.bank.ShopNo(), s.record))
	mux.Handle("POST /funbiz/return", &funbiz.ReturnHandler{
		Client: s.bank, Lookup: s.lookup, Apply: s.applyReturn, Unconfirmed: s.unconfirmed,
	})
	mux.HandleFunc("GET /payments/pending", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "We are confirming your payment with the bank; your order page will show it shortly.")
	})
	mux.HandleFunc("GET /payments/unconfirmed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "This payment could not be confirmed with the bank.")
	})
	// The bank's callbacks are cross-site posts (the return comes from the
	// bank's card page in the buyer's browser): they are the only
	// exceptions, and they change nothing without the bank's word.
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /funbiz/notify")
	cop.AddInsecureBypassPattern("POST /funbiz/return")
	return cop.Handler(mux)
}

// orderRequest is the body of POST /orders.
type orderRequest struct {
	Pay    string // "atm" or "card"
	Amount int64  // whole NT$
	Name   string // what is bought
}

// createOrder makes an order at the bank and answers it: the virtual
// account for ATM, the card page for a card.
func (s *Shop) createOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body must be JSON {Pay, Amount, Name}")
		return
	}
	s.mu.Lock()
	s.seq++
	no := fmt.Sprintf("S%s%04d", s.now().In(funbiz.Taipei).Format("060102150405"), s.seq)
	s.mu.Unlock()
	p := &funbiz.OrderCreateParams{
		OrderNo: no, Amount: req.Amount, PrdtName: req.Name,
		BackendURL: s.baseURL + "/funbiz/notify", // without it the bank never notifies
	}
	switch req.Pay {
	case "atm":
		p.PayType = funbiz.PayTypeATM
		p.ATM = &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(s.now().AddDate(0, 0, 3))}
	case "card":
		p.PayType = funbiz.PayTypeCard
		p.ReturnURL = s.baseURL + "/funbiz/return"
		p.Card = &funbiz.CardParams{AutoBilling: true}
	default:
		writeError(w, http.StatusBadRequest, `Pay must be "atm" or "card"`)
		return
	}
	o, err := s.create(r.Context(), p)
	switch {
	case errors.Is(err, funbiz.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		s.log.Error("OrderCreate", "order", no, "error", err)
		writeError(w, http.StatusBadGateway, "the bank could not take the order; please try again")
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

// create makes the order at the bank. OrderCreate is never sent twice
// blindly: when its answer is lost, the bank may have the order, so ask.
func (s *Shop) create(ctx context.Context, p *funbiz.OrderCreateParams) (*Order, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	o := &Order{OrderNo: p.OrderNo, PayType: p.PayType, Amount: p.Amount, Status: StatusWaiting}
	res, err := s.bank.OrderCreate(ctx, p)
	switch {
	case err == nil:
		if res.ATM != nil {
			o.ATM = &ATMInstructions{BankCode: funbiz.ATMBankCode, Account: res.ATM.AtmPayNo, Deadline: res.ATM.Deadline()}
		}
		if res.Card != nil {
			o.CardPayURL = res.Card.CardPayURL
		}
	case errors.Is(err, funbiz.ErrTransport):
		info, found, ferr := s.bank.FindOrder(context.WithoutCancel(ctx), p.OrderNo)
		if ferr != nil || !found {
			return nil, err // not at the bank (or unknown): a new OrderNo next time
		}
		if info.ATM != nil {
			deadline, _ := funbiz.EndOfDay(p.ATM.ExpireDate)
			o.ATM = &ATMInstructions{BankCode: funbiz.ATMBankCode, Account: info.ATM.AtmPayNo, Deadline: deadline}
		}
		if info.Card != nil {
			o.CardPayURL = info.Card.CardPayURL
		}
	default:
		return nil, err
	}
	s.mu.Lock()
	s.orders[o.OrderNo] = o
	s.mu.Unlock()
	return o, nil
}

func (s *Shop) showOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.order(r.PathValue("no"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such order")
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// order returns a copy of an order.
func (s *Shop) order(no string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[no]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

// record keeps a notified PayToken for the worker; the handler
// acknowledges the bank only when it returns nil.
func (s *Shop) record(_ context.Context, n funbiz.Notification) error {
	select {
	case s.jobs <- job{token: n.PayToken}:
		return nil
	default:
		return errors.New("confirmation queue is full") // 503: the bank sends again
	}
}

// lookup is the OrderLookup of ConfirmToken and the return page.
func (s *Shop) lookup(_ context.Context, no string) (funbiz.Expected, error) {
	o, ok := s.order(no)
	if !ok {
		return funbiz.Expected{}, funbiz.ErrUnknownOrder
	}
	return funbiz.Expected{OrderNo: o.OrderNo, Amount: o.Amount}, nil
}

// apply records the bank's verdict on the order it names. It may see the
// same verdict twice (the return and the notification of one payment).
func (s *Shop) apply(c *funbiz.Confirmation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[c.OrderNo]
	if !ok {
		return
	}
	before := o.Status
	switch c.Outcome {
	case funbiz.OutcomePaid:
		if o.Status == StatusWaiting || o.Status == StatusDeclined {
			o.Status = StatusPaid
		}
	case funbiz.OutcomeFailed:
		if o.Status == StatusWaiting {
			o.Status = StatusDeclined
		}
	case funbiz.OutcomeMismatch:
		if o.Status == StatusWaiting || o.Status == StatusDeclined {
			o.Status, o.Note = StatusReview, c.Reason
		}
	}
	if o.Status != before {
		s.log.Info("order changed", "order", o.OrderNo, "from", before, "to", o.Status)
	}
}

// applyReturn is the return page's Apply: the verdict, then the order's
// page.
func (s *Shop) applyReturn(_ context.Context, c *funbiz.Confirmation) (string, error) {
	s.apply(c)
	return "/orders/" + c.OrderNo, nil
}

// unconfirmed is where the return page sends the browser without a
// verdict. When the bank was only slow, the worker confirms the token
// later.
func (s *Shop) unconfirmed(ctx context.Context, n funbiz.Notification, err error) string {
	if funbiz.Temporary(err) && s.record(ctx, n) == nil {
		return "/payments/pending"
	}
	s.log.Warn("card return not confirmed", "error", err)
	return "/payments/unconfirmed"
}

// Work confirms recorded PayTokens until ctx ends.
func (s *Shop) Work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.jobs:
			s.confirm(ctx, j)
		}
	}
}

// confirm asks the bank about one PayToken and applies its answer. A
// forged token is dropped; a bank that could not answer is asked again
// later, with backoff; anything else is left for a person.
func (s *Shop) confirm(ctx context.Context, j job) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, err := s.bank.ConfirmToken(cctx, j.token, s.lookup)
	cancel()
	switch {
	case err == nil:
		s.apply(c)
	case errors.Is(err, funbiz.ErrUnknownToken):
		s.log.Warn("PayToken unknown to the bank: forged or another shop's; dropped")
	case funbiz.Temporary(err) && j.attempt < 10:
		j.attempt++
		time.AfterFunc(min(time.Duration(1<<j.attempt)*time.Second, 5*time.Minute), func() {
			select {
			case s.jobs <- j:
			case <-ctx.Done():
			}
		})
	default:
		s.log.Error("PayToken needs a person", "error", err)
	}
}

// refundRequest is the body of POST /orders/{no}/refund: an Amount, or
// All for everything not yet refunded.
type refundRequest struct {
	Amount int64
	All    bool
}

// refund refunds a paid card order, in part or in full.
func (s *Shop) refund(w http.ResponseWriter, r *http.Request) {
	var req refundRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body must be JSON {Amount} or {All: true}")
		return
	}
	o, ok := s.order(r.PathValue("no"))
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "no such order")
		return
	case o.PayType != funbiz.PayTypeCard || o.Status != StatusPaid:
		writeError(w, http.StatusConflict, "only a paid card order can be refunded")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	res, err := s.bank.Refund(ctx, &funbiz.RefundParams{OrderNo: o.OrderNo, Amount: req.Amount, All: req.All})
	var e *funbiz.Error
	switch {
	case errors.Is(err, funbiz.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, funbiz.ErrBankRefused) && errors.As(err, &e):
		writeError(w, http.StatusConflict, "the bank refused: "+e.Description)
		return
	case err != nil:
		// The refund may or may not have happened: never ask again before
		// looking at the bank's records (BillQuery).
		s.log.Error("refund outcome unknown", "order", o.OrderNo, "error", err)
		writeError(w, http.StatusBadGateway, "the bank did not answer; check the refund at the bank before trying again")
		return
	}
	s.mu.Lock()
	p := s.orders[o.OrderNo]
	p.Refunded += res.Amount
	if p.Refunded >= p.Amount {
		p.Status = StatusRefunded
	}
	o = *p
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, o)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"Error": msg})
}
