package funbizcli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// The public sandbox demo shop of the protocol notes (vector
// hashid-na0249-sandbox); the key id is made up for these tests.
const (
	testShopNo = "NA0249_001"
	testHash   = "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953,7FB3385F414E4F91"
	testHashID = "87282A2FA0E209EBE1B3713AB56A06C2"
	testKeyID  = "0f3c5e2a-7d41-4b8e-9a6c-1e2f3a4b5c6d"
	docHashID  = "17D8E6558DC60E702A6B57E1B9B7060D"
)

// secrets must never appear in anything the CLI prints.
var secrets = append(strings.Split(testHash, ","), testHashID, testKeyID, docHashID)

type cliOut struct {
	code           int
	stdout, stderr string
}

// runCLI runs "sinopay funbiz args…" in-process, in the test's
// environment, and checks that no secret leaked into its output, whatever
// the test is about.
func runCLI(t *testing.T, stdin string, args ...string) cliOut {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, Process{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv})
	out := cliOut{code: code, stdout: stdout.String(), stderr: stderr.String()}
	all := strings.ToUpper(out.stdout + out.stderr)
	for _, s := range secrets {
		if strings.Contains(all, strings.ToUpper(s)) {
			// The report masks the secrets too, so that a failing run does
			// not spread them to CI logs.
			t.Errorf("funbiz %s printed the secret %s…\nstdout: %s\nstderr: %s", args[0], s[:4], mask(out.stdout), mask(out.stderr))
		}
	}
	return out
}

func mask(s string) string {
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[secret]")
		s = strings.ReplaceAll(s, strings.ToLower(secret), "[secret]")
	}
	return s
}

func (o cliOut) want(t *testing.T, code int) {
	t.Helper()
	if o.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", o.code, code, o.stdout, o.stderr)
	}
}

func (o cliOut) stderrHas(t *testing.T, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(o.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, o.stderr)
		}
	}
}

// cleanEnv keeps the developer's own settings out of the tests.
func cleanEnv(t *testing.T) {
	for _, k := range []string{envURL, envShopNo, envHash, envKeyID} {
		t.Setenv(k, "")
	}
}

// ---- test vectors ----

type vector struct {
	ID         string                           `json:"id"`
	Message    json.RawMessage                  `json:"message"`
	Nonce      string                           `json:"Nonce"`
	HashID     string                           `json:"HashID"`
	HashInputs *struct{ A1, A2, B1, B2 string } `json:"hash_inputs"`
	Envelope   *funbiz.Envelope                 `json:"envelope"`
	Expected   struct {
		SignString         string `json:"sign_string"`
		Sign               string `json:"Sign"`
		Decrypted          string `json:"decrypted_message"`
		ResponseSignString string `json:"response_sign_string"`
	} `json:"expected"`
}

func loadVector(t *testing.T, id string) vector {
	t.Helper()
	b, err := os.ReadFile("../../funbiz/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.ID == id {
			return v
		}
	}
	t.Fatalf("no vector %q", id)
	return vector{}
}

func decodeObject(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, s)
	}
	return m
}

// lookup walks a decoded JSON document by member names and array indexes.
func lookup(t *testing.T, doc any, path ...any) any {
	t.Helper()
	v := doc
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, k)
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("%v: no member %q in %v", path, k, m)
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("%v: no element %d in %v", path, k, v)
			}
			v = a[k]
		}
	}
	return v
}

func wantAt(t *testing.T, doc any, want any, path ...any) {
	t.Helper()
	if got := lookup(t, doc, path...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%v = %v, want %v", path, got, want)
	}
}

// ---- offline tools ----

func TestFunbizSignVectors(t *testing.T) {
	cleanEnv(t)
	t.Run("hash-id/sign-doc-atm", func(t *testing.T) {
		v := loadVector(t, "sign-doc-atm")
		out := runCLI(t, string(v.Message), "sign", "--nonce", v.Nonce, "--hash-id", v.HashID)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, v.Expected.SignString, "signString")
		wantAt(t, doc, v.Expected.Sign, "sign")
		if strings.Contains(out.stdout, `\u0026`) {
			t.Errorf("sign string is HTML-escaped:\n%s", out.stdout)
		}
	})
	t.Run("hash/response-sandbox-ordercreate-atm", func(t *testing.T) {
		v := loadVector(t, "response-sandbox-ordercreate-atm")
		h := v.HashInputs
		hash := strings.Join([]string{h.A1, h.A2, h.B1, h.B2}, ",")
		out := runCLI(t, v.Expected.Decrypted, "sign", "--nonce", v.Envelope.Nonce, "--hash", hash)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, v.Expected.ResponseSignString, "signString")
		wantAt(t, doc, v.Envelope.Sign, "sign")
		if !strings.Contains(out.stdout, "S0000 – 處理成功") {
			t.Errorf("sign string is not raw UTF-8:\n%s", out.stdout)
		}
	})
	t.Run("hash from the environment", func(t *testing.T) {
		v := loadVector(t, "response-sandbox-ordercreate-atm")
		t.Setenv(envHash, testHash)
		out := runCLI(t, "\xEF\xBB\xBF"+v.Expected.Decrypted+"\n", "sign", "--nonce", v.Envelope.Nonce)
		out.want(t, 0)
		wantAt(t, decodeObject(t, out.stdout), v.Envelope.Sign, "sign")
	})
}

func TestFunbizSignRejects(t *testing.T) {
	cleanEnv(t)
	nonce := "NjM3Njc5NTg1MTE2NjUuNDoz"
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"invalid JSON", `{"ShopNo":"NA0249_001",}`, []string{"--hash", testHash}, []string{"not valid JSON"}},
		{"empty stdin", "", []string{"--hash", testHash}, []string{"stdin is empty"}},
		{"not an object", `["ShopNo"]`, []string{"--hash", testHash}, []string{"not a JSON object"}},
		{"bad hash", `{}`, []string{"--hash", "86D50DEF3EB7400E,01FD27C09E5549EZ,9E004965F4244953,7FB3385F414E4F91"}, []string{"Hash.A2", "--hash", envHash}},
		{"three hash values", `{}`, []string{"--hash", "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953"}, []string{"four hash values"}},
		{"bad hash id", `{}`, []string{"--hash-id", "87282A2FA0E209EB"}, []string{"HashID", "32"}},
		{"both keys", `{}`, []string{"--hash", testHash, "--hash-id", testHashID}, []string{"not both"}},
		{"no keys", `{}`, nil, []string{"--hash", "--hash-id", envHash}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runCLI(t, c.stdin, append([]string{"sign", "--nonce", nonce}, c.args...)...)
			out.want(t, 2)
			out.stderrHas(t, c.want...)
			if out.stdout != "" {
				t.Errorf("stdout: %s", out.stdout)
			}
		})
	}
	t.Run("no nonce", func(t *testing.T) {
		out := runCLI(t, `{}`, "sign", "--hash", testHash)
		out.want(t, 2)
		out.stderrHas(t, "--nonce")
	})
}

func TestFunbizOpenVector(t *testing.T) {
	cleanEnv(t)
	v := loadVector(t, "response-sandbox-ordercreate-atm")
	envelope := func(t *testing.T, e funbiz.Envelope) string {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	compact := func(t *testing.T, s string) string {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(s)); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		return b.String()
	}

	t.Run("verifies", func(t *testing.T) {
		out := runCLI(t, envelope(t, *v.Envelope), "open", "--hash", testHash)
		out.want(t, 0)
		if got := compact(t, out.stdout); got != v.Expected.Decrypted {
			t.Errorf("message\n got %s\nwant %s", got, v.Expected.Decrypted)
		}
		if !strings.Contains(out.stdout, "\n  \"OrderNo\": \"TEST20210922174825\",\n") || !strings.Contains(out.stdout, "S0000 – 處理成功") {
			t.Errorf("message is not pretty raw UTF-8 JSON:\n%s", out.stdout)
		}
		if out.stderr != "" {
			t.Errorf("stderr: %s", out.stderr)
		}
	})
	t.Run("hash-id", func(t *testing.T) {
		out := runCLI(t, envelope(t, *v.Envelope), "open", "--hash-id", strings.ToLower(testHashID))
		out.want(t, 0)
	})
	t.Run("tampered Sign", func(t *testing.T) {
		e := *v.Envelope
		bad := "00" + e.Sign[2:]
		e.Sign = bad
		out := runCLI(t, envelope(t, e), "open", "--hash", testHash)
		out.want(t, 1)
		out.stderrHas(t, v.Envelope.Sign, bad, v.Expected.ResponseSignString)
		if got := compact(t, out.stdout); got != v.Expected.Decrypted {
			t.Errorf("the decrypted message should still be printed, got %s", out.stdout)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		out := runCLI(t, envelope(t, *v.Envelope), "open", "--hash-id", docHashID)
		out.want(t, 1)
		out.stderrHas(t, "cannot open the envelope")
	})
	t.Run("truncated Message", func(t *testing.T) {
		e := *v.Envelope
		e.Message = e.Message[:len(e.Message)-2]
		out := runCLI(t, envelope(t, e), "open", "--hash", testHash)
		out.want(t, 1)
		out.stderrHas(t, "cannot open the envelope", "AES blocks")
	})
	t.Run("no Nonce", func(t *testing.T) {
		e := *v.Envelope
		e.Nonce = ""
		out := runCLI(t, envelope(t, e), "open", "--hash", testHash)
		out.want(t, 1)
		out.stderrHas(t, "no Nonce")
	})
	t.Run("not JSON", func(t *testing.T) {
		out := runCLI(t, "Version=1.0.0&Sign=…", "open", "--hash", testHash)
		out.want(t, 2)
		out.stderrHas(t, "not valid JSON")
	})
}

// ---- a fake bank ----

// fakeBank speaks the bank's protocol with the NA0249_001 keys: it opens
// each request as the bank would (so a wrong Sign fails the test) and
// seals a bank-shaped answer under a fresh nonce of its own.
type fakeBank struct {
	t    *testing.T
	keys *funbiz.Keys
	srv  *httptest.Server
	url  string

	mu     sync.Mutex
	seq    int
	orders int
	got    map[string]map[string]any
	// status, when set, is the HTTP status /Order answers with, and no
	// envelope: a gateway failure after which the outcome is unknown.
	status int
	// delay holds /Order answers back, for timeouts.
	delay time.Duration
}

func newFakeBank(t *testing.T) *fakeBank {
	t.Helper()
	h, err := funbiz.ParseHash(testHash)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := funbiz.NewKeys(h)
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBank{t: t, keys: keys, got: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /funBIZ/QPay.WebAPI/api/Nonce", b.serveNonce)
	mux.HandleFunc("POST /funBIZ/QPay.WebAPI/api/Order", b.serveOrder)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	b.url = b.srv.URL + "/funBIZ/QPay.WebAPI/api"
	return b
}

// args is the connection part of a command line.
func (b *fakeBank) args(cmd string, more ...string) []string {
	return append([]string{cmd, "--url", b.url, "--shop-no", testShopNo, "--hash", testHash, "--key-id", testKeyID}, more...)
}

func (b *fakeBank) nonce() string {
	b.mu.Lock()
	b.seq++
	n := b.seq
	b.mu.Unlock()
	sum := sha256.Sum256([]byte(strconv.Itoa(n)))
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "6377%011d.%d:%x", time.Now().UnixMilli()%1e11, n%10, sum))
}

// sent returns the last plain message the bank received for service.
func (b *fakeBank) sent(service string) map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[service]
}

func (b *fakeBank) orderCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.orders
}

func (b *fakeBank) refuse(w http.ResponseWriter, status int, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Status": "F", "Description": description})
}

func (b *fakeBank) keyOK(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("X-KeyID") != testKeyID {
		b.refuse(w, http.StatusUnauthorized, "E0101 – X-KeyID 驗證失敗")
		return false
	}
	return true
}

func (b *fakeBank) serveNonce(w http.ResponseWriter, r *http.Request) {
	if !b.keyOK(w, r) {
		return
	}
	var req struct{ ShopNo string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ShopNo != testShopNo {
		b.refuse(w, http.StatusOK, "E0001 – 商店代號錯誤")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]string{"Nonce": b.nonce()})
}

func (b *fakeBank) serveOrder(w http.ResponseWriter, r *http.Request) {
	if !b.keyOK(w, r) {
		return
	}
	b.mu.Lock()
	b.orders++
	status, delay := b.status, b.delay
	b.mu.Unlock()
	// The body is read first: only then does the server notice a client
	// that gave up, which the delay below relies on.
	var env funbiz.Envelope
	if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
		b.t.Errorf("bank: request is not an envelope: %v", err)
		b.refuse(w, http.StatusBadRequest, "E0002 – 格式錯誤")
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		fmt.Fprint(w, "<html>502 Bad Gateway</html>")
		return
	}
	plain, err := b.keys.Open(&env)
	if err != nil {
		b.t.Errorf("bank: cannot open the %s request: %v", env.APIService, err)
		b.refuse(w, http.StatusOK, "E0003 – 簽章錯誤")
		return
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber()
	var msg map[string]any
	if err := dec.Decode(&msg); err != nil {
		b.t.Errorf("bank: %s message: %v", env.APIService, err)
	}
	if env.ShopNo != testShopNo || msg["ShopNo"] != testShopNo {
		b.t.Errorf("bank: ShopNo %q / %v", env.ShopNo, msg["ShopNo"])
	}
	b.mu.Lock()
	b.got[env.APIService] = msg
	b.mu.Unlock()
	answer, err := b.keys.Seal(testShopNo, env.APIService, b.nonce(), bankAnswer(env.APIService, msg))
	if err != nil {
		b.t.Errorf("bank: sealing: %v", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(answer)
}

type obj = map[string]any

const pageQuery = "TD=NA024900000301&TK=4d9057aa-3df1-48cb-8165-e5f7a12cc775"

// bankAnswer is what the bank answers to msg: the field names of PROTOCOL
// §8, amounts ×100.
func bankAnswer(service string, msg obj) obj {
	ok := func(m obj) obj {
		m["ShopNo"] = testShopNo
		m["Status"] = "S"
		m["Description"] = "S0000 – 處理成功"
		return m
	}
	switch service {
	case funbiz.ServiceOrderCreate:
		if msg["OrderNo"] == "REFUSE9" {
			return obj{"OrderNo": msg["OrderNo"], "ShopNo": testShopNo, "Status": "F", "Description": "E0602 – 收款方式未啟用"}
		}
		a := ok(obj{"OrderNo": msg["OrderNo"], "TSNo": "NA024900000301", "Amount": msg["Amount"], "PayType": msg["PayType"]})
		for _, k := range []string{"Param1", "Param2", "Param3"} {
			if v, found := msg[k]; found {
				a[k] = v
			}
		}
		if msg["PayType"] == "A" {
			a["ATMParam"] = obj{
				"AtmPayNo":  "99922530174617",
				"WebAtmURL": "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayWebATM?" + pageQuery,
				"OtpURL":    "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayOTP?" + pageQuery,
			}
		} else {
			a["CardParam"] = obj{"CardPayURL": "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayCard?" + pageQuery}
		}
		return a
	case funbiz.ServiceOrderQuery:
		return ok(obj{"Date": "202401051230", "OrderList": []any{obj{
			"OrderNo": msg["OrderNo"], "TSNo": "NA024900000301", "TSDate": "202401051200", "PayDate": "202401051210",
			"Amount": 50000, "PayType": "A", "PayStatus": "1A400", "ExpireDate": "202401122359", "RefundFlag": "N",
			"PrdtName": "抹茶狗骨頭", "ATMParam": obj{"AtmPayNo": "99922530174617", "BankNo": "807", "AcctNo": "12345"},
		}}})
	case funbiz.ServiceOrderPayQuery:
		return ok(obj{"PayToken": msg["PayToken"], "Date": "202110022135", "TSResultContent": obj{
			"APType": "PayOut", "TSNo": "NA024900000479", "OrderNo": "A202110235940", "ShopNo": testShopNo,
			"PayType": "A", "Amount": "9440300", "Status": "S", "Description": "", "PayDate": "202110022130",
		}})
	case funbiz.ServiceOrderMaintain:
		amount := msg["Amount"]
		if amount == nil {
			amount = 120000
		}
		return ok(obj{"OrderNo": msg["OrderNo"], "TSNo": "NA024900000302", "Command": msg["Command"], "Amount": amount, "Date": "202401061000"})
	case funbiz.ServiceOrderUnCapturedQuery:
		return ok(obj{"Date": "202401061000", "OrderList": []any{obj{
			"OrderNo": "C20240105001", "TSNo": "NA024900000303", "TSDate": "202401051300", "ApprovedDate": "202401051301",
			"ExpireDate": "202401262359", "Amount": 120000, "PayType": "C", "PrdtName": "禮盒", "PayStatus": "1C300",
		}}})
	case funbiz.ServiceBillQuery:
		return ok(obj{"Date": "202401061000", "BillDate": msg["BillDate"], "OrderList": []any{
			obj{"TSNo": "NA024900000301", "OrderNo": "A20240105001", "TSType": "P", "TSDate": "202401051200",
				"PayDate": "202401051210", "PayType": "A", "Amount": 50000, "Param1": "cart-7"},
			obj{"TSNo": "NA024900000304", "OrderNo": "C20240101002", "TSType": "R", "TSDate": "202401051500",
				"PayDate": "202401051500", "PayType": "C", "Amount": 10000},
		}})
	case funbiz.ServiceAllotQuery:
		return ok(obj{"Date": "202402010900", "Allot": []any{obj{
			"AllotNo": "AL20240110001", "AllotDate": 20240110, "PayType": "C", "PayAmount": 1200000, "RefundAmount": 10000,
			"FeeAmount": 3456, "ExtAllotAmount": 0, "AllotAmount": 1186544, "Account": "12345678901234",
			"List": []any{obj{"TSNO": "NA024900000303", "OrderNO": "C20240105001", "PayDate": "202401051301",
				"Amount": 1200000, "Fee": 3456, "TSType": "P"}},
		}}})
	}
	return obj{"Status": "F", "Description": "E9999 – unknown APIService"}
}

// ---- the calls to the bank ----

func TestFunbizServices(t *testing.T) {
	cleanEnv(t)
	b := newFakeBank(t)

	t.Run("nonce", func(t *testing.T) {
		out := runCLI(t, "", b.args("nonce")...)
		out.want(t, 0)
		if n, _ := lookup(t, decodeObject(t, out.stdout), "Nonce").(string); len(n) < 40 {
			t.Errorf("Nonce %q", n)
		}
	})

	t.Run("order-create ATM", func(t *testing.T) {
		before := funbiz.FormatDate(time.Now().In(funbiz.Taipei).AddDate(0, 0, 7))
		out := runCLI(t, "", b.args("order-create", "--order-no", "A20240105001", "--amount", "500", "--pay-type", "A",
			"--name", "抹茶狗骨頭", "--param1", "cart-7", "--backend-url", "https://shop.example.com/funbiz/notify")...)
		after := funbiz.FormatDate(time.Now().In(funbiz.Taipei).AddDate(0, 0, 7))
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, "A20240105001", "OrderNo")
		wantAt(t, doc, 500, "Amount")
		wantAt(t, doc, "A", "PayType")
		wantAt(t, doc, "NA024900000301", "TSNo")
		wantAt(t, doc, "cart-7", "Param1")
		wantAt(t, doc, "99922530174617", "ATM", "AtmPayNo")
		wantAt(t, doc, "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayWebATM?"+pageQuery, "ATM", "WebAtmURL")
		if strings.Contains(out.stdout, `\u0026`) {
			t.Errorf("URLs are HTML-escaped:\n%s", out.stdout)
		}
		wire := b.sent("OrderCreate")
		wantAt(t, wire, 50000, "Amount")
		wantAt(t, wire, "TWD", "CurrencyID")
		if d := lookup(t, wire, "ATMParam", "ExpireDate"); d != before && d != after {
			t.Errorf("default ExpireDate %v, want %s", d, after)
		}
	})

	t.Run("order-create card", func(t *testing.T) {
		out := runCLI(t, "", b.args("order-create", "--order-no", "C20240105001", "--amount", "1200", "--pay-type", "c",
			"--name", "禮盒", "--return-url", "https://shop.example.com/funbiz/return?o=1&x=2",
			"--auto-billing=false", "--exp-billing-days", "3", "--exp-minutes", "15", "--pay-type-sub", "ONE")...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, 1200, "Amount")
		wantAt(t, doc, "C", "PayType")
		wantAt(t, doc, "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayCard?"+pageQuery, "Card", "CardPayURL")
		wire := b.sent("OrderCreate")
		wantAt(t, wire, 120000, "Amount")
		wantAt(t, wire, "N", "CardParam", "AutoBilling")
		wantAt(t, wire, 3, "CardParam", "ExpBillingDays")
		wantAt(t, wire, 15, "CardParam", "ExpMinutes")
		wantAt(t, wire, "ONE", "CardParam", "PayTypeSub")
		wantAt(t, wire, "https://shop.example.com/funbiz/return?o=1&x=2", "ReturnURL")
	})

	t.Run("order-query", func(t *testing.T) {
		out := runCLI(t, "", b.args("order-query", "--order-no", "A20240105001", "--pay-flag", "y")...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, "S", "Status")
		wantAt(t, doc, "A20240105001", "Orders", 0, "OrderNo")
		wantAt(t, doc, 500, "Orders", 0, "Amount")
		wantAt(t, doc, "1A400", "Orders", 0, "PayStatus")
		wantAt(t, doc, "807", "Orders", 0, "ATM", "BankNo")
		wantAt(t, b.sent("OrderQuery"), "Y", "PayFlag")
	})

	t.Run("pay-query", func(t *testing.T) {
		token := "da1547c3b1f2e3d4c5b6a79881726354da1547c3b1f2e3d4c5b6a798817266c1"
		out := runCLI(t, "", b.args("pay-query", "--token", token)...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, token, "PayToken")
		wantAt(t, doc, 94403, "Payment", "Amount")
		wantAt(t, doc, "PayOut", "Payment", "APType")
		wantAt(t, doc, "A202110235940", "Payment", "OrderNo")
		wantAt(t, b.sent("OrderPayQuery"), token, "PayToken")
	})

	t.Run("maintain refund", func(t *testing.T) {
		out := runCLI(t, "", b.args("maintain", "--order-no", "C20240105001", "--command", "R", "--amount", "100", "--remark", "客戶退貨")...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, "R", "Command")
		wantAt(t, doc, 100, "Amount")
		wantAt(t, doc, "NA024900000302", "TSNo")
		wire := b.sent("OrderMaintain")
		wantAt(t, wire, 10000, "Amount")
		wantAt(t, wire, "客戶退貨", "Remark")
	})

	t.Run("maintain whole capture", func(t *testing.T) {
		out := runCLI(t, "", b.args("maintain", "--order-no", "C20240105001", "--command", "P")...)
		out.want(t, 0)
		wantAt(t, decodeObject(t, out.stdout), 1200, "Amount")
		if _, sent := b.sent("OrderMaintain")["Amount"]; sent {
			t.Errorf("Amount sent for a whole capture: %v", b.sent("OrderMaintain"))
		}
	})

	t.Run("uncaptured", func(t *testing.T) {
		out := runCLI(t, "", b.args("uncaptured")...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, "C20240105001", "Orders", 0, "OrderNo")
		wantAt(t, doc, 1200, "Orders", 0, "Amount")
		wantAt(t, doc, "1C300", "Orders", 0, "PayStatus")
		if _, sent := b.sent("OrderUnCapturedQuery")["OrderNo"]; sent {
			t.Errorf("OrderNo sent without --order-no")
		}
	})

	t.Run("bill", func(t *testing.T) {
		out := runCLI(t, "", b.args("bill", "--date", "20240105")...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, "20240105", "BillDate")
		wantAt(t, doc, 500, "Items", 0, "Amount")
		wantAt(t, doc, "P", "Items", 0, "TSType")
		wantAt(t, doc, 100, "Items", 1, "Amount")
		wantAt(t, doc, "R", "Items", 1, "TSType")
		wantAt(t, b.sent("BillQuery"), "20240105", "BillDate")
	})

	t.Run("allot", func(t *testing.T) {
		out := runCLI(t, "", b.args("allot", "--from", "20240101", "--to", "20240131", "--pay-type", "C")...)
		out.want(t, 0)
		doc := decodeObject(t, out.stdout)
		wantAt(t, doc, "AL20240110001", "Allots", 0, "AllotNo")
		wantAt(t, doc, "20240110", "Allots", 0, "AllotDate")
		// As the bank sent them: their unit is not documented.
		wantAt(t, doc, 1200000, "Allots", 0, "PayAmount")
		wantAt(t, doc, 10000, "Allots", 0, "RefundAmount")
		wantAt(t, doc, 3456, "Allots", 0, "FeeAmount")
		wantAt(t, doc, 1186544, "Allots", 0, "AllotAmount")
		wantAt(t, doc, "C20240105001", "Allots", 0, "Items", 0, "OrderNo")
		wantAt(t, doc, 1200000, "Allots", 0, "Items", 0, "Amount")
		wire := b.sent("AllotQuery")
		wantAt(t, wire, "20240101", "AllotDateS")
		wantAt(t, wire, "20240131", "AllotDateE")
		wantAt(t, wire, "C", "PayType")
	})
}

func TestFunbizConfigFromEnvironment(t *testing.T) {
	b := newFakeBank(t)
	t.Setenv(envURL, b.url)
	t.Setenv(envShopNo, testShopNo)
	t.Setenv(envHash, testHash)
	t.Setenv(envKeyID, testKeyID)
	runCLI(t, "", "nonce").want(t, 0)
	runCLI(t, "", "order-query", "--order-no", "A20240105001").want(t, 0)
	// A flag wins over the environment.
	out := runCLI(t, "", "nonce", "--shop-no", "NA0249_002")
	out.want(t, 1)
	out.stderrHas(t, "E0001")
}

func TestFunbizConfigErrors(t *testing.T) {
	cleanEnv(t)
	b := newFakeBank(t)

	t.Run("missing shop number", func(t *testing.T) {
		out := runCLI(t, "", "nonce", "--url", b.url, "--hash", testHash, "--key-id", testKeyID)
		out.want(t, 2)
		out.stderrHas(t, "--shop-no", envShopNo)
		if strings.Contains(out.stderr, "--url or") {
			t.Errorf("names a setting that was given:\n%s", out.stderr)
		}
	})
	t.Run("nothing configured", func(t *testing.T) {
		out := runCLI(t, "", "bill", "--date", "20240105")
		out.want(t, 2)
		out.stderrHas(t, "--url", envURL, "--shop-no", envShopNo, "--hash", envHash)
	})
	t.Run("bad hash", func(t *testing.T) {
		out := runCLI(t, "", "nonce", "--url", b.url, "--shop-no", testShopNo,
			"--hash", "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F424495,7FB3385F414E4F91")
		out.want(t, 2)
		out.stderrHas(t, "Hash.B1", "--hash", envHash)
	})
	t.Run("bad hash from the environment", func(t *testing.T) {
		t.Setenv(envHash, "86D50DEF3EB7400E;01FD27C09E5549E5;9E004965F4244953;7FB3385F414E4F91")
		out := runCLI(t, "", "nonce", "--url", b.url, "--shop-no", testShopNo)
		out.want(t, 2)
		out.stderrHas(t, "from "+envHash, "four hash values")
	})
	t.Run("bad shop number", func(t *testing.T) {
		out := runCLI(t, "", "nonce", "--url", b.url, "--shop-no", "NA0249 001", "--hash", testHash)
		out.want(t, 2)
		out.stderrHas(t, "ShopNo", "--shop-no", envShopNo)
	})
	t.Run("bad URL", func(t *testing.T) {
		out := runCLI(t, "", "nonce", "--url", "apisbx.sinopac.com/funBIZ", "--shop-no", testShopNo, "--hash", testHash)
		out.want(t, 2)
		out.stderrHas(t, "BaseURL", "--url", envURL)
	})
	t.Run("bad timeout", func(t *testing.T) {
		runCLI(t, "", b.args("nonce", "--timeout", "0s")...).want(t, 2)
	})
	t.Run("wrong key id", func(t *testing.T) {
		out := runCLI(t, "", "nonce", "--url", b.url, "--shop-no", testShopNo, "--hash", testHash, "--key-id", "expired-key")
		out.want(t, 1)
		out.stderrHas(t, `"httpStatus": 401`, `"code": "E0101"`)
	})
	t.Run("no key id", func(t *testing.T) {
		out := runCLI(t, "", "nonce", "--url", b.url, "--shop-no", testShopNo, "--hash", testHash)
		out.want(t, 1)
		out.stderrHas(t, `"httpStatus": 401`, "--key-id", envKeyID)
	})
	if n := b.orderCalls(); n != 0 {
		t.Errorf("the bank got %d orders from misconfigured commands", n)
	}
}

func TestFunbizUsageErrors(t *testing.T) {
	cleanEnv(t)
	b := newFakeBank(t)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", b.args("nonce", "--shop", "x"), []string{"-shop", "Run 'sinopay funbiz nonce -h' for help."}},
		{"stray argument", b.args("bill", "20240105"), []string{"1 unexpected argument"}},
		{"no pay type", b.args("order-create", "--order-no", "A1", "--amount", "500", "--name", "x"), []string{"--pay-type is required"}},
		{"bad pay type", b.args("order-create", "--order-no", "A1", "--amount", "500", "--name", "x", "--pay-type", "M"), []string{"--pay-type must be"}},
		{"card flag on ATM", b.args("order-create", "--order-no", "A1", "--amount", "500", "--name", "x", "--pay-type", "A", "--exp-minutes", "5"), []string{"--exp-minutes is for card orders"}},
		{"expire date on card", b.args("order-create", "--order-no", "A1", "--amount", "500", "--name", "x", "--pay-type", "C", "--expire-date", "20240110"), []string{"--expire-date is for ATM orders"}},
		{"zero amount", b.args("order-create", "--order-no", "A1", "--amount", "0", "--name", "x", "--pay-type", "A"), []string{"Amount", "--amount", `"field": "Amount"`}},
		{"amount over the most allowed", b.args("order-create", "--order-no", "A1", "--amount", "100000000", "--name", "x", "--pay-type", "A"), []string{"99999999", "--amount"}},
		{"no name", b.args("order-create", "--order-no", "A1", "--amount", "5", "--pay-type", "A"), []string{"PrdtName", "--name"}},
		{"bad expire date", b.args("order-create", "--order-no", "A1", "--amount", "5", "--name", "x", "--pay-type", "A", "--expire-date", "2024-01-10"), []string{"--expire-date"}},
		{"fractional amount", b.args("order-create", "--order-no", "A1", "--amount", "5.5", "--name", "x", "--pay-type", "A"), []string{"-amount"}},
		{"no filter", b.args("order-query"), []string{"at least one filter", "--order-no"}},
		{"half a range", b.args("order-query", "--order-from", "202401010000"), []string{"--order-from"}},
		{"bad token", b.args("pay-query", "--token", "../etc"), []string{"PayToken", "--token"}},
		{"no command", b.args("maintain", "--order-no", "C1"), []string{"Command", "--command"}},
		{"cancel with amount", b.args("maintain", "--order-no", "C1", "--command", "C", "--amount", "5"), []string{"--amount"}},
		{"bad uncaptured order", b.args("uncaptured", "--order-no", "C 1"), []string{"--order-no"}},
		{"no bill date", b.args("bill"), []string{"BillDate", "--date"}},
		{"allot backwards", b.args("allot", "--from", "20240131", "--to", "20240101"), []string{"--from"}},
		{"unknown subcommand", []string{"refund"}, []string{`unknown subcommand "refund"`, "sinopay funbiz -h"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runCLI(t, "", c.args...)
			out.want(t, 2)
			out.stderrHas(t, c.want...)
			if out.stdout != "" {
				t.Errorf("stdout: %s", out.stdout)
			}
		})
	}
	if n := b.orderCalls(); n != 0 {
		t.Errorf("the bank got %d orders from usage errors", n)
	}
}

func TestFunbizBankRefusal(t *testing.T) {
	cleanEnv(t)
	b := newFakeBank(t)
	out := runCLI(t, "", b.args("order-create", "--order-no", "REFUSE9", "--amount", "500", "--pay-type", "A", "--name", "x")...)
	out.want(t, 1)
	if out.stdout != "" {
		t.Errorf("stdout: %s", out.stdout)
	}
	i := strings.Index(out.stderr, "{")
	if i < 0 {
		t.Fatalf("no JSON error object on stderr:\n%s", out.stderr)
	}
	doc := decodeObject(t, out.stderr[i:])
	wantAt(t, doc, "OrderCreate", "service")
	wantAt(t, doc, "E0602", "code")
	wantAt(t, doc, "E0602 – 收款方式未啟用", "description")
	if _, has := doc["httpStatus"]; has {
		t.Errorf("httpStatus not omitted: %v", doc)
	}
	if e, _ := doc["error"].(string); !strings.Contains(e, "E0602") {
		t.Errorf("error = %q", e)
	}
}

func TestFunbizOrderCreateUnknownOutcome(t *testing.T) {
	cleanEnv(t)
	b := newFakeBank(t)
	b.mu.Lock()
	b.status = http.StatusBadGateway
	b.mu.Unlock()
	out := runCLI(t, "", b.args("order-create", "--order-no", "A20240105009", "--amount", "500", "--pay-type", "A", "--name", "x")...)
	out.want(t, 1)
	out.stderrHas(t, `"httpStatus": 502`, `"service": "OrderCreate"`, "may or may not", "sinopay funbiz order-query --order-no A20240105009")
	if n := b.orderCalls(); n != 1 {
		t.Errorf("OrderCreate sent %d times, want exactly once", n)
	}

	out = runCLI(t, "", b.args("maintain", "--order-no", "C20240105001", "--command", "R")...)
	out.want(t, 1)
	out.stderrHas(t, "may or may not", "order-query --order-no C20240105001")

	// A query is safe to repeat, so it gets no such warning.
	b.mu.Lock()
	b.status = http.StatusBadRequest
	b.mu.Unlock()
	out = runCLI(t, "", b.args("bill", "--date", "20240105")...)
	out.want(t, 1)
	if strings.Contains(out.stderr, "may or may not") {
		t.Errorf("query warned of an unknown outcome:\n%s", out.stderr)
	}
}

func TestFunbizTimeout(t *testing.T) {
	cleanEnv(t)
	b := newFakeBank(t)
	b.mu.Lock()
	b.delay = 10 * time.Second
	b.mu.Unlock()
	start := time.Now()
	out := runCLI(t, "", b.args("order-create", "--timeout", "300ms", "--order-no", "A20240105019", "--amount", "500", "--pay-type", "A", "--name", "x")...)
	out.want(t, 1)
	out.stderrHas(t, "may or may not", "order-query --order-no A20240105019")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("--timeout 300ms took %v", d)
	}
}

func TestFunbizHelp(t *testing.T) {
	cleanEnv(t)
	out := runCLI(t, "", "help")
	out.want(t, 0)
	for _, c := range subcommands {
		if !strings.Contains(out.stdout, "\n  "+c.name+" ") {
			t.Errorf("help does not list %s:\n%s", c.name, out.stdout)
		}
	}
	for _, cmd := range []string{"order-create", "sign", "allot"} {
		out := runCLI(t, "", cmd, "-h")
		out.want(t, 0)
		if !strings.Contains(out.stdout, "usage: sinopay funbiz "+cmd) || !strings.Contains(out.stdout, "-hash") {
			t.Errorf("%s -h:\n%s", cmd, out.stdout)
		}
	}
	if out := runCLI(t, "", "order-create", "-h"); !strings.Contains(out.stdout, "-expire-date") {
		t.Errorf("order-create -h lacks -expire-date:\n%s", out.stdout)
	}
	if out := runCLI(t, ""); out.code != 0 || !strings.Contains(out.stdout, "\n  order-create ") {
		t.Errorf("no subcommand: exit %d\n%s", out.code, out.stdout)
	}
}

// The hash values and the key id may come from the environment; whatever
// path a command takes, they must not come back out. runCLI checks every
// output; this test drives the paths most likely to echo configuration.
func TestFunbizSecretsStayHidden(t *testing.T) {
	b := newFakeBank(t)
	t.Setenv(envURL, b.url)
	t.Setenv(envShopNo, testShopNo)
	t.Setenv(envHash, testHash)
	t.Setenv(envKeyID, testKeyID)
	v := loadVector(t, "response-sandbox-ordercreate-atm")
	env, _ := json.Marshal(v.Envelope)
	runs := [][]string{
		{"help"}, {"nonce", "-h"}, {"order-create", "-h"}, {"sign", "-h"}, {"open", "-h"},
		{"nonce"}, {"nonce", "--bogus"}, {"nonce", "--shop-no", "NA0249_002"},
		{"order-create", "--order-no", "A1", "--amount", "500", "--pay-type", "A", "--name", "x"},
		{"order-create", "--order-no", "REFUSE9", "--amount", "500", "--pay-type", "A", "--name", "x"},
		{"order-create", "--order-no", "A1", "--amount", "-1", "--pay-type", "A", "--name", "x"},
		{"pay-query", "--token", "abc"}, {"uncaptured"},
		{"nonce", "--url", "ftp://bank"}, {"nonce", "--key-id", "line1\nline2"},
		{"open", "--hash-id", docHashID},
		// A flag that lost its value leaves the hash values as a stray argument.
		{"nonce", "--shop-no", "--hash", testHash},
		{"sign", "--nonce", "--hash", testHash},
	}
	for _, args := range runs {
		runCLI(t, string(env), args...)
	}
	// A tampered envelope makes open print sign material; not the keys.
	v.Envelope.Sign = strings.Repeat("0", 64)
	env, _ = json.Marshal(v.Envelope)
	runCLI(t, string(env), "open").want(t, 1)
	runCLI(t, v.Expected.Decrypted, "sign", "--nonce", v.Envelope.Nonce).want(t, 0)

	t.Setenv(envHash, testHash+",0000000000000000")
	runCLI(t, "", "nonce").want(t, 2)
}
