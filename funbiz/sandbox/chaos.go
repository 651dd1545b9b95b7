package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// Chaos makes the sandbox misbehave on purpose, the ways a bank and a
// network do, so a merchant can test that nothing breaks. Every rule is
// one-shot or counted, and lives in memory only: a restart disarms it.
// (What a mismatch rule did to a payment is part of the bank's records,
// and stays: see misreport.)

type apiChaosMode string

const (
	chaosAPINone         apiChaosMode = ""
	chaosAPI500          apiChaosMode = "500"           // HTTP 500 with an HTML page; nothing done
	chaosAPIHang         apiChaosMode = "hang"          // done, then the answer is held back
	chaosAPIGarbage      apiChaosMode = "garbage"       // HTTP 200 with a truncated body; nothing done
	chaosAPINonceExpired apiChaosMode = "nonce-expired" // E0102 refusal; nothing done
)

type notifyChaosMode string

const (
	chaosNotifyDelay     notifyChaosMode = "delay"
	chaosNotifyDuplicate notifyChaosMode = "duplicate"
	chaosNotifyDrop      notifyChaosMode = "drop"
	chaosNotifyReorder   notifyChaosMode = "reorder"
)

// mismatchMode is how the bank's answers about an order's payment
// disagree with the order the shop created: a bank answering about the
// wrong thing, in properly signed answers.
type mismatchMode string

const (
	mismatchAmount mismatchMode = "amount" // another amount: NT$1 more
	mismatchShop   mismatchMode = "shop"   // another ShopNo
	mismatchOrder  mismatchMode = "order"  // another OrderNo
)

// mismatchModes lists the modes, for the dashboard and messages.
var mismatchModes = []mismatchMode{mismatchAmount, mismatchShop, mismatchOrder}

// misreportExtra is what the amount mode adds to the amount the bank
// reports: NT$1, in the wire unit.
const misreportExtra = 100

type apiChaos struct {
	Mode   apiChaosMode
	Count  int
	ShopNo string `json:",omitempty"`
}

type notifyChaos struct {
	Mode  notifyChaosMode
	Delay time.Duration
}

// mismatchChaos is an armed mismatch rule. Other is the ShopNo (shop) or
// OrderNo (order) to name instead; empty lets the sandbox pick one when
// the payment comes.
type mismatchChaos struct {
	Mode  mismatchMode
	Other string
}

// misreport is what the bank's answers get wrong about one payment (its
// OrderPayQuery) and, from that payment on, about its order (OrderQuery).
// Unlike an armed rule it is part of the payment's and the order's
// records, kept by the Store: the answer about a PayToken never changes,
// whoever asks and however often.
type misreport struct {
	Mode mismatchMode
	// Other is the ShopNo (shop) or OrderNo (order) named instead of the
	// real one.
	Other string `json:",omitempty"`
}

// payQuery makes OrderPayQuery's TSResultContent say what m says. Only
// the one field changes: the rest (TSNo, PayType, the card, Param1..3)
// still describes the real payment, as a bank that filed it under the
// wrong amount, shop or order would answer.
func (m *misreport) payQuery(w *tsResultWire, amount int64) {
	switch m.Mode {
	case mismatchAmount:
		w.Amount = strconv.FormatInt(amount+misreportExtra, 10)
	case mismatchShop:
		w.ShopNo = m.Other
	case mismatchOrder:
		w.OrderNo = m.Other
	}
}

// orderRow makes an OrderQuery row say what m says. A ShopNo is not part
// of a row: the shop mode changes the answer's ShopNo instead (see
// orderQuery).
func (m *misreport) orderRow(r *orderRow) {
	switch m.Mode {
	case mismatchAmount:
		r.Amount += misreportExtra
	case mismatchOrder:
		r.OrderNo = m.Other
	}
}

// view is m for the control API, with the amount reported in whole NT$.
func (m *misreport) view(amount int64) *Misreport {
	if m == nil {
		return nil
	}
	v := &Misreport{Mode: string(m.Mode), Other: m.Other}
	if m.Mode == mismatchAmount {
		v.Amount = (amount + misreportExtra) / 100
	}
	return v
}

// chaosState is guarded by Sandbox.mu. Keys with an empty OrderNo match
// any order of the shop.
type chaosState struct {
	API         apiChaos
	NextOutcome map[orderKey]Outcome
	Notify      map[orderKey]notifyChaos
	Mismatch    map[orderKey]mismatchChaos
}

func newChaosState() chaosState {
	return chaosState{NextOutcome: map[orderKey]Outcome{}, Notify: map[orderKey]notifyChaos{}, Mismatch: map[orderKey]mismatchChaos{}}
}

// takeAPIChaos consumes one count of the armed API rule, if it applies.
func (s *Sandbox) takeAPIChaos(shopNo string) apiChaosMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.chaos.API
	if c.Count <= 0 || (c.ShopNo != "" && c.ShopNo != shopNo) {
		return chaosAPINone
	}
	c.Count--
	return c.Mode
}

func (c *chaosState) takeOutcome(k orderKey) (Outcome, bool) {
	for _, key := range []orderKey{k, {k.shopNo, ""}} {
		if o, ok := c.NextOutcome[key]; ok {
			delete(c.NextOutcome, key)
			return o, true
		}
	}
	return "", false
}

func (c *chaosState) takeNotify(k orderKey) (notifyChaos, bool) {
	for _, key := range []orderKey{k, {k.shopNo, ""}} {
		if n, ok := c.Notify[key]; ok {
			delete(c.Notify, key)
			return n, true
		}
	}
	return notifyChaos{}, false
}

func (c *chaosState) takeMismatch(k orderKey) (mismatchChaos, bool) {
	for _, key := range []orderKey{k, {k.shopNo, ""}} {
		if m, ok := c.Mismatch[key]; ok {
			delete(c.Mismatch, key)
			return m, true
		}
	}
	return mismatchChaos{}, false
}

// misreportLocked turns an armed mismatch rule into what the bank gets
// wrong about o's payment, picking the other ShopNo or OrderNo when the
// rule names none: the same merchant's next shop number, and the newest
// other order of the shop (an order the shop has: the nastiest case), or
// when it has none, a number the bank never issued.
func (s *Sandbox) misreportLocked(o *order, c mismatchChaos) *misreport {
	m := &misreport{Mode: c.Mode, Other: c.Other}
	switch {
	case m.Mode == mismatchShop && m.Other == "":
		m.Other = otherShopNo(o.ShopNo)
	case m.Mode == mismatchOrder && m.Other == "":
		for i := len(s.orderSeq) - 1; i >= 0 && m.Other == ""; i-- {
			if x := s.orderSeq[i]; x.ShopNo == o.ShopNo && x.OrderNo != o.OrderNo {
				m.Other = x.OrderNo
			}
		}
		if m.Other == "" {
			m.Other = otherOrderNo(o.OrderNo)
		}
	}
	return m
}

// otherShopNo is another shop number of the merchant of shopNo:
// NA0249_001 → NA0249_002.
func otherShopNo(shopNo string) string {
	p := shopPrefix(shopNo)
	for n := 1; ; n++ {
		if other := fmt.Sprintf("%s_%03d", p, n); other != shopNo {
			return other
		}
	}
}

// otherOrderNo is an order number near orderNo that is not it.
func otherOrderNo(orderNo string) string {
	other := orderNo[:min(len(orderNo), funbiz.MaxOrderNo-1)] + "X"
	if other == orderNo {
		other = orderNo[:len(orderNo)-1] + "Y"
	}
	return other
}

// check refuses a rule that could not be a wrong answer: an unknown mode,
// an Other for the amount, or an Other that is the real ShopNo or
// OrderNo, or could not be one.
func (c mismatchChaos) check(shopNo, orderNo string) error {
	switch c.Mode {
	case mismatchAmount:
		if c.Other != "" {
			return errInvalid("Other goes with Mismatch shop or order, not amount")
		}
	case mismatchShop:
		if c.Other == shopNo {
			return errInvalid("Other must be another ShopNo than %s", shopNo)
		}
		if c.Other != "" && !shopNoShape(c.Other) {
			return errInvalid("Other must be a ShopNo such as NA0249_002, got %q", clip(c.Other, 40))
		}
	case mismatchOrder:
		if c.Other != "" && c.Other == orderNo {
			return errInvalid("Other must be another OrderNo than %s", orderNo)
		}
		if c.Other != "" {
			if err := funbiz.CheckOrderNo(c.Other); err != nil {
				return errInvalid("Other: %v", err)
			}
		}
	default:
		return errInvalid("Mismatch must be amount, shop or order, got %q", clip(string(c.Mode), 40))
	}
	return nil
}

// shopNoShape reports whether s looks like a ShopNo: letters and digits,
// an underscore, digits (NA0249_001).
func shopNoShape(s string) bool {
	p, suffix, ok := strings.Cut(s, "_")
	if !ok || p == "" || suffix == "" || len(s) > 20 {
		return false
	}
	for _, c := range p {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	for _, c := range suffix {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
