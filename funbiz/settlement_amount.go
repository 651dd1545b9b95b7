package funbiz

import (
	"fmt"
	"strconv"
	"strings"
)

// SettlementAmount is an amount of an AllotQuery answer. Its form on the
// wire is not public: the bank's C# sample types these members decimal,
// while BillQuery's Amount is an int ×100 (PROTOCOL §8.7). So each one is
// kept as sent and read exactly, without floating point, and an amount
// that cannot be read is reported on its own instead of failing the whole
// answer.
//
// The reading (the package's choice, also the sandbox's form): a whole
// number is in the API's unit, NT$0.01, like every other amount the bank
// sends (150000 is NT$1,500.00); a number with a decimal point is NT$ with
// decimals, as a C# decimal would print it (1500.5 is NT$1,500.50, 1700.0
// is NT$1,700.00). Either may come as a JSON number or a string. Anything
// else (an exponent, more than two decimals, a thousands separator, an
// object) is Unreadable.
type SettlementAmount struct {
	// Raw is the amount as the bank sent it: a number's literal, or a
	// string's content.
	Raw string
	// Cents is the amount in NT$0.01; 0 when Form is AmountUnreadable.
	Cents int64
	// Form says how Raw was read.
	Form AmountForm
}

// AmountForm is how a SettlementAmount was read.
type AmountForm uint8

const (
	// AmountInCents: a whole number, in the API's unit NT$0.01 (the form
	// the sandbox sends, and the unit of every other amount).
	AmountInCents AmountForm = iota
	// AmountInNTD: a number with a decimal point, read as NT$ with decimals.
	// The unit is then the package's reading of the C# sample's decimal,
	// not a documented fact: show Raw beside the amount.
	AmountInNTD
	// AmountUnreadable: not an amount this package can read exactly.
	AmountUnreadable
)

// Doubtful reports whether the amount should be shown with the bank's own
// text beside it: its form is not the documented integer one, so its unit
// is a reading, or it could not be read at all.
func (a SettlementAmount) Doubtful() bool { return a.Form != AmountInCents }

// NTD is the amount in whole NT$, and whether it is one (no cents, and
// readable).
func (a SettlementAmount) NTD() (int64, bool) {
	if a.Form == AmountUnreadable || a.Cents%100 != 0 {
		return 0, false
	}
	return a.Cents / 100, true
}

// readSettlementAmount reads one member; it never fails.
func readSettlementAmount(m member) SettlementAmount {
	switch m.kind {
	case 'n':
		return SettlementAmount{}
	case '"', '0':
		raw := string(m.value)
		c, form := parseSettlementAmount(raw)
		return SettlementAmount{Raw: raw, Cents: c, Form: form}
	}
	return SettlementAmount{Raw: string(m.raw), Form: AmountUnreadable}
}

// parseSettlementAmount reads the text of an amount by the rule of
// SettlementAmount. "" is 0.
func parseSettlementAmount(s string) (int64, AmountForm) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, AmountInCents
	}
	neg := false
	switch t[0] {
	case '-':
		neg, t = true, t[1:]
	case '+':
		t = t[1:]
	}
	whole, frac, dot := strings.Cut(t, ".")
	if whole == "" || !allDigits(whole) || (dot && (!allDigits(frac) || len(frac) == 0)) {
		return 0, AmountUnreadable
	}
	form := AmountInCents
	if dot {
		form = AmountInNTD
		// Trailing zeros past the cents say nothing: 42.500 is 42.50.
		frac = strings.TrimRight(frac, "0")
		if len(frac) > 2 {
			return 0, AmountUnreadable
		}
		whole += (frac + "00")[:2]
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, AmountUnreadable
	}
	if neg {
		n = -n
	}
	return n, form
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// MarshalJSON writes the amount as the bank sent it: a JSON number when
// Raw is one, else a string (null when nothing was sent).
func (a SettlementAmount) MarshalJSON() ([]byte, error) {
	if a.Raw == "" {
		return []byte("null"), nil
	}
	if isJSONNumber(a.Raw) {
		return []byte(a.Raw), nil
	}
	return appendJSONString(nil, a.Raw, false), nil
}

// UnmarshalJSON reads the amount from a JSON number, string or null, by
// the rule of SettlementAmount.
func (a *SettlementAmount) UnmarshalJSON(b []byte) error {
	var buf [1]member
	ms, err := scanMembers(append(append([]byte(`{"v":`), b...), '}'), buf[:0])
	if err != nil || len(ms) != 1 {
		return fmt.Errorf("funbiz: settlement amount %.40q: not a JSON value", b)
	}
	*a = readSettlementAmount(ms[0])
	a.Raw = strings.Clone(a.Raw)
	return nil
}

// isJSONNumber reports whether s is a JSON number literal.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		f := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == f {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(s)
}
