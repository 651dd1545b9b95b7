package shop

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var skuRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// MaxPrice bounds a product's price: NT$1,000,000, far above what a shop
// of this kind sells, so that a typo of three zeros is caught.
const MaxPrice Money = 1_000_000

// NormProduct trims the texts a merchant typed and lower-cases the SKU.
func NormProduct(p Product) Product {
	p.SKU = strings.ToLower(strings.TrimSpace(p.SKU))
	p.NameZH, p.NameEN = strings.TrimSpace(p.NameZH), strings.TrimSpace(p.NameEN)
	p.DescZH, p.DescEN = strings.TrimSpace(p.DescZH), strings.TrimSpace(p.DescEN)
	return p
}

// Problems checks a normalised product and returns, per form field (sku,
// name_zh, name_en, desc_zh, desc_en, price, sort), the locale key of
// what is wrong; empty when it is fine.
func (p Product) Problems() map[string]string {
	out := map[string]string{}
	if !skuRE.MatchString(p.SKU) {
		out["sku"] = "product.bad_sku"
	}
	line := func(field, v string, max int) {
		switch {
		case v == "":
			out[field] = "ship.required"
		case utf8.RuneCountInString(v) > max || !printable(v, false):
			out[field] = "ship.bad_text"
		}
	}
	line("name_zh", p.NameZH, 60)
	line("name_en", p.NameEN, 80)
	for field, v := range map[string]string{"desc_zh": p.DescZH, "desc_en": p.DescEN} {
		if utf8.RuneCountInString(v) > 2000 || !printable(v, true) {
			out[field] = "product.bad_desc"
		}
	}
	if p.Price <= 0 || p.Price > MaxPrice {
		out["price"] = "product.bad_price"
	}
	if p.Sort < 0 || p.Sort > 9999 {
		out["sort"] = "product.bad_sort"
	}
	return out
}

// printable reports whether s is UTF-8 without control or format
// characters; newlines (and tabs) are allowed when multiline.
func printable(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			return false
		}
		return unicode.In(r, unicode.Cc, unicode.Cf)
	}) < 0
}
