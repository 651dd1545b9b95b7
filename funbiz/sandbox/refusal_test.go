package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

const otherShop = "NA0001_001"

var otherHash = funbiz.Hash{A1: "65960834240E44B7", A2: "2831076A098E49E7", B1: "CB1AFFBF915A492B", B2: "7F242C0AA612454F"}

// atmMsg is a valid OrderCreate message built by hand, with one member
// replaced or added by the caller.
func atmMsg(orderNo string, replace ...string) string {
	m := `{"ShopNo":"NA0249_001","OrderNo":"` + orderNo + `","Amount":10000,"CurrencyID":"TWD","PayType":"A","ATMParam":{"ExpireDate":"20260310"},"CardParam":{},"PrdtName":"測試訂單"}`
	for i := 0; i+1 < len(replace); i += 2 {
		m = strings.Replace(m, replace[i], replace[i+1], 1)
	}
	return m
}

func cardMsg(orderNo string, card string, replace ...string) string {
	m := `{"ShopNo":"NA0249_001","OrderNo":"` + orderNo + `","Amount":10000,"CurrencyID":"TWD","PayType":"C","ATMParam":{},"CardParam":` + card + `,"PrdtName":"卡","ReturnURL":"https://shop.example/r"}`
	for i := 0; i+1 < len(replace); i += 2 {
		m = strings.Replace(m, replace[i], replace[i+1], 1)
	}
	return m
}

// Every refusal answers its code and changes nothing.
func TestRefusals(t *testing.T) {
	r := newRig(t, sandbox.Options{Merchants: []sandbox.Merchant{{ShopNo: otherShop, Hash: otherHash}}})
	otherKeys, _ := funbiz.NewKeys(otherHash)

	// Orders the state-dependent cases need.
	for _, m := range []string{atmMsg("DUP1"), cardMsg("CY", `{"AutoBilling":"Y"}`), cardMsg("CN", `{"AutoBilling":"N"}`), cardMsg("CC", `{"AutoBilling":"N"}`)} {
		if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", m); a.Status != "S" {
			t.Fatalf("setup: %s", a.Message)
		}
	}
	for _, no := range []string{"CY", "CN", "CC"} {
		if _, err := r.sb.PayCard(sandbox.DemoShopNo, no, sandbox.OutcomeSuccess, sandbox.Card{}, "setup"); err != nil {
			t.Fatal(err)
		}
	}
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"CC","Command":"C"}`); a.Status != "S" {
		t.Fatalf("setup cancel: %s", a.Message)
	}

	// envelope builds a request by hand; edit may change anything.
	envelope := func(shopNo string, keys *funbiz.Keys, service, msg string, edit func(map[string]string)) []byte {
		nonce := r.nonce(shopNo)
		sign, _ := keys.Sign(nonce, []byte(msg))
		env := map[string]string{"Version": "1.0.0", "ShopNo": shopNo, "APIService": service, "Sign": sign, "Nonce": nonce, "Message": keys.Encrypt(nonce, []byte(msg))}
		if edit != nil {
			edit(env)
		}
		b, _ := json.Marshal(env)
		return b
	}
	query := `{"ShopNo":"NA0249_001","OrderNo":"DUP1"}`

	cases := []struct {
		name  string
		code  string
		plain bool
		// do sends the request and returns the answer.
		do func() *answer
		// detail, when set, must appear in the Description.
		detail string
	}{
		{name: "unknown ShopNo", code: "E0101", plain: true, do: func() *answer {
			return r.open(r.keys, []byte(`{"Version":"1.0.0","ShopNo":"ZZ9999_001","APIService":"OrderQuery","Sign":"00","Nonce":"x","Message":"00"}`), nil)
		}},
		{name: "nonce never issued", code: "E0102", do: func() *answer {
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) {
				e["Nonce"] = "NjM3NzI3NDIzMDYxNTkuODo2ZjdkZWRjZjNhMTNjMThhNWZlNjU2ZTk5OWYxOTM5MTE1ZTZhNjlkYmU2ZDg2MmNmOWUzYTRmNTVhYmI1Yzkx"
				s, _ := r.keys.Sign(e["Nonce"], []byte(query))
				e["Sign"], e["Message"] = s, r.keys.Encrypt(e["Nonce"], []byte(query))
			}), nil)
		}},
		{name: "nonce reused", code: "E0102", detail: "already used", do: func() *answer {
			body := envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, nil)
			if a := r.open(r.keys, body, nil); a.Status != "S" {
				t.Fatalf("first use refused: %s", a.Description)
			}
			return r.open(r.keys, body, nil)
		}},
		{name: "nonce expired", code: "E0102", detail: "expired", do: func() *answer {
			body := envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, nil)
			r.clock.Advance(61 * time.Second)
			return r.open(r.keys, body, nil)
		}},
		{name: "nonce of another shop", code: "E0102", detail: "another ShopNo", do: func() *answer {
			theirs := r.nonce(otherShop)
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) {
				s, _ := r.keys.Sign(theirs, []byte(query))
				e["Nonce"], e["Sign"], e["Message"] = theirs, s, r.keys.Encrypt(theirs, []byte(query))
			}), nil)
		}},
		{name: "message not hex", code: "E0104", do: func() *answer {
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) { e["Message"] = "XYZ" }), nil)
		}},
		{name: "message under other keys", code: "E0104", do: func() *answer {
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) {
				e["Message"] = otherKeys.Encrypt(e["Nonce"], []byte(query))
			}), nil)
		}},
		{name: "message not JSON", code: "E0104", do: func() *answer {
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) {
				e["Message"] = r.keys.Encrypt(e["Nonce"], []byte("not json"))
			}), nil)
		}},
		{name: "sign mismatch", code: "E0105", detail: "[OrderNo=DUP1&ShopNo=NA0249_001]", do: func() *answer {
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) {
				e["Sign"] = strings.Repeat("A", 64)
			}), nil)
		}},
		{name: "sign over another amount", code: "E0105", detail: "Amount=10000&", do: func() *answer {
			msg := atmMsg("NEW1")
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderCreate", msg, func(e map[string]string) {
				s, _ := r.keys.Sign(e["Nonce"], []byte(strings.Replace(msg, "10000", "20000", 1)))
				e["Sign"] = s
			}), nil)
		}},
		{name: "wrong version", code: "E0106", do: func() *answer {
			return r.open(r.keys, envelope(sandbox.DemoShopNo, r.keys, "OrderQuery", query, func(e map[string]string) { e["Version"] = "2.0.0" }), nil)
		}},
		{name: "unknown service", code: "E0107", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderDelete", query)
		}},
		{name: "body not JSON", code: "E0108", plain: true, do: func() *answer {
			return r.open(r.keys, []byte("ShopNo=NA0249_001"), nil)
		}},
		{name: "body too large", code: "E0108", plain: true, do: func() *answer {
			return r.open(r.keys, []byte(`{"ShopNo":"NA0249_001","Message":"`+strings.Repeat("0", 1<<20)+`"}`), nil)
		}},
		{name: "ShopNo in message differs", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderQuery", `{"ShopNo":"NA0001_001","OrderNo":"DUP1"}`)
		}},
		{name: "OrderNo missing", code: "E0201", detail: "OrderNo", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("X", `"OrderNo":"X",`, ""))
		}},
		{name: "PrdtName missing", code: "E0201", detail: "PrdtName", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", `,"PrdtName":"測試訂單"`, ""))
		}},
		{name: "ATM ExpireDate missing", code: "E0201", detail: "ATMParam.ExpireDate", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", `{"ExpireDate":"20260310"}`, `{}`))
		}},
		{name: "card ReturnURL missing", code: "E0201", detail: "ReturnURL", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("R1", `{"AutoBilling":"Y"}`, `,"ReturnURL":"https://shop.example/r"`, ""))
		}},
		{name: "OrderQuery without filter", code: "E0201", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderQuery", `{"ShopNo":"NA0249_001"}`)
		}},
		{name: "OrderNo over 50", code: "E0202", detail: "OrderNo", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg(strings.Repeat("1", 51)))
		}},
		{name: "OrderNo with a quote", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg(`A'1`))
		}},
		{name: "PrdtName over 60 bytes", code: "E0202", detail: "63 bytes", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", "測試訂單", strings.Repeat("商", 21)))
		}},
		{name: "amount over the most the client allows", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", `"Amount":10000`, `"Amount":10000000000`))
		}},
		{name: "amount not whole NT$", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", `"Amount":10000`, `"Amount":10050`))
		}},
		{name: "amount negative", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", `"Amount":10000`, `"Amount":-100`))
		}},
		{name: "ExpireDate not a date", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", "20260310", "20260231"))
		}},
		{name: "ExpireDate in the past", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", "20260310", "20260301"))
		}},
		{name: "ExpMinutes 31", code: "E0202", detail: "ExpMinutes", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("R1", `{"AutoBilling":"Y","ExpMinutes":31}`))
		}},
		{name: "ExpMinutes 0", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("R1", `{"AutoBilling":"Y","ExpMinutes":0}`))
		}},
		{name: "ExpBillingDays 8", code: "E0202", detail: "ExpBillingDays", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("R1", `{"AutoBilling":"N","ExpBillingDays":8}`))
		}},
		{name: "query time malformed", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderQuery", `{"ShopNo":"NA0249_001","OrderDateTimeS":"2026030200","OrderDateTimeE":"202603022359"}`)
		}},
		{name: "BillDate malformed", code: "E0202", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "BillQuery", `{"ShopNo":"NA0249_001","BillDate":"260302"}`)
		}},
		{name: "PayTypeSub not ONE", code: "E0602", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("R1", `{"AutoBilling":"Y","PayTypeSub":"INST"}`))
		}},
		{name: "PayType M", code: "E0602", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("R1", `"PayType":"A"`, `"PayType":"M"`))
		}},
		{name: "OrderNo repeated", code: "E0301", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("DUP1", `"Amount":10000`, `"Amount":20000`))
		}},
		{name: "unknown PayToken", code: "E0302", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderPayQuery", `{"ShopNo":"NA0249_001","PayToken":"`+strings.Repeat("ab", 32)+`"}`)
		}},
		{name: "PayToken of another shop", code: "E0302", do: func() *answer {
			tok := r.sb.Payments(sandbox.Filter{OrderNo: "CY"})[0].PayToken
			return r.send(otherShop, otherKeys, "OrderPayQuery", `{"ShopNo":"NA0001_001","PayToken":"`+tok+`"}`)
		}},
		{name: "maintain unknown order", code: "E0302", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"NOPE","Command":"R"}`)
		}},
		{name: "refund more than paid", code: "E0303", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"CY","Command":"R","Amount":10100}`)
		}},
		{name: "capture after cancel", code: "E0303", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"CC","Command":"P"}`)
		}},
		{name: "cancel after capture", code: "E0303", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"CY","Command":"C"}`)
		}},
		{name: "capture an AutoBilling Y order", code: "E0303", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"CY","Command":"P"}`)
		}},
		{name: "refund an uncaptured order", code: "E0303", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"CN","Command":"R"}`)
		}},
		{name: "maintain an ATM order", code: "E0303", do: func() *answer {
			return r.send(sandbox.DemoShopNo, r.keys, "OrderMaintain", `{"ShopNo":"NA0249_001","OrderNo":"DUP1","Command":"R"}`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := r.state()
			a := c.do()
			if a.HTTP != http.StatusOK {
				t.Fatalf("HTTP %d", a.HTTP)
			}
			if a.code() != c.code || a.Status != "F" {
				t.Fatalf("answer %s %q, want %s", a.Status, a.Description, c.code)
			}
			if a.Plain != c.plain {
				t.Fatalf("plain answer = %v, want %v", a.Plain, c.plain)
			}
			if !strings.Contains(a.Description, " – ") {
				t.Fatalf("Description %q is not in the bank's form", a.Description)
			}
			if c.detail != "" && !strings.Contains(a.Description, c.detail) {
				t.Fatalf("Description %q does not mention %q", a.Description, c.detail)
			}
			if after := r.state(); after != before {
				t.Fatalf("state changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	// The dashboard's refusal list shows the computed sign string.
	found := false
	for _, rf := range r.sb.Refusals() {
		if strings.HasPrefix(rf.Description, "E0105") && rf.SignString == "OrderNo=DUP1&ShopNo=NA0249_001" {
			found = true
		}
	}
	if !found {
		t.Fatal("no refusal record carries the computed sign string")
	}
}

// With a KeyID configured, both /Nonce and /Order require it.
func TestKeyID(t *testing.T) {
	r := newRig(t, sandbox.Options{KeyID: "b5e6986d-8636-4aa0-8c93-441ad14b2098"})
	for _, h := range []http.Header{nil, {"X-Keyid": {"wrong"}}} {
		_, body := r.post(sandbox.APIPrefix+"/Nonce", []byte(`{"ShopNo":"NA0249_001"}`), h)
		if !strings.Contains(string(body), `"Description":"E0103 – `) {
			t.Fatalf("/Nonce with header %v: %s", h, body)
		}
		a := r.open(r.keys, []byte(`{"Version":"1.0.0","ShopNo":"NA0249_001","APIService":"OrderQuery","Sign":"00","Nonce":"x","Message":"00"}`), h)
		if !a.Plain || a.code() != "E0103" {
			t.Fatalf("/Order with header %v: %+v", h, a)
		}
	}
	c, _ := funbiz.NewClient(funbiz.Config{BaseURL: r.api(), ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), KeyID: "b5e6986d-8636-4aa0-8c93-441ad14b2098", HTTPClient: r.srv.Client()})
	if _, _, err := c.FindOrder(t.Context(), "X1"); err != nil {
		t.Fatalf("with the right X-KeyID: %v", err)
	}
	// An unknown shop on /Nonce is a plain refusal too.
	_, body := r.post(sandbox.APIPrefix+"/Nonce", []byte(`{"ShopNo":"ZZ"}`), http.Header{"X-Keyid": {"b5e6986d-8636-4aa0-8c93-441ad14b2098"}})
	if !strings.Contains(string(body), "E0101") {
		t.Fatalf("unknown shop on /Nonce: %s", body)
	}
}
