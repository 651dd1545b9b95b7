package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

type vector struct {
	ID               string
	A1, A2, B1, B2   string
	HashID           string
	Envelope         funbiz.Envelope
	DecryptedMessage string `json:"decrypted_message"`
	Expected         struct {
		DecryptedMessage string `json:"decrypted_message"`
	}
}

func loadVectors(t *testing.T) map[string]vector {
	t.Helper()
	b, err := os.ReadFile("../testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	out := map[string]vector{}
	for _, v := range vs {
		out[v.ID] = v
	}
	return out
}

func hashOf(v vector) funbiz.Hash {
	return funbiz.Hash{A1: funbiz.Secret(v.A1), A2: funbiz.Secret(v.A2), B1: funbiz.Secret(v.B1), B2: funbiz.Secret(v.B2)}
}

// topKeys lists the member names of a JSON object in their order.
func topKeys(t *testing.T, msg []byte) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(msg)))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", msg)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// The bank manual's own request messages, encrypted and signed by hand with
// the manual's hash values, are accepted, and the answers have the members
// of the bank's real answers in the same order.
func TestManualRequestsByHand(t *testing.T) {
	vs := loadVectors(t)
	doc, card := vs["hashid-doc"], vs["hashid-na0001"]
	clock := sandbox.NewManualClock(time.Date(2018, 4, 27, 9, 30, 0, 0, funbiz.Taipei))
	r := newRig(t, sandbox.Options{Clock: clock, Merchants: []sandbox.Merchant{
		{ShopNo: "BA0026_001", Hash: hashOf(doc)},
		{ShopNo: "NA0001_001", Hash: hashOf(card)},
	}})
	docKeys, _ := funbiz.NewKeys(hashOf(doc))
	cardKeys, _ := funbiz.NewKeys(hashOf(card))

	atmReq := vs["envelope-doc-atm-request"]
	a := r.send("BA0026_001", docKeys, "OrderCreate", atmReq.DecryptedMessage)
	if a.Status != "S" || a.Description != "S0000 – 處理成功" {
		t.Fatalf("manual ATM example refused: %s", a.Message)
	}
	real := vs["response-sandbox-ordercreate-atm"].Expected.DecryptedMessage
	if got, want := strings.Join(topKeys(t, a.Message), ","), strings.Join(topKeys(t, []byte(real)), ","); got != want {
		t.Fatalf("answer members\n got %s\nwant %s (the bank's real answer)", got, want)
	}
	ss, _ := funbiz.SignString(a.Message)
	if want := "Amount=50000&Description=S0000 – 處理成功&OrderNo=A201804270001&PayType=A&ShopNo=BA0026_001&Status=S&TSNo=BA002600000001"; ss != want {
		t.Fatalf("answer sign string\n got %s\nwant %s", ss, want)
	}
	var body struct {
		ATMParam struct{ AtmPayNo, WebAtmURL, OtpURL string }
	}
	json.Unmarshal(a.Message, &body)
	if !regexp.MustCompile(`^99922\d{9}$`).MatchString(body.ATMParam.AtmPayNo) || !strings.Contains(body.ATMParam.WebAtmURL, "TD=BA002600000001") {
		t.Fatalf("ATMParam %+v", body.ATMParam)
	}
	if a.Env.Nonce == "" || a.Env.APIService != "OrderCreate" || a.Env.ShopNo != "BA0026_001" || a.Env.Version != "1.0.0" {
		t.Fatalf("answer envelope %+v", a.Env)
	}

	// The card example, from another shop's keys.
	c := r.send("NA0001_001", cardKeys, "OrderCreate", vs["envelope-doc-card-request"].DecryptedMessage)
	var cb struct{ CardParam struct{ CardPayURL string } }
	json.Unmarshal(c.Message, &cb)
	if c.Status != "S" || !strings.HasPrefix(cb.CardParam.CardPayURL, r.srv.URL+"/_sandbox/card/") {
		t.Fatalf("manual card example: %s", c.Message)
	}

	// The manual's envelope itself carries a nonce this sandbox never
	// issued: refused, in an envelope the shop can open.
	raw, _ := json.Marshal(atmReq.Envelope)
	n := r.open(docKeys, raw, nil)
	if n.Plain || n.code() != "E0102" || n.Fields["ShopNo"] != "BA0026_001" {
		t.Fatalf("replayed manual envelope: plain=%v %s", n.Plain, n.Message)
	}
}

// Nonces have the bank's form, and every answer has its own.
func TestNonceForm(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	form := regexp.MustCompile(`^\d{14}\.\d:[0-9a-f]{64}$`)
	for range 20 {
		n := r.nonce(sandbox.DemoShopNo)
		raw, err := base64.RawStdEncoding.DecodeString(n)
		if len(n) != 108 || err != nil || !form.Match(raw) {
			t.Fatalf("nonce %q (%q) is not in the bank's form", n, raw)
		}
	}
	nonce := r.nonce(sandbox.DemoShopNo)
	msg := `{"ShopNo":"NA0249_001","OrderNo":"X1"}`
	sign, _ := r.keys.Sign(nonce, []byte(msg))
	body, _ := json.Marshal(map[string]string{"Version": "1.0.0", "ShopNo": sandbox.DemoShopNo, "APIService": "OrderQuery", "Sign": sign, "Nonce": nonce, "Message": r.keys.Encrypt(nonce, []byte(msg))})
	a := r.open(r.keys, body, nil)
	if a.Status != "S" || a.Env.Nonce == nonce || len(a.Env.Nonce) != 108 {
		t.Fatalf("answer nonce %q for request nonce %q (%s)", a.Env.Nonce, nonce, a.Message)
	}
}
