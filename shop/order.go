// Package shop is the business of the web shop: products, carts, orders,
// their payment states and the errors a person can read. It does no I/O:
// the web layer, the storage and the bank adapter meet through its types.
package shop

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Money is an amount in whole NT$. The bank's ×100 happens only in funbiz.
type Money int64

// PayType is how an order is paid.
type PayType string

const (
	PayATM  PayType = "A"
	PayCard PayType = "C"
)

// PayTypes lists every pay type.
var PayTypes = []PayType{PayATM, PayCard}

// Valid reports whether p is a pay type the shop offers.
func (p PayType) Valid() bool { return p == PayATM || p == PayCard }

// Product is something for sale. Names are per language; prices are
// whole NT$.
type Product struct {
	ID     int64
	SKU    string
	NameZH string
	NameEN string
	Price  Money
	// DescZH and DescEN describe it, as plain text (shown as text, never
	// as HTML).
	DescZH, DescEN string
	// Hidden products are neither shown nor sold.
	Hidden bool
	// Sort orders the catalogue, smallest first.
	Sort int
	// Counted says the shop counts the product's stock; Stock is how many
	// are left to sell then.
	Counted bool
	Stock   int
}

// SoldOut reports whether a counted product has none left.
func (p Product) SoldOut() bool { return p.Counted && p.Stock <= 0 }

// Desc returns the product's description in lang, or in the other
// language when it has none in lang.
func (p *Product) Desc(lang string) string {
	if lang == "en" && p.DescEN != "" || p.DescZH == "" {
		return p.DescEN
	}
	return p.DescZH
}

// Name returns the product's name in lang ("en" or anything else for zh-TW).
func (p *Product) Name(lang string) string {
	if lang == "en" && p.NameEN != "" {
		return p.NameEN
	}
	return p.NameZH
}

// CartLine is a product and a quantity as the browser asks for them.
type CartLine struct {
	ProductID int64
	Qty       int
}

// Item is one priced line of an order, copied from the catalogue when the
// order is made, so later price changes do not rewrite history. Name is
// the name in the language the line was priced for (the bank's, for an
// order); NameZH and NameEN keep both, so that a page shows the name in
// its own language. Lines stored before both were kept have only Name.
type Item struct {
	ProductID int64
	Name      string
	NameZH    string
	NameEN    string
	UnitPrice Money
	Qty       int
}

// NameIn is the line's name in lang ("en", or zh-TW for anything else),
// or Name when that one is not known.
func (it Item) NameIn(lang string) string {
	n := it.NameZH
	if lang == "en" {
		n = it.NameEN
	}
	if n == "" {
		return it.Name
	}
	return n
}

// MaxQty bounds one line of a cart.
const MaxQty = 99

// PriceCart prices a cart from the catalogue; lang chooses each item's
// Name (both names are kept). The total is always computed
// here from catalogue prices: an amount sent by the browser is never used.
// Lines for the same product are merged; a zero quantity drops the line.
func PriceCart(catalogue []Product, lines []CartLine, lang string) ([]Item, Money, error) {
	byID := make(map[int64]*Product, len(catalogue))
	for i := range catalogue {
		byID[catalogue[i].ID] = &catalogue[i]
	}
	qty := map[int64]int{}
	var order []int64
	for _, l := range lines {
		if l.Qty < 0 || l.Qty > MaxQty {
			return nil, 0, Errorf(Invalid, "cart.bad_quantity", "quantity %d out of range", l.Qty)
		}
		if _, ok := byID[l.ProductID]; !ok {
			return nil, 0, Errorf(Invalid, "cart.unknown_product", "no product %d", l.ProductID)
		}
		if _, seen := qty[l.ProductID]; !seen {
			order = append(order, l.ProductID)
		}
		qty[l.ProductID] += l.Qty
		if qty[l.ProductID] > MaxQty {
			return nil, 0, Errorf(Invalid, "cart.bad_quantity", "quantity over %d", MaxQty)
		}
	}
	var items []Item
	var total Money
	for _, id := range order {
		q := qty[id]
		if q == 0 {
			continue
		}
		p := byID[id]
		items = append(items, Item{ProductID: id, Name: p.Name(lang), NameZH: p.NameZH, NameEN: p.NameEN, UnitPrice: p.Price, Qty: q})
		total += p.Price * Money(q)
	}
	if len(items) == 0 {
		return nil, 0, Errorf(Invalid, "cart.empty", "the cart is empty")
	}
	return items, total, nil
}

// NonDesignatedLimit is what most Taiwanese banks let one ATM transfer
// to a non-designated account (非約定帳戶) carry. It is not the bank's
// limit on an ATM order (the bank has none that is known: its sandbox
// took an order of NT$94,403); a buyer of a larger order pays it by online
// banking or at a bank counter, and the pages say so.
const NonDesignatedLimit Money = 30000

// CheckPayable checks that an order of total can be paid with payType.
// atmMax is the merchant's own limit on ATM orders; 0 is none.
func CheckPayable(payType PayType, total, atmMax Money) error {
	if !payType.Valid() {
		return Errorf(Invalid, "checkout.bad_pay_type", "pay type %q", payType)
	}
	if total <= 0 {
		return Errorf(Invalid, "cart.empty", "nothing to pay")
	}
	if payType == PayATM && atmMax > 0 && total > atmMax {
		return Errorf(Invalid, "checkout.atm_over_max", "this shop takes ATM orders up to NT$%d", atmMax)
	}
	return nil
}

// ProductName is the name sent to the bank for an order: the first item's
// name and a count, cut to the bank's 60 UTF-8 bytes and stripped of the
// characters the bank forbids.
func ProductName(items []Item) string {
	if len(items) == 0 {
		return "KummyShop"
	}
	name := items[0].Name
	if len(items) > 1 {
		name = fmt.Sprintf("%s +%d", name, len(items)-1)
	}
	name = strings.Map(func(r rune) rune {
		switch r {
		case '\'', '"', '%':
			return -1
		}
		if r < 0x20 {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 60 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = strings.TrimSpace(name[:len(name)-size])
	}
	return name
}

// NewOrderNo makes an order number: "K", the Taiwan date, and 8 random
// digits, e.g. K2026112712345678 (17 characters, well under the bank's
// 50). The unique index in storage catches the rare collision.
func NewOrderNo(now time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	n := binary.BigEndian.Uint64(b[:]) % 100_000_000
	return fmt.Sprintf("K%s%08d", now.In(taipei).Format("20060102"), n)
}

var taipei = time.FixedZone("Asia/Taipei", 8*60*60)

// Order is a customer's order and its payment state.
type Order struct {
	ID         int64
	No         string
	CustomerID int64
	PayType    PayType
	Amount     Money
	Status     Status
	Items      []Item
	CreatedAt  time.Time
	UpdatedAt  time.Time

	// Bank is what the bank said when the order was created.
	Bank BankOrder

	// ShipTo is where the goods go; zero on an order placed before the
	// checkout asked.
	ShipTo ShipTo
	// Shipment says when and how the goods left; zero until they did.
	Shipment Shipment
	// StockHeld: the order holds its items from the stock (from its
	// checkout until it expires or is cancelled).
	StockHeld bool

	// Capture is how a card order's authorisation becomes a charge; see
	// CaptureMode. Captured and CapturedAt are set when the shop captures
	// a manual one; Refunded is the whole NT$ refunded so far.
	Capture    CaptureMode
	Captured   Money
	CapturedAt time.Time
	Refunded   Money

	// Replaces is the unpaid ATM order this card order replaced, at its
	// customer's choice; ReplacedBy the card order that replaced this one.
	// A payment of either after the other was paid goes to review.
	Replaces   string
	ReplacedBy string

	// TestBank: the order was made by a test API key at the test bank,
	// the embedded sandbox standing beside a live bank, and everything
	// about it is asked of that bank. False for every order at the
	// shop's own bank, which is also the sandbox when the shop runs on
	// it (then test keys' orders are there too).
	TestBank bool
	// PayBy is the deadline an API payment's merchant gave (expires_in):
	// the ATM account's last day to pay is its day in Taiwan, the card
	// page link lives until then. Zero: the shop's settings.
	PayBy time.Time
}

// BankState says whether the bank has the order.
type BankState string

const (
	BankCreating BankState = "creating" // OrderCreate not answered yet
	BankCreated  BankState = "created"  // the bank has it
	BankUnknown  BankState = "unknown"  // OrderCreate failed in transport; ask the bank before retrying
	BankRefused  BankState = "refused"  // the bank refused to create it
)

// BankStates lists every state of an order at the bank.
var BankStates = []BankState{BankCreating, BankCreated, BankUnknown, BankRefused}

// BankOrder is the bank's side of an order.
type BankOrder struct {
	State      BankState
	TSNo       string
	AtmPayNo   string
	WebAtmURL  string
	OtpURL     string
	CardPayURL string
	// ExpireDate is the last day to pay an ATM order (Taiwan time).
	ExpireDate string
	// CardExpiresAt is when the card page link stops working.
	CardExpiresAt time.Time
	// Error is why the bank refused, for the order page.
	Error string
}

// PaymentEvent is one line of an order's timeline.
type PaymentEvent struct {
	ID       int64
	OrderID  int64
	From     Status
	To       Status
	Event    Event
	Source   Source
	PayToken string
	Amount   Money
	Note     string
	At       time.Time
}
