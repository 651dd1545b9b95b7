package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The back office makes a key and shows its secret on that answer only
// (uncached), lists it by its last four characters, adds and removes its
// webhook endpoints (a private address for a live key refused beside the
// field), and revokes it; a customer cannot reach any of it.
func TestAdminAPIKeys(t *testing.T) {
	r := newRig(t)
	a := r.adminBrowser("boss@example.com")
	mustContain(t, a.get("/admin/apikeys").Body, `id="no-keys"`, `href="/admin/apikeys"`)

	p := a.post("/admin/apikeys", url.Values{"name": {"  "}, "mode": {"test"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("a key without a name: %d", p.Status)
	}
	mustContain(t, p.Body, `id="name-error"`, `aria-invalid="true"`)
	if p = a.post("/admin/apikeys", url.Values{"name": {"x"}, "mode": {"prod"}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="mode-error"`) {
		t.Fatalf("mode prod: %d", p.Status)
	}

	p = a.post("/admin/apikeys", url.Values{"name": {"<b>Woo</b> 本店"}, "mode": {"live"}})
	secret := regexp.MustCompile(`sk_live_[0-9a-f]{48}`).FindString(p.Body)
	if p.Status != http.StatusOK || secret == "" || p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("make: %d %q %q", p.Status, secret, p.Header.Get("Cache-Control"))
	}
	mustContain(t, p.Body, `id="made-whsec">whsec_`, "&lt;b&gt;Woo&lt;/b&gt; 本店")
	k, err := r.db.AuthAPIKey(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	list := a.get("/admin/apikeys")
	mustContain(t, list.Body, `id="key-`, "sk_live_…"+secret[len(secret)-4:])
	mustNotContain(t, list.Body, secret, `id="made"`)

	key := "/admin/apikeys/" + strconv.FormatInt(k.ID, 10)
	p = a.post(key+"/endpoints", url.Values{"url": {"https://10.0.0.5/hooks"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("a private endpoint for a live key: %d", p.Status)
	}
	mustContain(t, p.Body, `id="url-`+strconv.FormatInt(k.ID, 10)+`-error"`, `value="https://10.0.0.5/hooks"`)
	if p = a.post(key+"/endpoints", url.Values{"url": {"https://shop.example/hooks/sinopay"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("add endpoint: %d", p.Status)
	}
	eps, err := r.db.WebhookEndpoints(context.Background(), k.ID)
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints: %+v %v", eps, err)
	}
	mustContain(t, a.get("/admin/apikeys").Body, "https://shop.example/hooks/sinopay")
	if p = a.post(key+"/endpoints/"+strconv.FormatInt(eps[0].ID, 10)+"/remove", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("remove endpoint: %d", p.Status)
	}
	if p = a.post(key+"/endpoints/"+strconv.FormatInt(eps[0].ID, 10)+"/remove", nil); p.Status != http.StatusNotFound {
		t.Fatalf("remove it again: %d", p.Status)
	}

	if p = a.post(key+"/revoke", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.Status)
	}
	if _, err := r.db.AuthAPIKey(context.Background(), secret); err == nil {
		t.Fatal("a revoked key still opens")
	}
	mustContain(t, a.get("/admin/apikeys").Body, `data-revoked="true"`)
	if p = a.post("/admin/apikeys/999/revoke", nil); p.Status != http.StatusNotFound {
		t.Fatalf("revoke of no key: %d", p.Status)
	}

	// A customer gets the shop's 404, as for a page that does not exist.
	c := r.signup("kummy@example.com")
	if p = c.get("/admin/apikeys"); p.Status != http.StatusNotFound {
		t.Fatalf("a customer at the keys: %d", p.Status)
	}
	if p = c.post("/admin/apikeys", url.Values{"name": {"mine"}, "mode": {"test"}}); p.Status != http.StatusNotFound {
		t.Fatalf("a customer makes a key: %d", p.Status)
	}
}
