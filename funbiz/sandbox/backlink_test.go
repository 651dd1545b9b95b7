package sandbox_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// The card and ATM pages link back to the site of the order's ReturnURL,
// so a buyer who does not pay now is not left on the bank's page.
func TestPagesLinkBackToTheShop(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("B1", `{"AutoBilling":"Y"}`)); a.Status != "S" {
		t.Fatal(a.Description)
	}
	b := r.browser()
	_, body := get(t, b, r.cardURL("B1"))
	checkPage(t, body)
	if !strings.Contains(body, `id="back-to-shop" href="https://shop.example/"`) || !strings.Contains(body, "回到商店") {
		t.Fatalf("the card page has no link back to the shop:\n%s", body)
	}
	if _, body = get(t, b, r.cardURL("B1")+"?lang=en"); !strings.Contains(body, "Back to the shop") {
		t.Fatal("the English card page has no link back to the shop")
	}

	a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("B2", `"PrdtName"`, `"ReturnURL":"http://127.0.0.1:8080/funbiz/return","PrdtName"`))
	var m struct{ ATMParam struct{ AtmPayNo string } }
	if a.Status != "S" || json.Unmarshal(a.Message, &m) != nil {
		t.Fatal(a.Description)
	}
	_, body = get(t, b, r.srv.URL+"/_sandbox/atm/"+m.ATMParam.AtmPayNo+"?lang=zh-TW")
	checkPage(t, body)
	if !strings.Contains(body, `id="back-to-shop" href="http://127.0.0.1:8080/"`) || !strings.Contains(body, "回到商店") {
		t.Fatalf("the ATM page has no link back to the shop:\n%s", body)
	}
	// Without a ReturnURL there is nowhere to link to.
	no := r.createATM("B3", "20260305")
	if _, body = get(t, b, r.srv.URL+"/_sandbox/atm/"+no); strings.Contains(body, "back-to-shop") {
		t.Fatal("a link back without a ReturnURL")
	}
}
