package funbiz

import (
	"context"
	"fmt"
	"time"
)

// OrderCreateParams creates an order (PROTOCOL §8.1). Amount is whole NT$.
type OrderCreateParams struct {
	OrderNo  string
	Amount   int64
	PayType  PayType
	PrdtName string
	Memo     string
	Param1   string
	Param2   string
	Param3   string
	// ReturnURL receives the buyer's browser after the card page (required
	// for card orders).
	ReturnURL string
	// BackendURL receives the bank's server-to-server notification when
	// the order is paid (NotificationHandler). The bank takes an order
	// without one, and so does this package, but then the bank never
	// notifies: an ATM transfer, which has no browser return, is learned
	// only by asking (OrderQuery, FindOrder). Leave it empty only when you
	// poll on purpose.
	BackendURL string
	// ATM is required for PayTypeATM.
	ATM *ATMParams
	// Card is required for PayTypeCard.
	Card *CardParams
}

// ATMParams are the ATM-only parameters.
type ATMParams struct {
	// ExpireDate is the last day to pay, yyyyMMdd (see FormatDate).
	ExpireDate string
}

// CardParams are the card-only parameters.
type CardParams struct {
	// AutoBilling captures right after authorisation when true; when false
	// the order waits for a capture (OrderMaintain P) or ExpBillingDays.
	AutoBilling bool
	// ExpBillingDays is the number of days to the scheduled capture, 1–21
	// (the bank's sandbox takes 1–7); only with AutoBilling false. 0 omits it.
	ExpBillingDays int
	// ExpMinutes is how long the card page link lives, 1–30; 0 omits it
	// (the bank's default is 10).
	ExpMinutes int
	// PayTypeSub is the card sub-type; "ONE" pays in full. Empty omits it.
	PayTypeSub string
}

// Validate checks every documented limit, naming the field at fault.
func (p *OrderCreateParams) Validate() error {
	if err := checkOrderNo("OrderNo", p.OrderNo); err != nil {
		return err
	}
	switch p.PayType {
	case PayTypeATM:
		if err := checkAmount("Amount", p.Amount, MaxAmount); err != nil {
			return err
		}
		if p.ATM == nil {
			return invalid("ATM", "is required for an ATM order (its ExpireDate)")
		}
		if err := checkDate("ATM.ExpireDate", p.ATM.ExpireDate, true); err != nil {
			return err
		}
		if p.Card != nil {
			return invalid("Card", "must be nil for an ATM order")
		}
	case PayTypeCard:
		if err := checkAmount("Amount", p.Amount, MaxAmount); err != nil {
			return err
		}
		if p.Card == nil {
			return invalid("Card", "is required for a card order")
		}
		if p.ATM != nil {
			return invalid("ATM", "must be nil for a card order")
		}
		c := p.Card
		if c.ExpMinutes != 0 && (c.ExpMinutes < 1 || c.ExpMinutes > 30) {
			return invalid("Card.ExpMinutes", "must be 1 to 30, got %d", c.ExpMinutes)
		}
		if c.ExpBillingDays != 0 {
			if c.AutoBilling {
				return invalid("Card.ExpBillingDays", "is only for AutoBilling false (the bank refuses it otherwise)")
			}
			if c.ExpBillingDays < 1 || c.ExpBillingDays > 21 {
				return invalid("Card.ExpBillingDays", "must be 1 to 21, got %d", c.ExpBillingDays)
			}
		}
		if err := checkText("Card.PayTypeSub", c.PayTypeSub, 10, false); err != nil {
			return err
		}
		if err := checkURL("ReturnURL", p.ReturnURL, true); err != nil {
			return err
		}
	case "":
		return invalid("PayType", "is required (A for ATM, C for card)")
	default:
		return invalid("PayType", "must be A (ATM) or C (card), got %q", p.PayType)
	}
	if err := checkText("PrdtName", p.PrdtName, MaxPrdtName, true); err != nil {
		return err
	}
	if err := checkText("Memo", p.Memo, MaxMemo, false); err != nil {
		return err
	}
	for i, v := range [...]string{p.Param1, p.Param2, p.Param3} {
		if err := checkText(paramNames[i], v, MaxParam, false); err != nil {
			return err
		}
	}
	if err := checkURL("ReturnURL", p.ReturnURL, false); err != nil {
		return err
	}
	return checkURL("BackendURL", p.BackendURL, false)
}

var paramNames = [...]string{"Param1", "Param2", "Param3"}

// orderCreateMsg is the wire message, fields in the order of the bank's
// own example. Both parameter objects are always sent, the unused one as
// {}, as the bank's manual examples do.
type orderCreateMsg struct {
	ShopNo     string       `json:"ShopNo"`
	OrderNo    string       `json:"OrderNo"`
	Amount     int64        `json:"Amount"`
	CurrencyID string       `json:"CurrencyID"`
	PayType    PayType      `json:"PayType"`
	ATMParam   atmParamMsg  `json:"ATMParam"`
	CardParam  cardParamMsg `json:"CardParam"`
	PrdtName   string       `json:"PrdtName"`
	Memo       string       `json:"Memo,omitempty"`
	Param1     string       `json:"Param1,omitempty"`
	Param2     string       `json:"Param2,omitempty"`
	Param3     string       `json:"Param3,omitempty"`
	ReturnURL  string       `json:"ReturnURL,omitempty"`
	BackendURL string       `json:"BackendURL,omitempty"`
}

type atmParamMsg struct {
	ExpireDate string `json:"ExpireDate,omitempty"`
}

type cardParamMsg struct {
	AutoBilling    string `json:"AutoBilling,omitempty"`
	ExpBillingDays int    `json:"ExpBillingDays,omitempty"`
	ExpMinutes     int    `json:"ExpMinutes,omitempty"`
	PayTypeSub     string `json:"PayTypeSub,omitempty"`
}

func (m *orderCreateMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendStr(b, o, "OrderNo", m.OrderNo)
	b = appendInt(b, o, "Amount", m.Amount)
	b = appendStr(b, o, "CurrencyID", m.CurrencyID)
	b = appendStr(b, o, "PayType", string(m.PayType))
	b = m.ATMParam.appendJSON(appendName(b, o, "ATMParam"))
	b = m.CardParam.appendJSON(appendName(b, o, "CardParam"))
	b = appendStr(b, o, "PrdtName", m.PrdtName)
	b = appendOptStr(b, o, "Memo", m.Memo)
	b = appendOptStr(b, o, "Param1", m.Param1)
	b = appendOptStr(b, o, "Param2", m.Param2)
	b = appendOptStr(b, o, "Param3", m.Param3)
	b = appendOptStr(b, o, "ReturnURL", m.ReturnURL)
	b = appendOptStr(b, o, "BackendURL", m.BackendURL)
	return append(b, '}')
}

func (m *atmParamMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendOptStr(b, len(b), "ExpireDate", m.ExpireDate)
	return append(b, '}')
}

func (m *cardParamMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendOptStr(b, o, "AutoBilling", m.AutoBilling)
	b = appendOptInt(b, o, "ExpBillingDays", int64(m.ExpBillingDays))
	b = appendOptInt(b, o, "ExpMinutes", int64(m.ExpMinutes))
	b = appendOptStr(b, o, "PayTypeSub", m.PayTypeSub)
	return append(b, '}')
}

// OrderCreateMessage returns the plain wire message for p under shopNo,
// after validation. Clients do not need it; tools and tests do.
func OrderCreateMessage(shopNo string, p *OrderCreateParams) (any, error) {
	m, err := orderCreateMessage(shopNo, p)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func orderCreateMessage(shopNo string, p *OrderCreateParams) (*orderCreateMsg, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m := &orderCreateMsg{
		ShopNo: shopNo, OrderNo: p.OrderNo, Amount: p.Amount * 100, CurrencyID: "TWD", PayType: p.PayType,
		PrdtName: p.PrdtName, Memo: p.Memo, Param1: p.Param1, Param2: p.Param2, Param3: p.Param3,
		ReturnURL: p.ReturnURL, BackendURL: p.BackendURL,
	}
	if p.ATM != nil {
		m.ATMParam.ExpireDate = p.ATM.ExpireDate
	}
	if c := p.Card; c != nil {
		m.CardParam = cardParamMsg{AutoBilling: yn(c.AutoBilling), ExpBillingDays: c.ExpBillingDays, ExpMinutes: c.ExpMinutes, PayTypeSub: c.PayTypeSub}
	}
	return m, nil
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// OrderCreateResult is the bank's answer to OrderCreate. Amount is whole NT$.
type OrderCreateResult struct {
	OrderNo     string
	ShopNo      string
	TSNo        string
	PayType     PayType
	Amount      int64
	Status      Status
	Description string
	Param1      string `json:",omitempty"`
	Param2      string `json:",omitempty"`
	Param3      string `json:",omitempty"`
	// ATM is set for ATM orders: the virtual account and its pages.
	ATM *ATMAccount `json:",omitempty"`
	// Card is set for card orders: the card page to send the buyer to.
	Card *CardPage `json:",omitempty"`
}

// ATMBankCode is the bank code (銀行代碼) a buyer enters with an ATM
// order's AtmPayNo: Bank SinoPac (永豐銀行), 807.
const ATMBankCode = "807"

// ATMAccount is the virtual account of an ATM order: the buyer transfers
// the order's exact Amount to AtmPayNo at bank ATMBankCode by the end of
// ExpireDate, Taiwan time (see Deadline).
type ATMAccount struct {
	AtmPayNo  string
	WebAtmURL string `json:",omitempty"`
	OtpURL    string `json:",omitempty"`
	// ExpireDate is the last day to pay, yyyyMMdd, as the order was created
	// with: the bank's answer is not known to repeat it, so OrderCreate
	// fills it from the request.
	ExpireDate string `json:",omitempty"`
}

// Deadline is the last instant a transfer is taken: the end of ExpireDate
// in Taiwan time (EndOfDay). It is the zero time when ExpireDate is not a
// date.
func (a *ATMAccount) Deadline() time.Time {
	t, _ := EndOfDay(a.ExpireDate)
	return t
}

func (a *ATMAccount) decodeMember(d *decoder, m member) {
	switch {
	case m.is("AtmPayNo"):
		a.AtmPayNo = d.str(m)
	case m.is("WebAtmURL"):
		a.WebAtmURL = d.str(m)
	case m.is("OtpURL"):
		a.OtpURL = d.str(m)
	case m.is("ExpireDate"):
		a.ExpireDate = d.str(m)
	}
}

// CardPage is where a card order is paid.
type CardPage struct {
	CardPayURL string
}

func (c *CardPage) decodeMember(d *decoder, m member) {
	if m.is("CardPayURL") {
		c.CardPayURL = d.str(m)
	}
}

type orderCreateResp struct {
	OrderNo, ShopNo, TSNo string
	PayType               PayType
	Amount                cents
	Status                Status
	Description           string
	Param1, Param2        string
	Param3                string
	ATMParam              *ATMAccount
	CardParam             *CardPage
}

func (r *orderCreateResp) status() (Status, string) { return r.Status, r.Description }

func (r *orderCreateResp) decodeMember(d *decoder, m member) {
	switch {
	case m.is("OrderNo"):
		r.OrderNo = d.str(m)
	case m.is("ShopNo"):
		r.ShopNo = d.str(m)
	case m.is("TSNo"):
		r.TSNo = d.str(m)
	case m.is("PayType"):
		r.PayType = PayType(d.str(m))
	case m.is("Amount"):
		r.Amount = d.amount(m)
	case m.is("Status"):
		r.Status = Status(d.str(m))
	case m.is("Description"):
		r.Description = d.str(m)
	case m.is("Param1"):
		r.Param1 = d.str(m)
	case m.is("Param2"):
		r.Param2 = d.str(m)
	case m.is("Param3"):
		r.Param3 = d.str(m)
	case m.is("ATMParam"):
		r.ATMParam = nil
		if a := new(ATMAccount); d.object(m, a) {
			r.ATMParam = a
		}
	case m.is("CardParam"):
		r.CardParam = nil
		if c := new(CardPage); d.object(m, c) {
			r.CardParam = c
		}
	}
}

// OrderCreate creates an order. It is sent exactly once: if it fails with
// ErrTransport (a timeout, say), the bank may or may not have created the
// order, and the caller must ask with FindOrder by OrderNo before trying
// again; see the example. ErrDuplicateOrder says the bank already has the
// OrderNo. Parameters are validated before any network call; an order
// without a BackendURL is valid but never notified (see
// OrderCreateParams.BackendURL).
func (c *Client) OrderCreate(ctx context.Context, p *OrderCreateParams) (*OrderCreateResult, error) {
	msg, err := orderCreateMessage(c.shopNo, p)
	if err != nil {
		setService(err, ServiceOrderCreate)
		return nil, err
	}
	var w orderCreateResp
	if err := c.call(ctx, ServiceOrderCreate, mutating, msg, &w); err != nil {
		return nil, err
	}
	return w.result(p)
}

// result checks the answer against the order asked for and converts it.
func (w *orderCreateResp) result(p *OrderCreateParams) (*OrderCreateResult, error) {
	amt, err := w.Amount.ntd("Amount")
	if err != nil {
		return nil, malformed(ServiceOrderCreate, err)
	}
	r := &OrderCreateResult{
		OrderNo: w.OrderNo, ShopNo: w.ShopNo, TSNo: w.TSNo, PayType: w.PayType, Amount: amt,
		Status: w.Status, Description: w.Description, Param1: w.Param1, Param2: w.Param2, Param3: w.Param3,
	}
	if w.ATMParam != nil && w.ATMParam.AtmPayNo != "" {
		r.ATM = w.ATMParam
		if p.ATM != nil {
			r.ATM.ExpireDate = p.ATM.ExpireDate
		}
	}
	if w.CardParam != nil && w.CardParam.CardPayURL != "" {
		r.Card = w.CardParam
	}
	if r.OrderNo != p.OrderNo || r.Amount != p.Amount {
		return r, &Error{Service: ServiceOrderCreate, Msg: fmt.Sprintf("bank answered for order %q NT$%d, asked %q NT$%d", r.OrderNo, r.Amount, p.OrderNo, p.Amount), Err: ErrMismatch}
	}
	return r, nil
}
