package locale

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/shop"
)

// Both catalogues have exactly the same keys, and no empty text.
func TestCataloguesAgree(t *testing.T) {
	zh, en := catalogues[ZH], catalogues[EN]
	for k, v := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("zh-TW.json: %q is empty", k)
		}
	}
	for k, v := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh-TW.json lacks %q", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("en.json: %q is empty", k)
		}
	}
}

// A text's fmt verbs must agree between the languages, or one language
// prints %!d(MISSING). A translation may take the arguments in another
// order (%[2]s), so what must agree is which argument each verb prints.
func TestCataloguesAgreeOnArguments(t *testing.T) {
	for k, zh := range catalogues[ZH] {
		a, b := argVerbs(zh), argVerbs(catalogues[EN][k])
		if strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s: zh-TW has %v, en has %v", k, a, b)
		}
	}
}

var verbRE = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0-9.]*([a-zA-Z%])`)

// argVerbs lists a text's verbs as "argument:verb", sorted by argument,
// numbering arguments as fmt does.
func argVerbs(s string) []string {
	var out []string
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(s, -1) {
		if m[2] == "%" {
			continue
		}
		n := next
		if m[1] != "" {
			n, _ = strconv.Atoi(m[1])
		}
		next = n + 1
		out = append(out, fmt.Sprintf("%02d:%s", n, m[2]))
	}
	sort.Strings(out)
	return out
}

// requireKeys fails for each key that a catalogue lacks.
func requireKeys(t *testing.T, where string, keys map[string]bool) {
	t.Helper()
	if len(keys) == 0 {
		t.Fatalf("no keys found in %s; has the layout changed?", where)
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		for _, lang := range Langs {
			if !Has(lang, k) {
				t.Errorf("%s uses %q, missing in %s.json", where, k, lang)
			}
		}
	}
}

// scan collects the first group of re over the files matching glob.
func scan(t *testing.T, re *regexp.Regexp, globs ...string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, g := range globs {
		files, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				keys[m[1]] = true
			}
		}
	}
	return keys
}

// Every {{t "key"}} of the templates exists in both languages.
func TestTemplateKeys(t *testing.T) {
	re := regexp.MustCompile(`\{\{-?\s*t\s+"([^"]+)"`)
	requireKeys(t, "web/templates", scan(t, re, "../web/templates/*.html"))
}

// Every key the shop's errors carry exists in both languages: the web
// layer shows shop.ErrorKey(err) to people.
func TestErrorKeys(t *testing.T) {
	re := regexp.MustCompile(`"((?:checkout|cart|auth|callback|error|admin|apikey)\.[a-z_.]+)"`)
	requireKeys(t, "shop, storage, payment", scan(t, re, "../shop/*.go", "../storage/*.go", "../payment/*.go"))
}

// Keys written in the web layer's Go code (page titles, messages) exist
// too. File names such as "cart.js" are not keys.
func TestWebKeys(t *testing.T) {
	re := regexp.MustCompile(`"([a-z_]+\.[a-z_.]+)"`)
	keys := scan(t, re, "../web/*.go")
	for k := range keys {
		if ext := filepath.Ext(k); ext == ".js" || ext == ".css" || ext == ".html" || ext == ".json" {
			delete(keys, k)
		}
	}
	requireKeys(t, "web", keys)
}

// Every code of the shop has a word in both languages.
func TestCodesHaveWords(t *testing.T) {
	keys := map[string]bool{"code.unknown": true}
	for _, s := range shop.Statuses {
		keys["status."+string(s)] = true
	}
	for _, e := range shop.Events {
		keys["event."+string(e)] = true
	}
	for _, p := range shop.PayTypes {
		keys["paytype."+string(p)] = true
	}
	for _, s := range shop.Sources {
		keys["source."+string(s)] = true
	}
	requireKeys(t, "shop codes", keys)
}

func TestT(t *testing.T) {
	if got := T(ZH, "orders.page_of", 2, 5); got != "第 2 頁 / 共 5 頁" {
		t.Errorf("zh page_of = %q", got)
	}
	if got := T(EN, "orders.page_of", 2, 5); got != "Page 2 of 5" {
		t.Errorf("en page_of = %q", got)
	}
	if got := T(ZH, "no.such_key"); got != "no.such_key" {
		t.Errorf("missing key = %q", got)
	}
	if got := T("fr", "nav.orders"); got != "我的訂單" {
		t.Errorf("unsupported language = %q", got)
	}
	if got := T(ZH, "nav.brand"); got != "庫米狗屋 ● KummyShop" {
		t.Errorf("brand = %q", got)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct{ accept, cookie, want string }{
		{"", "", ZH},
		{"en", "", EN},
		{"en-US,en;q=0.9", "", EN},
		{"EN-gb", "", EN},
		{"zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "", ZH},
		{"zh-Hant", "", ZH},
		{"fr-FR,fr;q=0.9,en;q=0.8", "", EN},
		{"fr-FR", "", ZH},
		{"ja;q=0.9,zh;q=0.5,en;q=0.8", "", EN},
		{"en;q=0.1,zh-TW;q=0.2", "", ZH},
		{"en;q=0", "", ZH},
		{"en;q=x", "", ZH},
		{"en", "zh-TW", ZH},
		{"zh-TW", "en", EN},
		{"en", "de", EN},
		{"zh-TW", "<script>", ZH},
	} {
		if got := Match(c.accept, c.cookie); got != c.want {
			t.Errorf("Match(%q, %q) = %q, want %q", c.accept, c.cookie, got, c.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for m, want := range map[shop.Money]string{
		0:         "NT$0",
		7:         "NT$7",
		999:       "NT$999",
		1000:      "NT$1,000",
		1234:      "NT$1,234",
		30000:     "NT$30,000",
		1234567:   "NT$1,234,567",
		100000000: "NT$100,000,000",
		-1234:     "-NT$1,234",
	} {
		for _, lang := range Langs {
			if got := Money(lang, m); got != want {
				t.Errorf("Money(%s, %d) = %q, want %q", lang, m, got, want)
			}
		}
	}
}

func TestConverters(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Status(ZH, shop.StatusWaiting), "尚未付款"},
		{Status(ZH, shop.StatusPaid), "付款成功"},
		{Status(ZH, shop.StatusFailed), "付款失敗"},
		{Status(EN, shop.StatusPaid), "Paid"},
		{Status(ZH, "Q"), "未知（Q）"},
		{Status(EN, "Q"), "unknown (Q)"},
		{Status(ZH, ""), "未知（）"},
		{PayType(ZH, shop.PayATM), "ATM轉帳"},
		{PayType(ZH, shop.PayCard), "信用卡"},
		{PayType(EN, shop.PayCard), "Credit card"},
		{PayType(EN, "L"), "unknown (L)"},
		{Event(ZH, shop.EventPaid), "付款成功"},
		{Event(EN, shop.EventFailed), "Card payment failed"},
		{Event(ZH, "boom"), "未知（boom）"},
		{Source(ZH, shop.SourceNotify), "銀行通知"},
		{Source(EN, shop.SourceReturn), "Return from the card page"},
		{Source(EN, "fax"), "unknown (fax)"},
		{Status("fr", shop.StatusPaid), "付款成功"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
