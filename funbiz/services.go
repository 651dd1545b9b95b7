package funbiz

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
)

// APIService names.
const (
	ServiceOrderCreate          = "OrderCreate"
	ServiceOrderQuery           = "OrderQuery"
	ServiceOrderPayQuery        = "OrderPayQuery"
	ServiceOrderMaintain        = "OrderMaintain"
	ServiceOrderUnCapturedQuery = "OrderUnCapturedQuery"
	ServiceBillQuery            = "BillQuery"
	ServiceAllotQuery           = "AllotQuery"
)

// PayType is how an order is paid.
type PayType string

const (
	PayTypeATM  PayType = "A" // ATM virtual account (虛擬帳號)
	PayTypeCard PayType = "C" // credit card (信用卡)
)

// Command is an OrderMaintain action on a card order.
type Command string

const (
	CommandCapture Command = "P" // capture an authorisation (請款)
	CommandCancel  Command = "C" // cancel an authorisation (取消授權)
	CommandRefund  Command = "R" // refund (退款)
)

// PayStatus is the state of an order in OrderQuery: "1", the PayType
// letter, and three digits (PROTOCOL §8.8).
type PayStatus string

const (
	PayStatusATMWaiting   PayStatus = "1A200" // awaiting the transfer
	PayStatusATMPaid      PayStatus = "1A400" // paid
	PayStatusATMSettled   PayStatus = "1A900" // paid and settled (撥款)
	PayStatusCardWaiting  PayStatus = "1C200" // awaiting payment on the card page
	PayStatusCardExpired  PayStatus = "1C250" // card page expired unpaid
	PayStatusCardAuthed   PayStatus = "1C300" // authorised, not captured
	PayStatusCardVoid     PayStatus = "1C350" // authorisation void
	PayStatusCardCanceled PayStatus = "1C351" // authorisation cancelled
	PayStatusCardCaptured PayStatus = "1C400" // captured (paid)
	PayStatusCardSettled  PayStatus = "1C900" // captured and settled
)

// Paid reports whether the bank holds the money for this order: an ATM
// transfer or a card authorisation or capture, settled or not.
func (s PayStatus) Paid() bool {
	switch s {
	case PayStatusATMPaid, PayStatusATMSettled, PayStatusCardAuthed, PayStatusCardCaptured, PayStatusCardSettled:
		return true
	}
	return len(s) == 5 && s[0] == '1' && (s[2:] == "400" || s[2:] == "900")
}

// cents is an amount on the wire: NT$ × 100, sent by the bank as a JSON
// number or, in TSResultContent, as a string.
type cents int64

func (c *cents) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		*c = 0
		return nil
	}
	// A decimal with a zero fraction ("100.00") is accepted.
	if i := bytes.IndexByte(b, '.'); i >= 0 && len(bytes.Trim(b[i+1:], "0")) == 0 {
		b = b[:i]
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("amount %q is not a whole number of cents", b)
	}
	*c = cents(n)
	return nil
}

// ntd converts a wire amount to whole NT$. TWD has no cents in practice;
// a fraction is reported, not rounded away.
func (c cents) ntd(field string) (int64, error) {
	if c%100 != 0 {
		return 0, fmt.Errorf("%s %d is not a whole NT$ amount (the wire unit is NT$0.01)", field, int64(c))
	}
	return int64(c) / 100, nil
}

// ---- OrderCreate ----

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
	// BackendURL receives the bank's server-to-server notification.
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
		if err := checkAmount("Amount", p.Amount, MaxATMAmount); err != nil {
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

// OrderCreateMessage returns the plain wire message for p under shopNo,
// after validation. Clients do not need it; tools and tests do.
func OrderCreateMessage(shopNo string, p *OrderCreateParams) (any, error) {
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
	Status      string
	Description string
	Param1      string `json:",omitempty"`
	Param2      string `json:",omitempty"`
	Param3      string `json:",omitempty"`
	// ATM is set for ATM orders: the virtual account and its pages.
	ATM *ATMAccount `json:",omitempty"`
	// Card is set for card orders: the card page to send the buyer to.
	Card *CardPage `json:",omitempty"`
}

// ATMAccount is the virtual account of an ATM order.
type ATMAccount struct {
	AtmPayNo  string
	WebAtmURL string `json:",omitempty"`
	OtpURL    string `json:",omitempty"`
}

// CardPage is where a card order is paid.
type CardPage struct {
	CardPayURL string
}

type orderCreateResp struct {
	OrderNo, ShopNo, TSNo string
	PayType               PayType
	Amount                cents
	Status, Description   string
	Param1, Param2        string
	Param3                string
	ATMParam              *ATMAccount
	CardParam             *CardPage
}

func (r *orderCreateResp) status() (string, string) { return r.Status, r.Description }

// OrderCreate creates an order. It is sent exactly once: if it fails with
// ErrTransport (a timeout, say), the bank may or may not have created the
// order, and the caller must ask with OrderQuery by OrderNo before trying
// again; see the example. Parameters are validated before any network call.
func (c *Client) OrderCreate(ctx context.Context, p *OrderCreateParams) (*OrderCreateResult, error) {
	msg, err := OrderCreateMessage(c.shopNo, p)
	if err != nil {
		setService(err, ServiceOrderCreate)
		return nil, err
	}
	var w orderCreateResp
	if err := c.call(ctx, ServiceOrderCreate, mutating, msg, &w); err != nil {
		return nil, err
	}
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
	}
	if w.CardParam != nil && w.CardParam.CardPayURL != "" {
		r.Card = w.CardParam
	}
	if r.OrderNo != p.OrderNo || r.Amount != p.Amount {
		return r, &Error{Service: ServiceOrderCreate, Msg: fmt.Sprintf("bank answered for order %q NT$%d, asked %q NT$%d", r.OrderNo, r.Amount, p.OrderNo, p.Amount), Err: ErrMismatch}
	}
	return r, nil
}

func setService(err error, service string) {
	if e, ok := err.(*Error); ok && e.Service == "" {
		e.Service = service
	}
}

func malformed(service string, err error) error {
	return &Error{Service: service, Msg: "answer does not have the expected shape", Err: joinSentinel(ErrMalformedResponse, err)}
}

// ---- OrderQuery ----

// OrderQueryParams filters OrderQuery. At least one filter is required
// (the bank answers at most 300 orders). Times are yyyyMMddHHmm in Taiwan
// time (see FormatDateTime).
type OrderQueryParams struct {
	OrderNo        string
	PayType        PayType
	OrderDateTimeS string
	OrderDateTimeE string
	PayDateTimeS   string
	PayDateTimeE   string
	// PayFlag is "Y" (paid / captured) or "N" (not).
	PayFlag string
}

// MaxOrderQueryRows is the most orders one OrderQuery answers.
const MaxOrderQueryRows = 300

// Validate checks the filters.
func (p *OrderQueryParams) Validate() error {
	if p.OrderNo != "" {
		if err := checkOrderNo("OrderNo", p.OrderNo); err != nil {
			return err
		}
	}
	if p.PayType != "" && p.PayType != PayTypeATM && p.PayType != PayTypeCard {
		return invalid("PayType", "must be A, C or empty, got %q", p.PayType)
	}
	for _, f := range []struct{ name, v string }{
		{"OrderDateTimeS", p.OrderDateTimeS}, {"OrderDateTimeE", p.OrderDateTimeE},
		{"PayDateTimeS", p.PayDateTimeS}, {"PayDateTimeE", p.PayDateTimeE},
	} {
		if err := checkDateTime(f.name, f.v); err != nil {
			return err
		}
	}
	if (p.OrderDateTimeS == "") != (p.OrderDateTimeE == "") {
		return invalid("OrderDateTimeS", "and OrderDateTimeE go together")
	}
	if (p.PayDateTimeS == "") != (p.PayDateTimeE == "") {
		return invalid("PayDateTimeS", "and PayDateTimeE go together")
	}
	if p.OrderDateTimeS > p.OrderDateTimeE {
		return invalid("OrderDateTimeS", "is after OrderDateTimeE")
	}
	if p.PayDateTimeS > p.PayDateTimeE {
		return invalid("PayDateTimeS", "is after PayDateTimeE")
	}
	if p.PayFlag != "" && p.PayFlag != "Y" && p.PayFlag != "N" {
		return invalid("PayFlag", "must be Y, N or empty, got %q", p.PayFlag)
	}
	if p.OrderNo == "" && p.PayType == "" && p.OrderDateTimeS == "" && p.PayDateTimeS == "" && p.PayFlag == "" {
		return invalid("OrderQueryParams", "need at least one filter")
	}
	return nil
}

type orderQueryMsg struct {
	ShopNo         string  `json:"ShopNo"`
	OrderNo        string  `json:"OrderNo,omitempty"`
	PayType        PayType `json:"PayType,omitempty"`
	OrderDateTimeS string  `json:"OrderDateTimeS,omitempty"`
	OrderDateTimeE string  `json:"OrderDateTimeE,omitempty"`
	PayDateTimeS   string  `json:"PayDateTimeS,omitempty"`
	PayDateTimeE   string  `json:"PayDateTimeE,omitempty"`
	PayFlag        string  `json:"PayFlag,omitempty"`
}

// OrderQueryResult is the answer to OrderQuery.
type OrderQueryResult struct {
	ShopNo      string
	Date        string
	Status      string
	Description string
	Orders      []OrderInfo
}

// OrderInfo is one order as the bank sees it. Amounts are whole NT$.
type OrderInfo struct {
	OrderNo      string
	TSNo         string
	TSDate       string
	ApprovedDate string `json:",omitempty"`
	PayDate      string `json:",omitempty"`
	Amount       int64
	PayType      PayType
	PayStatus    PayStatus
	ExpireDate   string      `json:",omitempty"`
	RefundFlag   string      `json:",omitempty"`
	RefundAmount int64       `json:",omitempty"`
	RefundDate   string      `json:",omitempty"`
	PrdtName     string      `json:",omitempty"`
	Memo         string      `json:",omitempty"`
	Param1       string      `json:",omitempty"`
	Param2       string      `json:",omitempty"`
	Param3       string      `json:",omitempty"`
	ATM          *ATMDetail  `json:",omitempty"`
	Card         *CardDetail `json:",omitempty"`
}

// ATMDetail is the ATM part of an OrderQuery row.
type ATMDetail struct {
	AtmPayNo  string
	WebAtmURL string `json:",omitempty"`
	OtpURL    string `json:",omitempty"`
	// BankNo and AcctNo identify the payer's bank and the last 5 digits of
	// the payer's account, once paid.
	BankNo string `json:",omitempty"`
	AcctNo string `json:",omitempty"`
}

// CardDetail is the card part of an OrderQuery row. Card numbers are only
// ever masked: the first 6 and last 4 digits.
type CardDetail struct {
	CardPayURL string `json:",omitempty"`
	LeftCCNo   string `json:",omitempty"`
	RightCCNo  string `json:",omitempty"`
	AuthCode   string `json:",omitempty"`
	CCExpDate  string `json:",omitempty"`
	CCToken    string `json:",omitempty"`
}

type orderInfoWire struct {
	OrderNo, TSNo, TSDate, ApprovedDate, PayDate string
	Amount                                       cents
	PayType                                      PayType
	PayStatus                                    PayStatus
	ExpireDate, RefundFlag                       string
	RefundAmount                                 cents
	RefundDate, PrdtName, Memo                   string
	Param1, Param2, Param3                       string
	AuthCode                                     string
	ATMParam                                     *ATMDetail
	CardParam                                    *CardDetail
}

func (w *orderInfoWire) info() (OrderInfo, error) {
	amt, err := w.Amount.ntd("Amount")
	if err != nil {
		return OrderInfo{}, err
	}
	ref, err := w.RefundAmount.ntd("RefundAmount")
	if err != nil {
		return OrderInfo{}, err
	}
	o := OrderInfo{
		OrderNo: w.OrderNo, TSNo: w.TSNo, TSDate: w.TSDate, ApprovedDate: w.ApprovedDate, PayDate: w.PayDate,
		Amount: amt, PayType: w.PayType, PayStatus: w.PayStatus, ExpireDate: w.ExpireDate,
		RefundFlag: w.RefundFlag, RefundAmount: ref, RefundDate: w.RefundDate, PrdtName: w.PrdtName, Memo: w.Memo,
		Param1: w.Param1, Param2: w.Param2, Param3: w.Param3, ATM: w.ATMParam, Card: w.CardParam,
	}
	// One implementation reads AuthCode on the row itself.
	if w.AuthCode != "" {
		if o.Card == nil {
			o.Card = &CardDetail{}
		}
		if o.Card.AuthCode == "" {
			o.Card.AuthCode = w.AuthCode
		}
	}
	return o, nil
}

type orderQueryResp struct {
	ShopNo, Date, Status, Description string
	OrderList                         []orderInfoWire
}

func (r *orderQueryResp) status() (string, string) { return r.Status, r.Description }

// OrderQuery lists orders matching the filters, at most 300. It is
// read-only and retried on transport failures.
func (c *Client) OrderQuery(ctx context.Context, p *OrderQueryParams) (*OrderQueryResult, error) {
	if err := p.Validate(); err != nil {
		setService(err, ServiceOrderQuery)
		return nil, err
	}
	msg := &orderQueryMsg{ShopNo: c.shopNo, OrderNo: p.OrderNo, PayType: p.PayType, OrderDateTimeS: p.OrderDateTimeS,
		OrderDateTimeE: p.OrderDateTimeE, PayDateTimeS: p.PayDateTimeS, PayDateTimeE: p.PayDateTimeE, PayFlag: p.PayFlag}
	var w orderQueryResp
	if err := c.call(ctx, ServiceOrderQuery, readOnly, msg, &w); err != nil {
		return nil, err
	}
	r := &OrderQueryResult{ShopNo: w.ShopNo, Date: w.Date, Status: w.Status, Description: w.Description, Orders: make([]OrderInfo, 0, len(w.OrderList))}
	for i := range w.OrderList {
		o, err := w.OrderList[i].info()
		if err != nil {
			return nil, malformed(ServiceOrderQuery, err)
		}
		r.Orders = append(r.Orders, o)
	}
	return r, nil
}

// FindOrder asks the bank about one order by its OrderNo. found is false
// when the bank has no such order. This is how a caller learns whether an
// OrderCreate that timed out reached the bank.
func (c *Client) FindOrder(ctx context.Context, orderNo string) (info OrderInfo, found bool, err error) {
	if err := checkOrderNo("OrderNo", orderNo); err != nil {
		setService(err, ServiceOrderQuery)
		return OrderInfo{}, false, err
	}
	r, err := c.OrderQuery(ctx, &OrderQueryParams{OrderNo: orderNo})
	if err != nil {
		return OrderInfo{}, false, err
	}
	for _, o := range r.Orders {
		if o.OrderNo == orderNo {
			return o, true, nil
		}
	}
	return OrderInfo{}, false, nil
}

// ---- OrderPayQuery ----

// APType is the kind of payment message behind a PayToken.
type APType string

const (
	APTypePayOut     APType = "PayOut"     // a payment result
	APTypeCaptureOut APType = "CaptureOut" // a scheduled capture completed
)

// PayResult is the answer to OrderPayQuery: what a PayToken stands for.
type PayResult struct {
	ShopNo      string
	PayToken    string
	Date        string
	Status      string
	Description string
	// Payment is the bank's TSResultContent.
	Payment Payment
}

// Payment is one payment event (TSResultContent). Amount is whole NT$.
type Payment struct {
	APType      APType
	TSNo        string
	OrderNo     string
	ShopNo      string
	PayType     PayType
	Amount      int64
	Status      string
	Description string `json:",omitempty"`
	Param1      string `json:",omitempty"`
	Param2      string `json:",omitempty"`
	Param3      string `json:",omitempty"`
	PayDate     string `json:",omitempty"`
	LeftCCNo    string `json:",omitempty"`
	RightCCNo   string `json:",omitempty"`
	CCExpDate   string `json:",omitempty"`
	CCToken     string `json:",omitempty"`
}

// Succeeded reports whether the payment itself succeeded.
func (p *Payment) Succeeded() bool {
	return p.Status == "S" && (p.APType == APTypePayOut || p.APType == APTypeCaptureOut || p.APType == "")
}

type paymentWire struct {
	APType                                      APType
	TSNo, OrderNo, ShopNo                       string
	PayType                                     PayType
	Amount                                      cents
	Status, Description, Param1, Param2, Param3 string
	PayDate, LeftCCNo, RightCCNo, CCExpDate     string
	CCToken                                     string
}

type payQueryMsg struct {
	ShopNo   string `json:"ShopNo"`
	PayToken string `json:"PayToken"`
}

type payQueryResp struct {
	ShopNo, PayToken, Date, Status, Description string
	TSResultContent                             *paymentWire
}

func (r *payQueryResp) status() (string, string) { return r.Status, r.Description }

// OrderPayQuery asks the bank what a PayToken stands for. It is read-only
// and retried on transport failures. The answer's Sign has been verified;
// whether it matches your order is yours to check (see Confirm).
func (c *Client) OrderPayQuery(ctx context.Context, payToken string) (*PayResult, error) {
	if err := CheckPayToken(payToken); err != nil {
		setService(err, ServiceOrderPayQuery)
		return nil, err
	}
	var w payQueryResp
	if err := c.call(ctx, ServiceOrderPayQuery, readOnly, &payQueryMsg{ShopNo: c.shopNo, PayToken: payToken}, &w); err != nil {
		return nil, err
	}
	if w.TSResultContent == nil {
		return nil, &Error{Service: ServiceOrderPayQuery, Msg: "answer has no TSResultContent", Err: ErrMalformedResponse}
	}
	t := w.TSResultContent
	amt, err := t.Amount.ntd("TSResultContent.Amount")
	if err != nil {
		return nil, malformed(ServiceOrderPayQuery, err)
	}
	return &PayResult{
		ShopNo: w.ShopNo, PayToken: w.PayToken, Date: w.Date, Status: w.Status, Description: w.Description,
		Payment: Payment{
			APType: t.APType, TSNo: t.TSNo, OrderNo: t.OrderNo, ShopNo: t.ShopNo, PayType: t.PayType, Amount: amt,
			Status: t.Status, Description: t.Description, Param1: t.Param1, Param2: t.Param2, Param3: t.Param3,
			PayDate: t.PayDate, LeftCCNo: t.LeftCCNo, RightCCNo: t.RightCCNo, CCExpDate: t.CCExpDate, CCToken: t.CCToken,
		},
	}, nil
}

// ---- OrderMaintain ----

// OrderMaintainParams asks for a capture, a cancellation or a refund of a
// card order. Amount is whole NT$; 0 means the whole order.
type OrderMaintainParams struct {
	OrderNo string
	Command Command
	Amount  int64
	Remark  string
}

// Validate checks the parameters.
func (p *OrderMaintainParams) Validate() error {
	if err := checkOrderNo("OrderNo", p.OrderNo); err != nil {
		return err
	}
	switch p.Command {
	case CommandCapture, CommandCancel, CommandRefund:
	case "":
		return invalid("Command", "is required (P capture, C cancel, R refund)")
	default:
		return invalid("Command", "must be P, C or R, got %q", p.Command)
	}
	if p.Amount != 0 {
		if p.Command == CommandCancel {
			return invalid("Amount", "cannot be given when cancelling an authorisation")
		}
		if err := checkAmount("Amount", p.Amount, MaxAmount); err != nil {
			return err
		}
	}
	return checkText("Remark", p.Remark, MaxRemark, false)
}

type orderMaintainMsg struct {
	ShopNo  string  `json:"ShopNo"`
	OrderNo string  `json:"OrderNo"`
	Command Command `json:"Command"`
	Amount  int64   `json:"Amount,omitempty"`
	Remark  string  `json:"Remark,omitempty"`
}

// MaintainResult is the answer to OrderMaintain. Amount is whole NT$.
type MaintainResult struct {
	OrderNo     string
	ShopNo      string
	TSNo        string
	Command     Command
	Amount      int64
	Date        string
	Status      string
	Description string
}

type maintainResp struct {
	OrderNo, ShopNo, TSNo string
	Command               Command
	Amount                cents
	Date                  string
	Status, Description   string
}

func (r *maintainResp) status() (string, string) { return r.Status, r.Description }

// OrderMaintain captures, cancels or refunds a card order. It changes money
// at the bank, so it is never retried (except when the bank refused the
// nonce, which proves it did nothing). After ErrTransport, check the order
// with OrderQuery before asking again.
func (c *Client) OrderMaintain(ctx context.Context, p *OrderMaintainParams) (*MaintainResult, error) {
	if err := p.Validate(); err != nil {
		setService(err, ServiceOrderMaintain)
		return nil, err
	}
	msg := &orderMaintainMsg{ShopNo: c.shopNo, OrderNo: p.OrderNo, Command: p.Command, Amount: p.Amount * 100, Remark: p.Remark}
	var w maintainResp
	if err := c.call(ctx, ServiceOrderMaintain, mutating, msg, &w); err != nil {
		return nil, err
	}
	amt, err := w.Amount.ntd("Amount")
	if err != nil {
		return nil, malformed(ServiceOrderMaintain, err)
	}
	r := &MaintainResult{OrderNo: w.OrderNo, ShopNo: w.ShopNo, TSNo: w.TSNo, Command: w.Command, Amount: amt,
		Date: w.Date, Status: w.Status, Description: w.Description}
	if r.OrderNo != p.OrderNo || (r.Command != "" && r.Command != p.Command) {
		return r, &Error{Service: ServiceOrderMaintain, Msg: fmt.Sprintf("bank answered for order %q command %q, asked %q %q", r.OrderNo, r.Command, p.OrderNo, p.Command), Err: ErrMismatch}
	}
	return r, nil
}

// Capture asks for the capture (請款) of an authorised card order; amount
// 0 captures the whole authorisation.
func (c *Client) Capture(ctx context.Context, orderNo string, amount int64) (*MaintainResult, error) {
	return c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: orderNo, Command: CommandCapture, Amount: amount})
}

// CancelAuthorization voids the authorisation of an uncaptured card order.
func (c *Client) CancelAuthorization(ctx context.Context, orderNo, remark string) (*MaintainResult, error) {
	return c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: orderNo, Command: CommandCancel, Remark: remark})
}

// Refund refunds a captured card order: amount NT$, or the whole order
// when amount is 0.
func (c *Client) Refund(ctx context.Context, orderNo string, amount int64, remark string) (*MaintainResult, error) {
	return c.OrderMaintain(ctx, &OrderMaintainParams{OrderNo: orderNo, Command: CommandRefund, Amount: amount, Remark: remark})
}

// ---- OrderUnCapturedQuery ----

// UnCapturedResult lists card orders authorised but not captured.
type UnCapturedResult struct {
	ShopNo      string
	Date        string
	Status      string
	Description string
	Orders      []OrderInfo
}

type unCapturedMsg struct {
	ShopNo  string `json:"ShopNo"`
	OrderNo string `json:"OrderNo,omitempty"`
}

// OrderUnCapturedQuery lists the card orders awaiting capture, all of them
// or the one named by orderNo. It is read-only.
func (c *Client) OrderUnCapturedQuery(ctx context.Context, orderNo string) (*UnCapturedResult, error) {
	if orderNo != "" {
		if err := checkOrderNo("OrderNo", orderNo); err != nil {
			setService(err, ServiceOrderUnCapturedQuery)
			return nil, err
		}
	}
	var w orderQueryResp
	if err := c.call(ctx, ServiceOrderUnCapturedQuery, readOnly, &unCapturedMsg{ShopNo: c.shopNo, OrderNo: orderNo}, &w); err != nil {
		return nil, err
	}
	r := &UnCapturedResult{ShopNo: w.ShopNo, Date: w.Date, Status: w.Status, Description: w.Description, Orders: make([]OrderInfo, 0, len(w.OrderList))}
	for i := range w.OrderList {
		o, err := w.OrderList[i].info()
		if err != nil {
			return nil, malformed(ServiceOrderUnCapturedQuery, err)
		}
		r.Orders = append(r.Orders, o)
	}
	return r, nil
}

// ---- BillQuery ----

// BillResult is a day's collections and refunds (BillQuery).
type BillResult struct {
	ShopNo      string
	Date        string
	BillDate    string
	Status      string
	Description string
	Items       []BillItem
}

// BillItem is one collection (TSType "P") or refund ("R"). Amount is whole NT$.
type BillItem struct {
	TSNo    string
	OrderNo string
	TSType  string
	TSDate  string
	PayDate string
	PayType PayType
	Amount  int64
	Param1  string `json:",omitempty"`
	Param2  string `json:",omitempty"`
	Param3  string `json:",omitempty"`
}

type billQueryMsg struct {
	ShopNo   string `json:"ShopNo"`
	BillDate string `json:"BillDate"`
}

type billItemWire struct {
	TSNo, OrderNo, TSType, TSDate, PayDate string
	PayType                                PayType
	Amount                                 cents
	Param1, Param2, Param3                 string
}

type billQueryResp struct {
	ShopNo, Date, BillDate, Status, Description string
	OrderList                                   []billItemWire
}

func (r *billQueryResp) status() (string, string) { return r.Status, r.Description }

// BillQuery lists a day's collections and refunds. billDate is yyyyMMdd:
// the manual's format is not public (a sample comment says yyMMdd), and
// yyyyMMdd is the format of every other date field. It is read-only.
func (c *Client) BillQuery(ctx context.Context, billDate string) (*BillResult, error) {
	if err := checkDate("BillDate", billDate, true); err != nil {
		setService(err, ServiceBillQuery)
		return nil, err
	}
	var w billQueryResp
	if err := c.call(ctx, ServiceBillQuery, readOnly, &billQueryMsg{ShopNo: c.shopNo, BillDate: billDate}, &w); err != nil {
		return nil, err
	}
	r := &BillResult{ShopNo: w.ShopNo, Date: w.Date, BillDate: w.BillDate, Status: w.Status, Description: w.Description, Items: make([]BillItem, 0, len(w.OrderList))}
	for _, it := range w.OrderList {
		amt, err := it.Amount.ntd("Amount")
		if err != nil {
			return nil, malformed(ServiceBillQuery, err)
		}
		r.Items = append(r.Items, BillItem{TSNo: it.TSNo, OrderNo: it.OrderNo, TSType: it.TSType, TSDate: it.TSDate,
			PayDate: it.PayDate, PayType: it.PayType, Amount: amt, Param1: it.Param1, Param2: it.Param2, Param3: it.Param3})
	}
	return r, nil
}

// ---- AllotQuery ----

// AllotParams selects settlements (撥款) by date range, yyyyMMdd, and
// optionally by PayType.
type AllotParams struct {
	AllotDateS string
	AllotDateE string
	PayType    PayType
}

// AllotResult lists settlements.
type AllotResult struct {
	ShopNo      string
	Date        string
	Status      string
	Description string
	Allots      []Allot
}

// Allot is one settlement. The manual calls its amounts decimals; this
// package reads them in the API's unit (NT$0.01) and reports whole NT$ and
// the exact cents, since fees need not be whole NT$.
type Allot struct {
	AllotNo             string
	AllotDate           string
	PayType             PayType
	PayAmount           int64
	RefundAmount        int64
	FeeAmountCents      int64
	ExtAllotAmountCents int64
	AllotAmountCents    int64
	Account             string
	Items               []AllotItem
}

// AllotItem is one order in a settlement.
type AllotItem struct {
	TSNo     string
	OrderNo  string
	PayDate  string
	Amount   int64
	FeeCents int64
	TSType   string
}

type allotMsg struct {
	ShopNo     string  `json:"ShopNo"`
	AllotDateS string  `json:"AllotDateS"`
	AllotDateE string  `json:"AllotDateE"`
	PayType    PayType `json:"PayType,omitempty"`
}

type allotWire struct {
	AllotNo                                string
	AllotDate                              jsonText
	PayType                                PayType
	PayAmount, RefundAmount                cents
	FeeAmount, ExtAllotAmount, AllotAmount cents
	Account                                string
	List                                   []struct {
		TSNO, OrderNO, PayDate string
		Amount, Fee            cents
		TSType                 string
	}
}

// jsonText accepts a JSON string or number and keeps its text.
type jsonText string

func (t *jsonText) UnmarshalJSON(b []byte) error {
	*t = jsonText(bytes.Trim(b, `"`))
	return nil
}

type allotResp struct {
	ShopNo, Date, Status, Description string
	Allot                             []allotWire
}

func (r *allotResp) status() (string, string) { return r.Status, r.Description }

// AllotQuery lists settlements in a date range. It is read-only.
func (c *Client) AllotQuery(ctx context.Context, p *AllotParams) (*AllotResult, error) {
	err := checkDate("AllotDateS", p.AllotDateS, true)
	if err == nil {
		err = checkDate("AllotDateE", p.AllotDateE, true)
	}
	if err == nil && p.AllotDateS > p.AllotDateE {
		err = invalid("AllotDateS", "is after AllotDateE")
	}
	if err == nil && p.PayType != "" && p.PayType != PayTypeATM && p.PayType != PayTypeCard {
		err = invalid("PayType", "must be A, C or empty, got %q", p.PayType)
	}
	if err != nil {
		setService(err, ServiceAllotQuery)
		return nil, err
	}
	var w allotResp
	if err := c.call(ctx, ServiceAllotQuery, readOnly, &allotMsg{ShopNo: c.shopNo, AllotDateS: p.AllotDateS, AllotDateE: p.AllotDateE, PayType: p.PayType}, &w); err != nil {
		return nil, err
	}
	r := &AllotResult{ShopNo: w.ShopNo, Date: w.Date, Status: w.Status, Description: w.Description}
	for _, a := range w.Allot {
		pay, err := a.PayAmount.ntd("PayAmount")
		if err != nil {
			return nil, malformed(ServiceAllotQuery, err)
		}
		ref, err := a.RefundAmount.ntd("RefundAmount")
		if err != nil {
			return nil, malformed(ServiceAllotQuery, err)
		}
		al := Allot{AllotNo: a.AllotNo, AllotDate: string(a.AllotDate), PayType: a.PayType, PayAmount: pay, RefundAmount: ref,
			FeeAmountCents: int64(a.FeeAmount), ExtAllotAmountCents: int64(a.ExtAllotAmount), AllotAmountCents: int64(a.AllotAmount), Account: a.Account}
		for _, it := range a.List {
			amt, err := it.Amount.ntd("Amount")
			if err != nil {
				return nil, malformed(ServiceAllotQuery, err)
			}
			al.Items = append(al.Items, AllotItem{TSNo: it.TSNO, OrderNo: it.OrderNO, PayDate: it.PayDate, Amount: amt, FeeCents: int64(it.Fee), TSType: it.TSType})
		}
		r.Allots = append(r.Allots, al)
	}
	return r, nil
}
