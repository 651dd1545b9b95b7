package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/web/apidoc"
	"github.com/sinopay/sinopay/webhook"
)

// The JSON API (/api/v1/): another shop's server takes payments through
// this shop with an API key (Authorization: Bearer sk_…). Amounts are
// whole NT$. Every error is {"error": {"type", "code", "message",
// "param"}} with its HTTP status.

// apiError is the API's error body.
type apiError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, e apiError) {
	writeAPIJSON(w, status, struct {
		Error apiError `json:"error"`
	}{e})
}

// apiFail answers a request the shop could not serve: 503 while the
// database or the bank is down (safe to send again: with the same
// Idempotency-Key it never makes a second payment), 500 for the rest.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	status, typ, code := http.StatusInternalServerError, "api_error", "internal"
	if shop.IsCode(err, shop.Unavailable) {
		status, code = http.StatusServiceUnavailable, "unavailable"
	}
	s.log.ErrorContext(r.Context(), "API request failed", "route", r.Pattern, "error", err)
	writeAPIError(w, status, apiError{Type: typ, Code: code, Message: "the shop could not answer; try again (with the same Idempotency-Key)"})
}

// apiKey is the working key of the request, or nil when it answered the
// request itself: 401 for a missing or bad key (one answer for all),
// 403 for a key of a mode this instance does not take: it takes test
// keys when its bank is the sandbox or a test bank stands beside its
// live bank, live keys when its bank is a real one.
func (s *Server) apiKey(w http.ResponseWriter, r *http.Request) *shop.APIKey {
	auth := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sinopay"`)
		writeAPIError(w, http.StatusUnauthorized, apiError{Type: "authentication_error", Code: "missing_api_key",
			Message: "send the API key as Authorization: Bearer sk_…"})
		return nil
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	k, err := s.db.AuthAPIKey(ctx, strings.TrimSpace(secret))
	if shop.IsCode(err, shop.Unauthorized) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sinopay", error="invalid_token"`)
		writeAPIError(w, http.StatusUnauthorized, apiError{Type: "authentication_error", Code: "invalid_api_key",
			Message: "the API key is unknown, revoked, or not a key"})
		return nil
	}
	if err != nil {
		s.apiFail(w, r, err)
		return nil
	}
	if s.apiLimit != nil {
		if wait, ok := s.apiLimit.take(strconv.FormatInt(k.ID, 10), s.now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			writeAPIError(w, http.StatusTooManyRequests, apiError{Type: "rate_limit_error", Code: "rate_limited",
				Message: "too many requests with this key; send again after Retry-After seconds (with the same Idempotency-Key)"})
			return nil
		}
	}
	if k.Mode != s.apiMode && (k.Mode != shop.APITest || !s.pay.HasTestBank()) {
		msg := "this shop's bank is the sandbox, where live keys cannot pay"
		if k.Mode == shop.APITest {
			msg = "this shop runs no sandbox beside its bank, so test keys cannot pay here (run it with --sandbox-addr)"
		}
		writeAPIError(w, http.StatusForbidden, apiError{Type: "permission_error", Code: "mode_unavailable", Message: msg})
		return nil
	}
	return k
}

// defaultAPIRate is the requests a second one API key may make to one
// instance, as card networks' gateways allow a merchant: far above what
// a shop's checkout needs, low enough that one runaway client cannot
// take the shop's database from its customers.
const defaultAPIRate = 100

// newAPILimit is a limiter of rate requests a second per key, twice as
// many at once. It is per instance: behind n instances a key may make n
// times as many.
func newAPILimit(rate float64) *limiter {
	return newLimiter(max(1, int(2*rate)), time.Duration(float64(time.Second)/rate), throttleKeys)
}

// apiNotFound answers any other path under /api/.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeAPIError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: "not_found", Message: "no such endpoint: " + r.Method + " " + r.URL.Path})
}

// apiPaymentBody is POST /api/v1/payments's body. Amount is a pointer
// to tell 0 from missing.
type apiPaymentBody struct {
	Amount      *int64            `json:"amount"`
	Method      string            `json:"method"`
	Description string            `json:"description"`
	Reference   string            `json:"reference"`
	ReturnURL   string            `json:"return_url"`
	Capture     string            `json:"capture"`
	Metadata    map[string]string `json:"metadata"`
	ExpiresIn   *int64            `json:"expires_in"`
}

// maxAPIBody bounds a request body; a payment is a few hundred bytes.
const maxAPIBody = 64 << 10

// apiPaymentCreate makes a payment (POST /api/v1/payments): 201 with the
// payment, its ATM account or its card page. With an Idempotency-Key, the
// same key and body give the same payment again (and no second bank
// order); the same key with another body is refused with 409.
func (s *Server) apiPaymentCreate(w http.ResponseWriter, r *http.Request) {
	k := s.apiKey(w, r)
	if k == nil {
		return
	}
	idem := r.Header.Get("Idempotency-Key")
	if len(idem) > shop.MaxIdempotencyKey || !utf8.ValidString(idem) || strings.ContainsFunc(idem, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid_idempotency_key",
			Message: "Idempotency-Key must be at most 255 bytes of printable text"})
		return
	}
	var body apiPaymentBody
	raw, ok := readAPIBody(w, r, &body, false)
	if !ok {
		return
	}
	req := shop.APIPaymentRequest{Method: body.Method, Description: body.Description, Reference: body.Reference,
		ReturnURL: body.ReturnURL, Capture: body.Capture, Metadata: body.Metadata}
	if body.Amount == nil {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "missing", Param: "amount", Message: "amount is required: whole NT$"})
		return
	}
	req.Amount = shop.Money(*body.Amount)
	if e := body.ExpiresIn; e != nil {
		// Out of every range, and not to overflow: Check says what is.
		req.ExpiresIn = time.Duration(min(max(*e, -1), 1<<32)) * time.Second
		if *e <= 0 {
			req.ExpiresIn = -1
		}
	}
	if fe := req.Check(k.Mode, s.pay.ATMMax()); fe != nil {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: fe.Code, Param: fe.Param, Message: fe.Message})
		return
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	ctx, cancel := s.timeout(r)
	defer cancel()
	if idem != "" {
		if _, done := s.apiReplay(ctx, w, r, k, idem, hash); done {
			return
		}
	}
	p := &shop.APIPayment{ID: shop.NewAPIPaymentID(), KeyID: k.ID, Reference: req.Reference, Description: req.Description,
		ReturnURL: req.ReturnURL, Metadata: req.Metadata, IdemKey: idem, IdemHash: hash}
	made, err := s.pay.CreateAPIPayment(ctx, p, &req, k.Mode)
	if shop.IsCode(err, shop.Conflict) && idem != "" {
		// The same key sent twice at once: the other request made it.
		s.apiReplay(ctx, w, r, k, idem, hash)
		return
	}
	if shop.IsCode(err, shop.Invalid) {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "amount", Message: err.Error()})
		return
	}
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "API payment made", "payment", made.ID, "order", made.Order.No, "key", k.ID)
	writeAPIJSON(w, http.StatusCreated, s.apiPaymentJSON(made))
}

// apiReplay answers a request whose Idempotency-Key the key has used:
// the payment again when the body is the same, 409 otherwise. done is
// false when the key has made no payment with it.
func (s *Server) apiReplay(ctx context.Context, w http.ResponseWriter, r *http.Request, k *shop.APIKey, idem, hash string) (*shop.APIPayment, bool) {
	p, err := s.db.APIPaymentByIdem(ctx, k.ID, idem)
	if shop.IsCode(err, shop.NotFound) {
		return nil, false
	}
	if err != nil {
		s.apiFail(w, r, err)
		return nil, true
	}
	if p.IdemHash != hash {
		writeAPIError(w, http.StatusConflict, apiError{Type: "idempotency_error", Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was used with another body; use a new key for a new payment"})
		return nil, true
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeAPIJSON(w, http.StatusCreated, s.apiPaymentJSON(p))
	return p, true
}

// bodyError says what is wrong with a body that does not decode.
func bodyError(err error) apiError {
	e := apiError{Type: "invalid_request_error", Code: "invalid_json", Message: "the body must be one JSON object"}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		e.Code, e.Param = "invalid", typeErr.Field
		e.Message = typeErr.Field + " has the wrong type"
		if typeErr.Field == "amount" {
			e.Message = "amount must be a whole number of NT$"
		}
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		e.Code, e.Param = "unknown_parameter", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Message = "unknown parameter " + e.Param
	}
	return e
}

// apiPaymentGet answers GET /api/v1/payments/{id}: one of the key's
// payments; another key's is 404, as a missing one.
func (s *Server) apiPaymentGet(w http.ResponseWriter, r *http.Request) {
	k := s.apiKey(w, r)
	if k == nil {
		return
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	if p := s.keyPayment(ctx, w, r, k); p != nil {
		writeAPIJSON(w, http.StatusOK, s.apiPaymentJSON(p))
	}
}

// keyPayment is the key's payment of the path's {id}, or nil when it
// answered the request itself: 404 for another key's, as for none.
func (s *Server) keyPayment(ctx context.Context, w http.ResponseWriter, r *http.Request, k *shop.APIKey) *shop.APIPayment {
	p, err := s.db.APIPayment(ctx, k.ID, r.PathValue("id"))
	if shop.IsCode(err, shop.NotFound) {
		writeAPIError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: "resource_missing", Param: "id", Message: "no such payment"})
		return nil
	}
	if err != nil {
		s.apiFail(w, r, err)
		return nil
	}
	return p
}

// readAPIBody reads the request's JSON object into v, refusing unknown
// members and anything after the object, and returns the raw body; ok is
// false when it answered the request itself. An empty body leaves v as
// it is when empty is allowed.
func readAPIBody(w http.ResponseWriter, r *http.Request, v any, empty bool) (raw []byte, ok bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		writeAPIError(w, http.StatusRequestEntityTooLarge, apiError{Type: "invalid_request_error", Code: "body_too_large", Message: "the body is larger than 64 KiB"})
		return nil, false
	}
	if empty && len(bytes.TrimSpace(raw)) == 0 {
		return raw, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		writeAPIError(w, http.StatusBadRequest, bodyError(err))
		return nil, false
	}
	return raw, true
}

func (s *Server) apiPaymentJSON(p *shop.APIPayment) shop.APIPaymentView {
	return shop.ViewAPIPayment(p, s.baseURL, s.now())
}

// apiPaymentReturn is where a card payment's buyer comes back from the
// bank's card page (GET /pay/{id}/return), once the shop has confirmed
// the payment with the bank (or given up waiting): the buyer goes on to
// the merchant's return_url with the payment's id and status, which the
// merchant should check with GET /api/v1/payments/{id} rather than trust
// a browser's URL.
func (s *Server) apiPaymentReturn(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	p, err := s.db.APIPaymentByID(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.ReturnURL == "" {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	u, err := url.Parse(p.ReturnURL)
	if err != nil {
		s.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	q := u.Query()
	q.Set("payment_id", p.ID)
	q.Set("status", shop.APIStatus(p.Order))
	if p.Reference != "" {
		q.Set("reference", p.Reference)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// resultURL is where a card return ends for order no: the merchant's
// way back for an API payment, the order's result page otherwise.
func (s *Server) resultURL(ctx context.Context, no string) string {
	if p, err := s.db.APIPaymentOfOrder(ctx, no); err == nil {
		return "/pay/" + url.PathEscape(p.ID) + "/return"
	}
	return "/orders/" + url.PathEscape(no) + "/result"
}

// payPage is an API payment's hosted page (GET /pay/{id}), for the
// buyer: what is paid for, the amount and status; an ATM payment's
// account and deadline, a card payment's way to the bank's card page;
// once it is settled, the way back to the merchant. It follows the
// payment as the shop's order pages do. Anyone with the link sees it, as
// anyone with an ATM slip could: the id is 96 random bits.
func (s *Server) payPage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	p, err := s.db.APIPaymentByID(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o := p.Order
	page := payPageData{Description: p.Description, Reference: p.Reference, Status: shop.APIStatus(o), View: newOrderView(o, s.now())}
	page.Done = page.Status != "pending"
	if p.ReturnURL != "" {
		page.Back = "/pay/" + url.PathEscape(p.ID) + "/return"
	}
	v := s.newView(r, nil, "pay.title", page)
	v.Hosted = true
	if !page.Done {
		v.Refresh = true
		v.Poll, v.Version = "/pay/"+url.PathEscape(p.ID)+"/status", orderVersion(o)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, http.StatusOK, "pay", v)
}

// payPageData is what the hosted page shows.
type payPageData struct {
	Description, Reference string
	Status                 string // the API's word for it
	View                   orderView
	Done                   bool   // no longer pending
	Back                   string // the way back to the merchant, "" for none
}

// payStatus answers GET /pay/{id}/status for the hosted page's script.
func (s *Server) payStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	p, err := s.db.APIPaymentByID(ctx, r.PathValue("id"))
	if err != nil {
		s.statusError(w, err)
		return
	}
	writeStatus(w, pageStatus{Version: orderVersion(p.Order)})
}

// apiListLimit is a list's page size: limit=1..100, 20 by default.
func apiListLimit(w http.ResponseWriter, q url.Values) (int, bool) {
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "limit", Message: "limit must be a whole number from 1 to 100"})
			return 0, false
		}
		limit = n
	}
	return limit, true
}

// apiList is a page of a list.
type apiList struct {
	Object  string `json:"object"`
	Data    any    `json:"data"`
	HasMore bool   `json:"has_more"`
}

// apiPaymentList answers GET /api/v1/payments: the key's payments,
// newest first, narrowed by reference, status and created_after (unix
// seconds); the next page starts after the last id of this one
// (starting_after).
func (s *Server) apiPaymentList(w http.ResponseWriter, r *http.Request) {
	k := s.apiKey(w, r)
	if k == nil {
		return
	}
	q := r.URL.Query()
	limit, ok := apiListLimit(w, q)
	if !ok {
		return
	}
	f := storage.APIPaymentFilter{Reference: q.Get("reference"), Status: q.Get("status"), StartingAfter: q.Get("starting_after")}
	if f.Status != "" && !storage.ValidAPIStatus(f.Status) {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "status", Message: "status is not one of the payments' statuses"})
		return
	}
	if v := q.Get("created_after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "created_after", Message: "created_after must be unix seconds"})
			return
		}
		f.CreatedAfter = time.Unix(n, 0)
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	ps, more, err := s.db.APIPayments(ctx, k.ID, f, limit)
	if shop.IsCode(err, shop.NotFound) {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "starting_after", Message: "starting_after is not one of this key's payments"})
		return
	}
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	data := make([]shop.APIPaymentView, 0, len(ps))
	for _, p := range ps {
		data = append(data, s.apiPaymentJSON(p))
	}
	writeAPIJSON(w, http.StatusOK, apiList{Object: "list", Data: data, HasMore: more})
}

// apiEventList answers GET /api/v1/events: the key's events, oldest
// first, after the event named by starting_after: what its webhooks
// carried, for a merchant whose endpoint was down to catch up.
func (s *Server) apiEventList(w http.ResponseWriter, r *http.Request) {
	k := s.apiKey(w, r)
	if k == nil {
		return
	}
	q := r.URL.Query()
	limit, ok := apiListLimit(w, q)
	if !ok {
		return
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	evs, more, err := s.db.APIEvents(ctx, k.ID, q.Get("starting_after"), limit)
	if shop.IsCode(err, shop.NotFound) {
		writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "starting_after", Message: "starting_after is not one of this key's events"})
		return
	}
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	data := make([]json.RawMessage, 0, len(evs))
	for _, e := range evs {
		body := e.Body
		if body == "" {
			if body, err = webhook.Body(ctx, s.db, s.baseURL, s.now(), e.RowID, e.ID, e.Type, e.PaymentID, e.CreatedAt); err != nil {
				s.apiFail(w, r, err)
				return
			}
		}
		data = append(data, json.RawMessage(body))
	}
	writeAPIJSON(w, http.StatusOK, apiList{Object: "list", Data: data, HasMore: more})
}

// apiOpBody is the body of a capture, cancel or refund: every member is
// optional (amount 0: all that can be; reason: the API's default).
type apiOpBody struct {
	Amount *int64 `json:"amount"`
	Reason string `json:"reason"`
}

// apiPaymentOp captures (POST /api/v1/payments/{id}/capture), cancels
// (…/cancel) or refunds (…/refunds) a card payment, as the back office
// does, and answers with the payment and the operation: done, refused by
// the bank (409, with what it said), or pending when the bank's answer
// was lost (the shop finds out by asking it; the payment's events
// follow). An Idempotency-Key makes a second request the same operation.
func (s *Server) apiPaymentOp(op shop.Op) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k := s.apiKey(w, r)
		if k == nil {
			return
		}
		var body apiOpBody
		if _, ok := readAPIBody(w, r, &body, true); !ok {
			return
		}
		ctx, cancel := s.timeout(r)
		defer cancel()
		p := s.keyPayment(ctx, w, r, k)
		if p == nil {
			return
		}
		if p.Order.PayType != shop.PayCard {
			writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "method_unsupported",
				Message: "only card payments can be captured, cancelled or refunded through the bank; an ATM payment is refunded by a transfer of the merchant's own"})
			return
		}
		req := payment.OpRequest{OrderNo: p.Order.No, Op: op, Reason: strings.TrimSpace(body.Reason)}
		if req.Reason == "" {
			req.Reason = map[shop.Op]string{shop.OpCapture: "captured through the API", shop.OpCancel: "cancelled through the API", shop.OpRefund: "refunded through the API"}[op]
		}
		if body.Amount != nil {
			if *body.Amount <= 0 || op == shop.OpCancel {
				writeAPIError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: "invalid", Param: "amount", Message: "amount must be a whole number of NT$ above 0 (a cancel takes none)"})
				return
			}
			req.Amount = shop.Money(*body.Amount)
		}
		if idem := r.Header.Get("Idempotency-Key"); idem != "" {
			sum := sha256.Sum256([]byte(strconv.FormatInt(k.ID, 10) + "\x00" + p.ID + "\x00" + string(op) + "\x00" + idem))
			req.Key = hex.EncodeToString(sum[:16])
		} else {
			req.Key = randomHex(16)
		}
		rec, err := s.pay.MaintainForAPI(r.Context(), req, k.Name)
		if c := shop.ErrorCode(err); c == shop.Invalid || c == shop.Conflict {
			status := http.StatusBadRequest
			if c == shop.Conflict {
				status = http.StatusConflict
			}
			writeAPIError(w, status, apiError{Type: "invalid_request_error", Code: opErrorCode(shop.ErrorKey(err)),
				Message: locale.T(locale.EN, shop.ErrorKey(err))})
			return
		}
		if err != nil {
			s.apiFail(w, r, err)
			return
		}
		if p, err = s.db.APIPayment(ctx, k.ID, p.ID); err != nil {
			s.apiFail(w, r, err)
			return
		}
		out := struct {
			shop.APIPaymentView
			Operation apiOperation `json:"operation"`
		}{s.apiPaymentJSON(p), apiOperation{Type: string(rec.Op), Amount: int64(rec.Amount), State: apiOpState(rec.State), BankError: rec.BankError}}
		status := http.StatusOK
		if rec.State == shop.OpRefused {
			status = http.StatusConflict
		}
		writeAPIJSON(w, status, out)
	}
}

// apiOperation is an operation as the API answers it.
type apiOperation struct {
	Type      string `json:"type"`
	Amount    int64  `json:"amount"`
	State     string `json:"state"` // done, refused or pending
	BankError string `json:"bank_error,omitempty"`
}

func apiOpState(s shop.OpState) string {
	switch s {
	case shop.OpDone:
		return "done"
	case shop.OpRefused:
		return "refused"
	}
	return "pending"
}

// apiOpenAPI serves the API's OpenAPI 3.1 document (GET
// /api/v1/openapi.json), to anyone: it holds no secret.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(apidoc.OpenAPI)
}

// opErrorCode is the API's code for an operation's refusal: the last
// word of its translation key (too_much, busy, not_refundable…).
func opErrorCode(key string) string { return key[strings.LastIndex(key, ".")+1:] }
