package web

import (
	"net/http"
	"net/url"
	"testing"
)

// zh-TW by default; English for browsers that prefer it; the switch
// remembers a choice in a cookie that wins over the browser.
func TestLanguages(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	p := b.get("/")
	mustContain(t, p.Body, `<html lang="zh-TW">`, "抹茶狗骨頭", "回狗屋", `href="/lang/en?next=%2f"`)

	b.header.Set("Accept-Language", "en-US,en;q=0.9,zh-TW;q=0.8")
	p = b.get("/")
	mustContain(t, p.Body, `<html lang="en">`, "Matcha dog bone", "My orders", "Log in")
	mustNotContain(t, p.Body, "抹茶狗骨頭")

	p = b.get("/lang/zh-TW?next=" + url.QueryEscape("/login?next=/orders"))
	if p.Status != http.StatusSeeOther || p.Location != "/login?next=/orders" {
		t.Fatalf("switch: %d %q", p.Status, p.Location)
	}
	c := sessionlessCookie(t, p, langCookie)
	if c.Value != "zh-TW" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("lang cookie %+v", c)
	}
	p = b.get("/login?next=/orders")
	mustContain(t, p.Body, `<html lang="zh-TW">`, "登入", `href="/lang/en?next=%2flogin%3fnext%3d%2forders"`)

	// Pages that need the customer speak English too.
	b.get("/lang/en")
	e := r.signup("en@example.com")
	e.header.Set("Accept-Language", "en")
	o := e.get("/orders")
	mustContain(t, o.Body, "My orders", "No orders yet.")
}

func sessionlessCookie(t *testing.T, p *page, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie", name)
	return nil
}
