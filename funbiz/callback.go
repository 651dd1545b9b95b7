package funbiz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// The bank's two callbacks are neither signed nor encrypted (PROTOCOL §9):
// anyone can post them. A Notification is therefore only a hint; the truth
// is what OrderPayQuery answers for its PayToken (see Confirm).

// MaxCallbackBody is the largest callback body read: the bank's are under
// 200 bytes.
const MaxCallbackBody = 64 << 10

// Notification is what a callback carries: a shop and a PayToken.
type Notification struct {
	ShopNo   string
	PayToken string
}

// ParseNotification reads a BackendURL notification: a POST whose body is
// the JSON object {"ShopNo":…,"PayToken":…}. It reads at most
// MaxCallbackBody bytes and checks the form of both fields. A body that
// names a member twice in one object, in any mix of upper and lower case,
// is refused rather than read as "the last one wins": the bank's .NET
// matches names without regard to case, so two readers of such a body
// could take different PayTokens or shops from it. Errors wrap ErrInvalid
// and say what was wrong; answer them with HTTP 400.
func ParseNotification(r *http.Request) (Notification, error) {
	if r.Method != http.MethodPost {
		return Notification{}, invalid("method", "notification must be a POST, got %s", r.Method)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBody+1))
	if err != nil {
		return Notification{}, &Error{Field: "body", Msg: "cannot read: " + err.Error(), Err: ErrInvalid}
	}
	if len(body) > MaxCallbackBody {
		return Notification{}, invalid("body", "is larger than %d bytes", MaxCallbackBody)
	}
	return ParseNotificationBody(body)
}

// ParseNotificationBody is ParseNotification for a body already read.
func ParseNotificationBody(body []byte) (Notification, error) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), utf8BOM)
	if len(body) == 0 {
		return Notification{}, invalid("body", "is empty; want JSON {\"ShopNo\":…,\"PayToken\":…}")
	}
	if len(body) > MaxCallbackBody {
		return Notification{}, invalid("body", "is larger than %d bytes", MaxCallbackBody)
	}
	if n, ok := plainNotification(body); ok {
		return n, n.check()
	}
	return parseNotificationJSON(body)
}

// parseNotificationJSON reads any notification body: JSON of any shape,
// with escapes, other members and nested values.
func parseNotificationJSON(body []byte) (Notification, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Notification{}, invalid("body", "is not a JSON object: %v", err)
	}
	if first, again, ok := repeatedName(body); ok {
		return Notification{}, invalid("body", "names member %q twice (as %q; names are matched without regard to case)", first, again)
	}
	var n Notification
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"ShopNo", &n.ShopNo}, {"PayToken", &n.PayToken}} {
		name, dst := f.name, f.dst
		v, ok := raw[name]
		if !ok {
			return Notification{}, invalid(name, "is missing")
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return Notification{}, invalid(name, "must be a string")
		}
	}
	return n, n.check()
}

// plainNotification reads the body every bank notification has, at a
// small fraction of the general reading's cost (which checks every
// object's names twice over, with encoding/json): one object with the
// members ShopNo and PayToken, once each, in either order, whose values
// are strings of printable ASCII without escapes, and nothing else. For
// any other body ok is false, and parseNotificationJSON reads it; for
// these, both read the same (FuzzPlainNotification).
func plainNotification(body []byte) (n Notification, ok bool) {
	i := 0
	space := func() {
		for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
			i++
		}
	}
	char := func(c byte) bool {
		space()
		if i < len(body) && body[i] == c {
			i++
			return true
		}
		return false
	}
	str := func() (string, bool) {
		if !char('"') {
			return "", false
		}
		for start := i; i < len(body); i++ {
			switch c := body[i]; {
			case c == '"':
				i++
				return string(body[start : i-1]), true
			case c < 0x20 || c == '\\' || c >= 0x80:
				return "", false
			}
		}
		return "", false
	}
	if !char('{') {
		return Notification{}, false
	}
	var shop, token bool
	for k := range 2 {
		if k == 1 && !char(',') {
			return Notification{}, false
		}
		name, ok := str()
		if !ok || !char(':') {
			return Notification{}, false
		}
		v, ok := str()
		switch {
		case !ok:
			return Notification{}, false
		case name == "ShopNo" && !shop:
			n.ShopNo, shop = v, true
		case name == "PayToken" && !token:
			n.PayToken, token = v, true
		default:
			return Notification{}, false
		}
	}
	if !char('}') {
		return Notification{}, false
	}
	space()
	return n, i == len(body)
}

// repeatedName finds a member name that comes twice in one object of
// body, which must be valid JSON, comparing names as .NET's
// OrdinalIgnoreCase does (each character upper-cased): the first
// spelling, the second, and true; or false when every object's names are
// distinct.
func repeatedName(body []byte) (first, again string, ok bool) {
	// names of each open object, nil for an array; the member's name is
	// next when expectName is set at the top.
	type level struct {
		names      map[string]string
		expectName bool
	}
	var stack []level
	d := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", "", false // io.EOF: the caller has checked the syntax
		}
		top := len(stack) - 1
		if delim, isDelim := tok.(json.Delim); isDelim {
			switch delim {
			case '{', '[':
				if top >= 0 && stack[top].names != nil {
					stack[top].expectName = true // after this value
				}
				var l level
				if delim == '{' {
					l = level{names: map[string]string{}, expectName: true}
				}
				stack = append(stack, l)
			default:
				stack = stack[:top]
			}
			continue
		}
		if top < 0 || stack[top].names == nil {
			continue
		}
		if !stack[top].expectName {
			stack[top].expectName = true
			continue
		}
		name := tok.(string)
		key := strings.ToUpper(name)
		if prev, seen := stack[top].names[key]; seen {
			return prev, name, true
		}
		stack[top].names[key] = name
		stack[top].expectName = false
	}
}

// ParseReturn reads a ReturnURL post: the browser's HTML form POST with
// fields ShopNo and PayToken, sent after the card page whatever the
// outcome. The fields may also come in the query string (one bank page
// variant has been seen doing so). Other fields are ignored.
func ParseReturn(r *http.Request) (Notification, error) {
	if r.Method != http.MethodPost {
		return Notification{}, invalid("method", "return must be a POST, got %s", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
			return Notification{}, invalid("Content-Type", "must be a form post, got %q", ct)
		}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, MaxCallbackBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Notification{}, invalid("body", "is larger than %d bytes", MaxCallbackBody)
		}
		return Notification{}, invalid("body", "is not a form: %v", err)
	}
	// ParseForm leaves multipart bodies alone; a browser may send one.
	if err := r.ParseMultipartForm(MaxCallbackBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Notification{}, invalid("body", "is larger than %d bytes", MaxCallbackBody)
		}
		return Notification{}, invalid("body", "is not a form: %v", err)
	}
	n := Notification{ShopNo: r.Form.Get("ShopNo"), PayToken: r.Form.Get("PayToken")}
	return n, n.check()
}

func (n Notification) check() error {
	if err := checkShopNo(n.ShopNo); err != nil {
		return err
	}
	return CheckPayToken(n.PayToken)
}

// Ack is the acknowledgement body the bank expects from a BackendURL.
var Ack = []byte(`{"Status":"S"}`)

// WriteAck answers a notification with HTTP 200 and {"Status":"S"}. Call
// it only after the PayToken is durably recorded: the bank stops resending
// once it sees this answer.
func WriteAck(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(Ack)
}

// NotificationHandler returns a BackendURL handler: it parses the
// notification (400 on bad input), checks that it is for shopNo (400
// otherwise), calls record, and acknowledges only when record returned nil.
// When record fails the handler answers 503, so the bank sends again.
// record should store the PayToken durably and return; confirm the payment
// afterwards, outside the request (see Client.ConfirmToken).
func NotificationHandler(shopNo string, record func(ctx context.Context, n Notification) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := ParseNotification(r)
		if err == nil && n.ShopNo != shopNo {
			err = invalid("ShopNo", "notification is for shop %q, not ours", n.ShopNo)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := record(r.Context(), n); err != nil {
			http.Error(w, "could not record the notification; please send it again", http.StatusServiceUnavailable)
			return
		}
		WriteAck(w)
	})
}

// Outcome is what a confirmed PayToken means for an order.
type Outcome int

const (
	// OutcomePaid: the bank confirms a successful payment of the expected
	// order and amount.
	OutcomePaid Outcome = iota + 1
	// OutcomeFailed: the bank confirms that the payment failed.
	OutcomeFailed
	// OutcomeMismatch: the bank's answer is about another shop or order, or
	// another amount. Never book it; have a person look.
	OutcomeMismatch
)

func (o Outcome) String() string {
	switch o {
	case OutcomePaid:
		return "paid"
	case OutcomeFailed:
		return "failed"
	case OutcomeMismatch:
		return "mismatch"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Expected is what the caller knows of the order a PayToken should pay.
type Expected struct {
	OrderNo string
	// Amount is whole NT$.
	Amount int64
}

// Confirmation is the verdict on a PayToken.
type Confirmation struct {
	Outcome Outcome
	// OrderNo is the order the bank names (Result.Payment.OrderNo): apply
	// the verdict to it, never to an order named by the callback's URL.
	OrderNo string
	// Reason says why for OutcomeFailed and OutcomeMismatch.
	Reason string
	// Result is the bank's signed answer.
	Result *PayResult
}

// Confirm resolves a PayToken with OrderPayQuery (Sign verified) and checks
// the answer against the client's ShopNo and the expected OrderNo and
// Amount. It suits a caller that already knows which order the token
// should pay; one that holds only the token (a notification, a card
// return) uses ConfirmToken, which looks up the order the bank names.
// Errors are ConfirmToken's: ErrUnknownToken is final, Temporary(err)
// says whether asking again later may help.
func (c *Client) Confirm(ctx context.Context, payToken string, want Expected) (*Confirmation, error) {
	r, err := c.OrderPayQuery(ctx, payToken)
	if err != nil {
		return nil, err
	}
	if r.PayToken != "" && r.PayToken != payToken {
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: fmt.Sprintf("answer is for another PayToken %q", r.PayToken), Err: ErrMismatch}
	}
	return Judge(c.shopNo, r, want), nil
}

// Judge checks a PayResult against the shop and the expected order; it is
// the pure part of Confirm.
func Judge(shopNo string, r *PayResult, want Expected) *Confirmation {
	p := &r.Payment
	var why []string
	if r.ShopNo != shopNo {
		why = append(why, fmt.Sprintf("answer's ShopNo %q is not ours (%q)", r.ShopNo, shopNo))
	}
	if p.ShopNo != "" && p.ShopNo != shopNo {
		why = append(why, fmt.Sprintf("payment's ShopNo %q is not ours (%q)", p.ShopNo, shopNo))
	}
	if p.OrderNo != want.OrderNo {
		why = append(why, fmt.Sprintf("OrderNo %q, expected %q", p.OrderNo, want.OrderNo))
	}
	if p.Amount != want.Amount {
		why = append(why, fmt.Sprintf("Amount NT$%d, expected NT$%d", p.Amount, want.Amount))
	}
	if len(why) > 0 {
		return &Confirmation{Outcome: OutcomeMismatch, OrderNo: p.OrderNo, Reason: strings.Join(why, "; "), Result: r}
	}
	if !p.Succeeded() {
		reason := "payment Status " + string(p.Status)
		if p.Description != "" {
			reason += ": " + p.Description
		}
		return &Confirmation{Outcome: OutcomeFailed, OrderNo: p.OrderNo, Reason: reason, Result: r}
	}
	return &Confirmation{Outcome: OutcomePaid, OrderNo: p.OrderNo, Result: r}
}
