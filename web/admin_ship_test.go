package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/shop"
)

// A paid order with a delivery waits in "to ship"; the back office marks
// it shipped with a carrier and tracking number (a wrong one brings the
// form back, saying why beside the field), its customer sees them and is
// written to; marking twice is refused; taking it back puts it in "to
// ship" again. The packing list shows where each order goes and what to
// put in the box.
func TestAdminShipping(t *testing.T) {
	r := newRig(t)
	b := r.signup("parcel@example.com")
	o := r.paidCard(b)
	a := r.adminBrowser("boss@example.com")
	page := "/admin/orders/" + o.No

	p := a.get("/admin/orders?status=to_ship")
	mustContain(t, p.Body, `data-no="`+o.No+`"`, `id="pick-`+o.No+`"`)
	p = a.post(page+"/ship", url.Values{"carrier": {"黑貓宅急便"}, "tracking": {"9012 3456"}})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("bad tracking number: %d", p.Status)
	}
	mustContain(t, p.Body, `id="tracking-error"`, `value="黑貓宅急便"`)
	if p = a.post(page+"/ship", url.Values{"carrier": {"黑貓宅急便"}, "tracking": {"9012-3456-7890"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("ship: %d %s", p.Status, p.Body)
	}
	mustContain(t, a.get(page).Body, `id="shipped"`, "9012-3456-7890", `id="unship"`)
	mustContain(t, b.get("/orders/"+o.No).Body, `id="shipped"`, "黑貓宅急便", "9012-3456-7890")
	if p = a.post(page+"/ship", url.Values{"carrier": {"中華郵政"}, "tracking": {"1"}}); p.Status != http.StatusConflict {
		t.Fatalf("shipped twice: %d", p.Status)
	}
	mustNotContain(t, a.get("/admin/orders?status=to_ship").Body, `data-no="`+o.No+`"`)
	ms := r.kept("parcel@example.com")
	if len(ms) != 3 || ms[0].Kind != shop.MailShipped || !strings.Contains(ms[0].Text, "9012-3456-7890") || !strings.Contains(ms[0].Text, "重慶南路一段122號") {
		t.Fatalf("messages: %+v", ms)
	}

	p = a.get("/admin/packing?no=" + o.No)
	if p.Status != http.StatusOK {
		t.Fatalf("packing list: %d", p.Status)
	}
	mustContain(t, p.Body, `id="slip-`+o.No+`"`, "王小明", "100 臺北市中正區重慶南路一段122號", "0912345678")
	if p = a.get("/admin/packing"); p.Status != http.StatusBadRequest {
		t.Fatalf("empty packing list: %d", p.Status)
	}

	if p = a.post(page+"/unship", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("unship: %d", p.Status)
	}
	mustContain(t, a.get("/admin/orders?status=to_ship").Body, `data-no="`+o.No+`"`)
	evs, err := r.db.Events(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Event != shop.EventUnshipped || evs[len(evs)-2].Event != shop.EventShipped {
		t.Fatalf("timeline ends %v", evs[len(evs)-2:])
	}
	if p = a.post(page+"/unship", nil); p.Status != http.StatusConflict {
		t.Fatalf("unship twice: %d", p.Status)
	}
	if p = b.post(page+"/ship", url.Values{"carrier": {"x"}, "tracking": {"1"}}); p.Status == http.StatusSeeOther {
		t.Fatal("a customer marked an order shipped")
	}
}
