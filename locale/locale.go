// Package locale holds the shop's words in its two languages, Traditional
// Chinese (zh-TW, the default) and English, and the converters that turn
// the shop's codes (statuses, pay types, payment events, callback sources,
// amounts) into those words.
//
// The catalogues are flat JSON objects of key → text, one per language,
// embedded at build time; a text may take fmt-style arguments. Flat
// catalogues suffice here: zh-TW has no plural forms, and the English
// texts are written so that no sentence depends on a count, so a plural
// machinery such as go-i18n would add a dependency and nothing else.
// A test fails when the two catalogues disagree on their keys, or when a
// key used by the templates or by the shop's errors is missing.
//
// Everything here is read-only after package initialisation and safe for
// concurrent use.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// The languages of the shop.
const (
	ZH = "zh-TW"
	EN = "en"
)

// Default is the language of a visitor who has not said otherwise.
const Default = ZH

// Langs lists the languages, default first.
var Langs = []string{ZH, EN}

//go:embed zh-TW.json en.json
var files embed.FS

var catalogues = map[string]map[string]string{}

func init() {
	for _, lang := range Langs {
		b, err := files.ReadFile(lang + ".json")
		if err != nil {
			panic(err) // embedded at build time
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("locale: %s.json: %v", lang, err))
		}
		catalogues[lang] = m
	}
}

// Keys returns the sorted keys of lang's catalogue, for tests and tools.
func Keys(lang string) []string {
	m := catalogues[lang]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether lang's catalogue has key.
func Has(lang, key string) bool {
	_, ok := catalogues[lang][key]
	return ok
}

// Supported reports whether lang is one of Langs.
func Supported(lang string) bool {
	_, ok := catalogues[lang]
	return ok
}

// T returns the text of key in lang, formatted with args when there are
// any. An unsupported lang falls back to Default. A missing key comes back
// as the key itself, so a page shows something a developer can search
// for; the catalogue tests keep that from reaching production.
func T(lang, key string, args ...any) string {
	m, ok := catalogues[lang]
	if !ok {
		m = catalogues[Default]
	}
	s, ok := m[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Match picks the language of a request: the lang cookie when it names a
// supported language, otherwise the most preferred supported language of
// the Accept-Language header (any en* is English, any zh* is zh-TW),
// otherwise Default.
func Match(acceptLanguage, cookie string) string {
	if Supported(cookie) {
		return cookie
	}
	best, bestQ := Default, 0.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		lang := ""
		switch primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-"); primary {
		case "en":
			lang = EN
		case "zh":
			lang = ZH
		}
		// Ties keep the earlier entry, as the header lists preferences in
		// order.
		if lang != "" && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// Money writes an amount as NT$ with thousands separators: NT$1,234,567.
// Both languages write it the same way, as Taiwanese shops do.
func Money(lang string, m shop.Money) string {
	n := int64(m)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + "NT$" + group(strconv.FormatInt(n, 10), 3, ",")
}

// group inserts sep every size digits from the right.
func group(digits string, size int, sep string) string {
	if len(digits) <= size {
		return digits
	}
	var b strings.Builder
	head := len(digits) % size
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += size {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+size])
	}
	return b.String()
}

// When writes a moment to the second, in Taiwan time, as the back office
// shows times: 2026-11-27 18:32:30. The zero time is "".
func When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(funbiz.Taipei).Format("2006-01-02 15:04:05")
}

// Status names an order's payment status.
func Status(lang string, s shop.Status) string { return word(lang, "status.", string(s)) }

// PayType names a pay type.
func PayType(lang string, p shop.PayType) string { return word(lang, "paytype.", string(p)) }

// Event names a payment event of an order's timeline.
func Event(lang string, e shop.Event) string { return word(lang, "event.", string(e)) }

// Source names where a payment event or a PayToken came from.
func Source(lang string, s shop.Source) string { return word(lang, "source.", string(s)) }

// word translates a code, and says "unknown (X)" for a code the catalogue
// does not know, so a new code shows up on the page instead of a blank.
func word(lang, prefix, code string) string {
	if code != "" && Has(lang, prefix+code) {
		return T(lang, prefix+code)
	}
	if code != "" && !Supported(lang) && Has(Default, prefix+code) {
		return T(Default, prefix+code)
	}
	return T(lang, "code.unknown", code)
}
