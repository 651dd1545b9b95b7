package shop

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// APIPayment is a payment another shop made through the JSON API: an
// order of the shop's API account (one line: Description at Amount),
// with what the merchant said of it. Which key made it is KeyID; only
// that key sees it.
type APIPayment struct {
	ID          string // pay_ and 24 hex digits
	KeyID       int64
	OrderID     int64
	Reference   string // the merchant's own order id
	Description string
	ReturnURL   string
	Metadata    map[string]string
	IdemKey     string
	IdemHash    string
	CreatedAt   time.Time

	// Order is the payment's order as it is now.
	Order *Order
}

// NewAPIPaymentID makes a payment's public id: pay_ and 96 random bits.
func NewAPIPaymentID() string { return "pay_" + randomHex(12) }

// Limits of what a merchant sends with a payment.
const (
	MaxAPIReference   = 64
	MaxAPIDescBytes   = 60 // the bank's PrdtName: 60 bytes of UTF-8
	MaxAPIMetadata    = 20
	MaxAPIMetaKey     = 40
	MaxAPIMetaValue   = 500
	MaxAPIReturnURL   = 2000
	MaxIdempotencyKey = 255
)

// APIPaymentRequest is what POST /api/v1/payments asks for, checked by
// Check.
type APIPaymentRequest struct {
	Amount      Money
	Method      string // "atm" or "card"
	Description string
	Reference   string
	ReturnURL   string
	Capture     string // "auto" (default) or "manual" (card only)
	Metadata    map[string]string
	// ExpiresIn is how long the payment may be paid (expires_in, whole
	// seconds); 0: the shop's settings. An ATM account takes transfers
	// to the end of that moment's day in Taiwan; a card page link lives
	// 1 to 30 minutes.
	ExpiresIn time.Duration
}

// The bounds of expires_in.
const (
	MinATMExpiresIn  = time.Hour
	MaxATMExpiresIn  = 60 * 24 * time.Hour
	MinCardExpiresIn = time.Minute
	MaxCardExpiresIn = 30 * time.Minute
)

// FieldError is a request field that is wrong: Param names it as the
// request does, Code says what is wrong in a word, Message in English.
type FieldError struct {
	Param, Code, Message string
}

func (e *FieldError) Error() string { return e.Param + ": " + e.Message }

// PayType is the request's method as the bank's pay type.
func (r *APIPaymentRequest) PayType() PayType {
	if r.Method == "card" {
		return PayCard
	}
	return PayATM
}

// CaptureMode is the request's capture, auto unless it says manual.
func (r *APIPaymentRequest) CaptureMode() CaptureMode {
	if r.Capture == "manual" {
		return CaptureManual
	}
	return CaptureAuto
}

// Check checks the request field by field; the first wrong one is the
// answer. A card payment needs a return_url (where the buyer goes back to
// after the bank's card page); live keys' return URLs must be https.
func (r *APIPaymentRequest) Check(mode APIMode, atmMax Money) *FieldError {
	switch r.Method {
	case "atm", "card":
	case "":
		return &FieldError{"method", "missing", `method is required: "atm" or "card"`}
	default:
		return &FieldError{"method", "invalid", `method must be "atm" or "card"`}
	}
	if r.Amount <= 0 {
		return &FieldError{"amount", "invalid", "amount must be a whole number of NT$ above 0"}
	}
	if r.Amount > 99_999_999 {
		return &FieldError{"amount", "too_large", "amount is above what the bank takes"}
	}
	if err := CheckPayable(r.PayType(), r.Amount, atmMax); err != nil {
		return &FieldError{"amount", "too_large", "amount is above this shop's limit for ATM payments"}
	}
	if strings.TrimSpace(r.Description) == "" {
		return &FieldError{"description", "missing", "description is required: what is paid for, shown to the buyer and sent to the bank"}
	}
	if len(r.Description) > MaxAPIDescBytes || !utf8.ValidString(r.Description) || hasControl(r.Description) || strings.ContainsAny(r.Description, `'"%`) {
		return &FieldError{"description", "invalid", `description must be at most 60 bytes of UTF-8 (20 CJK characters), without control characters, quotes or %`}
	}
	if len(r.Reference) > MaxAPIReference || !utf8.ValidString(r.Reference) || hasControl(r.Reference) {
		return &FieldError{"reference", "invalid", "reference must be at most 64 bytes of text"}
	}
	switch r.Capture {
	case "", "auto":
	case "manual":
		if r.Method != "card" {
			return &FieldError{"capture", "invalid", `capture "manual" is for card payments only`}
		}
	default:
		return &FieldError{"capture", "invalid", `capture must be "auto" or "manual"`}
	}
	if r.ExpiresIn != 0 {
		lo, hi, what := MinATMExpiresIn, MaxATMExpiresIn, "for an ATM payment from 3600 (an hour) to 5184000 (60 days)"
		if r.Method == "card" {
			lo, hi, what = MinCardExpiresIn, MaxCardExpiresIn, "for a card payment from 60 to 1800 (the bank's card page lives 1 to 30 minutes)"
		}
		if r.ExpiresIn < lo || r.ExpiresIn > hi || r.ExpiresIn%time.Second != 0 {
			return &FieldError{"expires_in", "invalid", "expires_in is whole seconds, " + what}
		}
	}
	if r.ReturnURL == "" && r.Method == "card" {
		return &FieldError{"return_url", "missing", "return_url is required for a card payment: the buyer is sent there after paying"}
	}
	if r.ReturnURL != "" {
		u, err := url.Parse(r.ReturnURL)
		if err != nil || len(r.ReturnURL) > MaxAPIReturnURL || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return &FieldError{"return_url", "invalid", "return_url must be an absolute http or https URL without a user or password"}
		}
		if mode == APILive && u.Scheme != "https" {
			return &FieldError{"return_url", "invalid", "a live payment's return_url must be https"}
		}
	}
	if len(r.Metadata) > MaxAPIMetadata {
		return &FieldError{"metadata", "invalid", "metadata holds at most 20 keys"}
	}
	for k, v := range r.Metadata {
		if k == "" || len(k) > MaxAPIMetaKey || len(v) > MaxAPIMetaValue || !utf8.ValidString(k) || !utf8.ValidString(v) || hasControl(k) {
			return &FieldError{"metadata", "invalid", "metadata keys are 1 to 40 bytes and values at most 500 bytes of text"}
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0
}

// APIStatus is a payment's status in the API's words, from its order's.
func APIStatus(o *Order) string {
	switch o.Status {
	case StatusPaid:
		if o.Capture == CaptureManual && o.Captured == 0 {
			return "requires_capture"
		}
		if o.Refunded > 0 {
			return "partially_refunded"
		}
		return "succeeded"
	case StatusFailed:
		return "failed"
	case StatusExpired:
		return "expired"
	case StatusRefunded:
		return "refunded"
	case StatusReview:
		return "review"
	}
	if o.Bank.State == BankRefused {
		return "failed"
	}
	return "pending"
}

// APIPaymentView is a payment as the API shows it, in its answers and in
// the events sent to webhooks.
type APIPaymentView struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Status         string            `json:"status"`
	Method         string            `json:"method"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	AmountRefunded int64             `json:"amount_refunded"`
	Capture        string            `json:"capture"`
	Description    string            `json:"description"`
	Reference      string            `json:"reference"`
	ReturnURL      string            `json:"return_url,omitempty"`
	Metadata       map[string]string `json:"metadata"`
	OrderNo        string            `json:"order_no"`
	HostedURL      string            `json:"hosted_url"`
	Created        int64             `json:"created"`
	ATM            *APIATM           `json:"atm,omitempty"`
	Card           *APICard          `json:"card,omitempty"`
	FailureMessage string            `json:"failure_message,omitempty"`
}

// APIATM is how to pay a pending ATM payment.
type APIATM struct {
	BankCode  string `json:"bank_code"`
	Account   string `json:"account"`
	ExpiresAt string `json:"expires_at"` // the last day to pay, yyyy-mm-dd, Taiwan time
}

// APICard is how to pay a pending card payment.
type APICard struct {
	PayURL string `json:"pay_url"`
}

// ViewAPIPayment is p as the API shows it at now; baseURL is the shop's
// public URL, for the hosted page's address.
func ViewAPIPayment(p *APIPayment, baseURL string, now time.Time) APIPaymentView {
	o := p.Order
	out := APIPaymentView{ID: p.ID, Object: "payment", Status: APIStatus(o), Method: "atm", Amount: int64(o.Amount), Currency: "TWD",
		AmountRefunded: int64(o.Refunded), Capture: string(o.Capture), Description: p.Description, Reference: p.Reference,
		ReturnURL: p.ReturnURL, Metadata: p.Metadata, OrderNo: o.No, Created: p.CreatedAt.Unix(),
		HostedURL: strings.TrimRight(baseURL, "/") + "/pay/" + url.PathEscape(p.ID)}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if o.PayType == PayCard {
		out.Method = "card"
	}
	if o.Bank.State == BankRefused {
		out.FailureMessage = o.Bank.Error
	}
	if o.Status == StatusWaiting || o.Status == StatusFailed {
		switch {
		case o.PayType == PayATM && o.Bank.AtmPayNo != "":
			out.ATM = &APIATM{BankCode: "807", Account: o.Bank.AtmPayNo, ExpiresAt: dashed(o.Bank.ExpireDate)}
		case o.PayType == PayCard && o.Bank.CardPayURL != "" && now.Before(o.Bank.CardExpiresAt):
			out.Card = &APICard{PayURL: o.Bank.CardPayURL}
		}
	}
	return out
}

// dashed writes yyyyMMdd as yyyy-mm-dd; anything else as it is.
func dashed(d string) string {
	if len(d) == 8 {
		return d[:4] + "-" + d[4:6] + "-" + d[6:]
	}
	return d
}
