package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

var bankDescription = regexp.MustCompile(`^[SE]\d{4} – `)

// FuzzOrderRequest posts arbitrary bodies to /Order, and arbitrary
// messages sealed correctly under a fresh nonce (to get past the envelope
// checks into the message parser). Whatever comes in, the sandbox must not
// panic and must answer as the bank does: HTTP 200 with either a signed
// envelope whose message has a Status and a coded Description, or a plain
// {"Status":"F","Description":"E…"}.
func FuzzOrderRequest(f *testing.F) {
	keys, _ := funbiz.NewKeys(sandbox.DemoHash())
	sb, err := sandbox.New(sandbox.Options{BaseURL: "http://sandbox.test"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sb.Close() })

	f.Add([]byte(`{"Version":"1.0.0","ShopNo":"NA0249_001","APIService":"OrderQuery","Sign":"00","Nonce":"x","Message":"00"}`), []byte(`{"ShopNo":"NA0249_001","OrderNo":"A1"}`))
	f.Add([]byte(`{}`), []byte(`{"ShopNo":"NA0249_001","OrderNo":"A1","Amount":10000,"CurrencyID":"TWD","PayType":"A","ATMParam":{"ExpireDate":"29991231"},"PrdtName":"x"}`))
	f.Add([]byte(`[]`), []byte(`{"ShopNo":"NA0249_001","OrderNo":"C1","Amount":"10000","CurrencyID":"TWD","PayType":"C","CardParam":{"AutoBilling":"N","ExpBillingDays":3,"ExpMinutes":"30"},"PrdtName":"卡","ReturnURL":"https://a.example/r"}`))
	f.Add([]byte(`null`), []byte(`{"ShopNo":"NA0249_001","OrderNo":"C1","Command":"R","Amount":1e3}`))
	f.Add([]byte(``), []byte(`{"ShopNo":"NA0249_001","PayToken":null,"BillDate":"20260302","AllotDateS":"20260301","AllotDateE":"20260302"}`))
	f.Add([]byte("\xef\xbb\xbf{\"ShopNo\":\"NA0249_001\"}"), []byte(`{"ShopNo":"NA0249_001","ShopNo":"NA0249_001"}`))
	f.Add([]byte(`{"ShopNo":1,"Version":{}}`), []byte(`not json`))
	f.Add([]byte(`{"Version":"1.0.0","ShopNo":"NA0249_001","APIService":"OrderCreate","Nonce":"","Message":"ZZ"}`), []byte(`{"ShopNo":"NA0249_001","OrderNo":"\u0000\"'%","Amount":-1,"PayType":"A","ATMParam":[]}`))

	services := []string{"OrderCreate", "OrderQuery", "OrderPayQuery", "OrderMaintain", "OrderUnCapturedQuery", "BillQuery", "AllotQuery"}
	post := func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, sandbox.APIPrefix+"/Order", bytes.NewReader(body))
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, req)
		checkBankShaped(t, keys, w)
	}
	f.Fuzz(func(t *testing.T, body, message []byte) {
		post(t, body)

		// The same message, sealed properly, reaches the parsers.
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, httptest.NewRequest(http.MethodPost, sandbox.APIPrefix+"/Nonce", bytes.NewReader([]byte(`{"ShopNo":"NA0249_001"}`))))
		var n struct{ Nonce string }
		json.Unmarshal(w.Body.Bytes(), &n)
		sign, err := keys.Sign(n.Nonce, message)
		if err != nil {
			sign = "00"
		}
		env, _ := json.Marshal(funbiz.Envelope{Version: "1.0.0", ShopNo: sandbox.DemoShopNo, APIService: services[len(message)%len(services)],
			Sign: sign, Nonce: n.Nonce, Message: keys.Encrypt(n.Nonce, message)})
		post(t, env)
	})
}

func checkBankShaped(t *testing.T, keys *funbiz.Keys, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	var env funbiz.Envelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("answer is not JSON: %q", w.Body)
	}
	var msg struct{ Status, Description string }
	if env.Message == "" {
		json.Unmarshal(w.Body.Bytes(), &msg)
		if msg.Status != "F" {
			t.Fatalf("plain answer without Status F: %s", w.Body)
		}
	} else {
		if env.Version != "1.0.0" || env.ShopNo != sandbox.DemoShopNo || len(env.Nonce) != 108 {
			t.Fatalf("envelope %+v", env)
		}
		if err := keys.OpenInto(&env, &msg); err != nil {
			t.Fatalf("answer does not open: %v", err)
		}
		if msg.Status != "S" && msg.Status != "F" {
			t.Fatalf("message Status %q", msg.Status)
		}
	}
	if !bankDescription.MatchString(msg.Description) {
		t.Fatalf("Description %q is not coded as the bank's", msg.Description)
	}
}
