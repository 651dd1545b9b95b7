package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

var (
	htmlLangRE    = regexp.MustCompile(`<html lang="([^"]*)">`)
	descriptionRE = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)
	canonicalRE   = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
	robotsRE      = regexp.MustCompile(`<meta name="robots" content="([^"]*)">`)
)

// head is what a page tells browsers and search engines about itself.
type head struct {
	Lang, Description, Canonical, Robots string
	Descriptions, Canonicals             int
}

func readHead(body string) head {
	var h head
	if m := htmlLangRE.FindStringSubmatch(body); m != nil {
		h.Lang = m[1]
	}
	ds := descriptionRE.FindAllStringSubmatch(body, -1)
	if h.Descriptions = len(ds); len(ds) > 0 {
		h.Description = html.UnescapeString(ds[0][1])
	}
	cs := canonicalRE.FindAllStringSubmatch(body, -1)
	if h.Canonicals = len(cs); len(cs) > 0 {
		h.Canonical = html.UnescapeString(cs[0][1])
	}
	if m := robotsRE.FindStringSubmatch(body); m != nil {
		h.Robots = m[1]
	}
	return h
}

// metaPage is one page of the shop as a test opens it, and what its head
// must say.
type metaPage struct {
	name      string
	who       *browser // nil: a visitor
	path      string
	status    int
	desc      func(lang string) string // the description, in lang
	canonical string                   // the path of the canonical URL
	secret    string                   // what the canonical URL must never hold
}

func words(key string, args ...any) func(string) string {
	return func(lang string) string { return locale.T(lang, key, args...) }
}

// Every page of the shop, in both languages, has a description in its
// language, a canonical URL on the shop's base URL (its path, with only
// the query that chooses what the page shows, never a secret), and the
// lang of the language it is written in.
func TestPageMetadata(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, lang := range locale.Langs {
		t.Run(lang, func(t *testing.T) {
			setLang := func(b *browser) *browser { b.header.Set("Accept-Language", lang); return b }
			email := "meta-" + strings.ToLower(lang) + "@example.com"
			visitor := setLang(r.browser())
			cust := setLang(r.signup(email))
			admin := setLang(r.adminBrowser("boss-" + strings.ToLower(lang) + "@example.com"))

			atm := cust.order(map[string]int{"bone-matcha": 2}, shop.PayATM)
			card := cust.order(map[string]int{"bone-matcha": 1}, shop.PayCard)
			tok := r.bank.PayCard(card.No, sandbox.OutcomeDecline)
			if p := r.bankReturn(tok); p.Status != http.StatusSeeOther {
				t.Fatalf("the card's return: %d", p.Status)
			}
			// A return the bank has not confirmed yet waits on its page.
			wait, err := r.db.RecordPayToken(ctx, storage.NewDelivery{Token: strings.Repeat(lang[:1], 64), ShopNo: r.bank.ShopNo,
				Source: shop.SourceReturn, HeldUntil: time.Now().Add(time.Hour), At: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			// A password reset's link, as mailed.
			if p := visitor.post("/password/forgot", url.Values{"email": {email}}); p.Status != http.StatusOK {
				t.Fatalf("forgot: %d", p.Status)
			}
			ms := r.kept(email)
			if len(ms) == 0 {
				t.Fatal("no reset message")
			}
			link := resetLinkRE.FindString(ms[0].Text)
			if link == "" {
				t.Fatalf("no reset link in %s", ms[0].Text)
			}
			// An API payment's hosted page.
			_, pay, _ := r.apiCall("POST", "/api/v1/payments", r.apiKey(shop.APITest), `{"amount": 900, "method": "atm", "description": "meta"}`, nil)
			payID, _ := pay["id"].(string)
			if payID == "" {
				t.Fatalf("no API payment: %v", pay)
			}
			bone := r.product("bone-matcha")

			pages := []metaPage{
				{name: "catalogue", path: "/", desc: words("meta.catalogue"), canonical: "/"},
				{name: "catalogue back from checkout", path: "/?" + r.q("bone-matcha") + "=2", desc: words("meta.catalogue"), canonical: "/"},
				{name: "product", path: "/products/bone-matcha", desc: func(l string) string { return locale.T(l, "meta.product", bone.Name(l)) }, canonical: "/products/bone-matcha"},
				{name: "checkout", who: cust, path: "/checkout?" + r.q("bone-matcha") + "=1", desc: words("meta.checkout"), canonical: "/checkout"},
				{name: "signup", path: "/signup?next=%2Forders", desc: words("meta.signup"), canonical: "/signup"},
				{name: "login", path: "/login?next=%2Forders", desc: words("meta.login"), canonical: "/login"},
				{name: "forgot", path: "/password/forgot", desc: words("meta.forgot"), canonical: "/password/forgot"},
				{name: "reset", path: link, desc: words("meta.reset"), canonical: "/password/forgot", secret: strings.TrimPrefix(link, "/password/reset/")},
				{name: "reset, a bad link", path: "/password/reset/" + strings.Repeat("0", 32), status: http.StatusNotFound, desc: words("meta.reset"), canonical: "/password/forgot", secret: strings.Repeat("0", 32)},
				{name: "my orders", who: cust, path: "/orders", desc: words("meta.orders"), canonical: "/orders"},
				{name: "my orders, page 1", who: cust, path: "/orders?page=1&utm_source=mail", desc: words("meta.orders"), canonical: "/orders?page=1"},
				{name: "an ATM order", who: cust, path: "/orders/" + atm.No, desc: words("meta.order"), canonical: "/orders/" + atm.No},
				{name: "a card result", who: cust, path: "/orders/" + card.No + "/result", desc: words("meta.result"), canonical: "/orders/" + card.No + "/result"},
				{name: "waiting for the bank", who: cust, path: "/payments/" + wait.Ref, desc: words("meta.payment"), canonical: "/", secret: wait.Ref},
				{name: "hosted payment page", path: "/pay/" + payID, desc: words("meta.pay"), canonical: "/", secret: payID},
				{name: "not found", path: "/no/such/page", status: http.StatusNotFound, desc: words("meta.error"), canonical: "/no/such/page"},
				{name: "an unknown hosted payment", path: "/pay/pay_000000000000000000000000", status: http.StatusNotFound, desc: words("meta.error"), canonical: "/", secret: "pay_000000000000000000000000"},
				{name: "someone else's order", who: setLang(r.signup("other-" + strings.ToLower(lang) + "@example.com")), path: "/orders/" + atm.No, status: http.StatusNotFound, desc: words("meta.error"), canonical: "/orders/" + atm.No},
				{name: "back office orders", who: admin, path: "/admin/orders?status=W&sort=x", desc: words("meta.admin"), canonical: "/admin/orders?status=W"},
				{name: "back office order", who: admin, path: "/admin/orders/" + atm.No, desc: words("meta.admin"), canonical: "/admin/orders/" + atm.No},
				{name: "back office products", who: admin, path: "/admin/products", desc: words("meta.admin"), canonical: "/admin/products"},
				{name: "back office jobs", who: admin, path: "/admin/jobs", desc: words("meta.admin"), canonical: "/admin/jobs"},
				{name: "back office reports", who: admin, path: "/admin/reports", desc: words("meta.admin"), canonical: "/admin/reports"},
				{name: "back office mail", who: admin, path: "/admin/mail", desc: words("meta.admin"), canonical: "/admin/mail"},
				{name: "back office API keys", who: admin, path: "/admin/apikeys", desc: words("meta.admin"), canonical: "/admin/apikeys"},
				{name: "back office not found", who: admin, path: "/admin/nothing", status: http.StatusNotFound, desc: words("meta.admin"), canonical: "/admin/nothing"},
			}
			for _, pg := range pages {
				b := pg.who
				if b == nil {
					b = visitor
				}
				want := pg.status
				if want == 0 {
					want = http.StatusOK
				}
				p := b.get(pg.path)
				if p.Status != want {
					t.Errorf("%s (%s): HTTP %d, want %d", pg.name, pg.path, p.Status, want)
					continue
				}
				h := readHead(p.Body)
				if h.Lang != lang {
					t.Errorf("%s: <html lang=%q>, want %q", pg.name, h.Lang, lang)
				}
				if wantDesc := pg.desc(lang); h.Descriptions != 1 || h.Description != wantDesc || strings.TrimSpace(wantDesc) == "" {
					t.Errorf("%s: %d description(s), %q; want one, %q", pg.name, h.Descriptions, h.Description, wantDesc)
				}
				if other := pg.desc(otherLang(lang)); h.Description == other {
					t.Errorf("%s: the description is in the other language: %q", pg.name, h.Description)
				}
				if wantURL := r.srv.URL + pg.canonical; h.Canonicals != 1 || h.Canonical != wantURL {
					t.Errorf("%s: %d canonical URL(s), %q; want one, %q", pg.name, h.Canonicals, h.Canonical, wantURL)
				}
				if pg.secret != "" {
					if strings.Contains(h.Canonical, pg.secret) {
						t.Errorf("%s: the canonical URL %q holds the page's secret", pg.name, h.Canonical)
					}
					if h.Robots != "noindex" {
						t.Errorf("%s: robots %q, want noindex for a page whose URL is a secret", pg.name, h.Robots)
					}
				}
			}
		})
	}
}

func otherLang(lang string) string {
	if lang == locale.EN {
		return locale.ZH
	}
	return locale.EN
}

// The canonical URL is on the configured base URL, not on the host the
// request came to: a shop behind a proxy, or reached by its IP, still
// names its one public address.
func TestCanonicalUsesBaseURL(t *testing.T) {
	s := &Server{baseURL: "https://shop.example.tw"}
	for _, c := range []struct{ target, want string }{
		{"http://10.0.0.7:8080/products/bone-matcha?x=1", "https://shop.example.tw/products/bone-matcha"},
		{"http://10.0.0.7:8080/orders?page=3&x=1", "https://shop.example.tw/orders?page=3"},
		{"http://10.0.0.7:8080/orders/K1%2F2", "https://shop.example.tw/orders/K1%2F2"},
		{"http://10.0.0.7:8080/password/reset/abc", "https://shop.example.tw/password/forgot"},
	} {
		r, err := http.NewRequest(http.MethodGet, c.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.canonicalURL(r); got != c.want {
			t.Errorf("%s: canonical %q, want %q", c.target, got, c.want)
		}
	}
}
