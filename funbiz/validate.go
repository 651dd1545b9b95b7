package funbiz

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits from the bank's manual (PROTOCOL §8, §10). Lengths count UTF-8
// bytes: whether the bank counts bytes or characters is not public, and
// bytes is the stricter reading, so anything that passes here passes there.
const (
	MaxOrderNo  = 50
	MaxPrdtName = 60
	MaxMemo     = 30
	MaxParam    = 255
	MaxURL      = 255
	MaxRemark   = 255
	MaxPayToken = 100
	// MaxAmount bounds every amount so that ×100 cannot overflow and no
	// order is absurd. No other limit is known: the bank's card limit
	// depends on the merchant, and no ATM limit is public — the NT$30,000
	// some SDKs check is their own, and the bank's sandbox created and
	// paid an ATM order of NT$94,403 (PROTOCOL §10). Leave limits to the
	// bank; a shop may set its own as a business rule.
	MaxAmount = 99_999_999
)

// Taipei is the bank's time zone (UTC+8, no daylight saving). All dates on
// the wire are Taiwan local time.
var Taipei = time.FixedZone("Asia/Taipei", 8*60*60)

const (
	dateLayout     = "20060102"
	dateTimeLayout = "200601021504"
)

// FormatDate renders t as the bank's yyyyMMdd in Taiwan time.
func FormatDate(t time.Time) string { return t.In(Taipei).Format(dateLayout) }

// FormatDateTime renders t as the bank's yyyyMMddHHmm in Taiwan time.
func FormatDateTime(t time.Time) string { return t.In(Taipei).Format(dateTimeLayout) }

// ParseDate reads a yyyyMMdd date as midnight Taiwan time, the day's
// first instant. For a last day to pay, such as an ATM ExpireDate, use
// EndOfDay: the day's last instant.
func ParseDate(s string) (time.Time, error) { return time.ParseInLocation(dateLayout, s, Taipei) }

// EndOfDay reads a yyyyMMdd date as its last instant in Taiwan time
// (23:59:59.999999999): the deadline of a last day to pay. An ATM order
// whose ExpireDate is 20260131 takes a transfer until the end of 31
// January in Taiwan, which is 15:59:59 UTC that day; a deadline taken
// from ParseDate would be a day early. Compare it with now.After(deadline).
func EndOfDay(date string) (time.Time, error) {
	t, err := ParseDate(date)
	if err != nil {
		return time.Time{}, err
	}
	return t.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
}

// ParseDateTime reads a yyyyMMddHHmm time in Taiwan time.
func ParseDateTime(s string) (time.Time, error) {
	return time.ParseInLocation(dateTimeLayout, s, Taipei)
}

// checkText checks a free-text field: valid UTF-8, no control characters,
// no leading or trailing blanks (the bank's Sign rule forbids them), none
// of ' " % (the manual forbids them), at most max bytes. One pass: it runs
// on every field of every request.
func checkText(field, s string, max int, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if len(s) > max {
		return invalid(field, "is %d bytes of UTF-8, at most %d", len(s), max)
	}
	first, last := rune(-1), rune(-1)
	for i := 0; i < len(s); {
		c := s[i]
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return invalid(field, "is not valid UTF-8")
			}
		}
		switch {
		case r == '\'' || r == '"' || r == '%':
			return invalid(field, `must not contain ' " or %%`)
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			return invalid(field, "must not contain control characters")
		}
		if first < 0 {
			first = r
		}
		last = r
		i += size
	}
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return invalid(field, "must not start or end with a blank")
	}
	return nil
}

// CheckOrderNo checks a merchant order number: 1 to 50 ASCII letters,
// digits, '-' or '_'. The manual only forbids ' " %; the narrower set is
// what every published integration uses, and it is safe in URLs and logs.
func CheckOrderNo(s string) error { return checkOrderNo("OrderNo", s) }

func checkOrderNo(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	if len(s) > MaxOrderNo {
		return invalid(field, "is %d characters, at most %d", len(s), MaxOrderNo)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '-' || c == '_') {
			return invalid(field, "may hold only ASCII letters, digits, '-' and '_', found %q", c)
		}
	}
	return nil
}

func checkURL(field, s string, required bool) error {
	if err := checkText(field, s, MaxURL, required); err != nil || s == "" {
		return err
	}
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	host, _, _ = strings.Cut(host, "#")
	if !ok || host == "" || strings.HasPrefix(host, ":") {
		return invalid(field, "must be an absolute http or https URL")
	}
	if strings.ContainsAny(s, " \t") {
		return invalid(field, "must not contain blanks")
	}
	return nil
}

func checkAmount(field string, n int64, max int64) error {
	if n <= 0 {
		return invalid(field, "must be more than NT$0, got %d", n)
	}
	if n > max {
		return invalid(field, "must be at most NT$%d, got %d", max, n)
	}
	return nil
}

func checkDate(field, s string, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if len(s) != len(dateLayout) {
		return invalid(field, "must be a date as yyyyMMdd, got %q", s)
	}
	if _, err := ParseDate(s); err != nil {
		return invalid(field, "must be a real date as yyyyMMdd, got %q", s)
	}
	return nil
}

func checkDateTime(field, s string) error {
	if s == "" {
		return nil
	}
	if len(s) != len(dateTimeLayout) {
		return invalid(field, "must be a time as yyyyMMddHHmm, got %q", s)
	}
	if _, err := ParseDateTime(s); err != nil {
		return invalid(field, "must be a real time as yyyyMMddHHmm, got %q", s)
	}
	return nil
}

// CheckPayToken checks the form of a PayToken from a callback: 1 to 100
// ASCII letters or digits (the bank's tokens are 64 lower-case hex). It
// says nothing about whether the token is real; only OrderPayQuery does.
func CheckPayToken(s string) error {
	if s == "" {
		return invalid("PayToken", "is required")
	}
	if len(s) > MaxPayToken {
		return invalid("PayToken", "is %d characters, at most %d", len(s), MaxPayToken)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return invalid("PayToken", "may hold only ASCII letters and digits")
		}
	}
	return nil
}
