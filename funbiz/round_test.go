package funbiz

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// The round benchmarks measure one call as the client makes it, less the
// network and the Nonce call: typed parameters to the request body (the
// envelope's JSON), then the bank's answer body to the typed result,
// opened, Sign-verified and decoded.

// roundHash is the bank's public sandbox shop NA0249_001 (vector
// hashid-na0249-sandbox).
var roundHash = Hash{A1: "86D50DEF3EB7400E", A2: "01FD27C09E5549E5", B1: "9E004965F4244953", B2: "7FB3385F414E4F91"}

func roundClient(tb testing.TB) *Client {
	tb.Helper()
	c, err := NewClient(Config{BaseURL: "http://bank.invalid/QPay.WebAPI/api", ShopNo: "NA0249_001", Hash: roundHash})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// envelopeBody renders an envelope the way a .NET server does (and the
// sandbox): compact, no HTML escaping.
func envelopeBody(tb testing.TB, env *Envelope) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// orderCreateAnswer is the bank's own answer to benchParams (vector
// response-sandbox-ordercreate-atm-2).
func orderCreateAnswer(tb testing.TB) []byte {
	tb.Helper()
	for _, v := range loadVectors(tb) {
		if v.ID == "response-sandbox-ordercreate-atm-2" {
			return envelopeBody(tb, v.Envelope)
		}
	}
	tb.Fatal("vector response-sandbox-ordercreate-atm-2 is missing")
	return nil
}

const roundPayToken = "8ab3058e2f7a4c1d9e6b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5dc9"

// payQueryAnswer is an OrderPayQuery answer shaped like the bank's real one
// (PROTOCOL §8.3), sealed as the bank seals it.
func payQueryAnswer(tb testing.TB, c *Client) []byte {
	tb.Helper()
	plain := `{"ShopNo":"NA0249_001","PayToken":"` + roundPayToken + `","Date":"202110022135","Status":"S","Description":"S0000 – 處理成功",` +
		`"TSResultContent":{"APType":"PayOut","TSNo":"NA024900000479","OrderNo":"A202110235940","ShopNo":"NA0249_001","PayType":"A","Amount":"9440300","Status":"S","Description":"","PayDate":"202110022130"}}`
	env, err := c.keys.SealJSON("NA0249_001", ServiceOrderPayQuery, fuzzNonce, []byte(plain))
	if err != nil {
		tb.Fatal(err)
	}
	return envelopeBody(tb, env)
}

// roundOrderCreate is one OrderCreate round without the network.
func roundOrderCreate(c *Client, p *OrderCreateParams, nonce string, answer []byte) ([]byte, *OrderCreateResult, error) {
	msg, err := orderCreateMessage(c.shopNo, p)
	if err != nil {
		return nil, nil, err
	}
	body, err := c.request(ServiceOrderCreate, nonce, msg)
	if err != nil {
		return nil, nil, err
	}
	var w orderCreateResp
	if err := c.decode(ServiceOrderCreate, answer, &w); err != nil {
		return body, nil, err
	}
	r, err := w.result(p)
	return body, r, err
}

// roundOrderPayQuery is one OrderPayQuery round without the network.
func roundOrderPayQuery(c *Client, payToken, nonce string, answer []byte) ([]byte, *PayResult, error) {
	if err := CheckPayToken(payToken); err != nil {
		return nil, nil, err
	}
	body, err := c.request(ServiceOrderPayQuery, nonce, &payQueryMsg{ShopNo: c.shopNo, PayToken: payToken})
	if err != nil {
		return nil, nil, err
	}
	var w payQueryResp
	if err := c.decode(ServiceOrderPayQuery, answer, &w); err != nil {
		return body, nil, err
	}
	r, err := w.result()
	return body, r, err
}

// The benchmarks' rounds give what the bank meant, and their requests are
// what the bank expects, so the benchmarks measure working code.
func TestRounds(t *testing.T) {
	c := roundClient(t)
	body, r, err := roundOrderCreate(c, &benchParams, benchNonce, orderCreateAnswer(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusSuccess || r.TSNo != "NA024900000227" || r.Amount != 799 || r.ATM == nil || r.ATM.AtmPayNo != "99922530174963" {
		t.Fatalf("OrderCreate result %+v", r)
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	plain, err := c.keys.Open(&env)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := OrderCreateMessage(c.shopNo, &benchParams)
	if want, _ := MarshalMessage(msg); !bytes.Equal(plain, want) {
		t.Fatalf("request message\n got %s\nwant %s", plain, want)
	}
	if env.Version != Version || env.ShopNo != "NA0249_001" || env.APIService != ServiceOrderCreate || env.Nonce != benchNonce {
		t.Fatalf("request envelope %+v", env)
	}

	body, pr, err := roundOrderPayQuery(c, roundPayToken, benchNonce, payQueryAnswer(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if pr.Status != StatusSuccess || pr.PayToken != roundPayToken || pr.Payment.Amount != 94403 || !pr.Payment.Succeeded() || pr.Payment.OrderNo != "A202110235940" {
		t.Fatalf("OrderPayQuery result %+v", pr)
	}
	env = Envelope{}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if plain, err := c.keys.Open(&env); err != nil || string(plain) != `{"ShopNo":"NA0249_001","PayToken":"`+roundPayToken+`"}` {
		t.Fatalf("request message %s, %v", plain, err)
	}
}

// reportCPU, deferred at the start of a benchmark, reports the process's
// CPU time per operation (cpu-ns/op) beside the wall-clock ns/op. On a
// machine shared with other work the wall clock counts the time the
// benchmark waited for a core; CPU time counts what the round itself cost
// (and the garbage collector's share of it).
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, _ := processCPU()
		if ok && b.N > 0 {
			b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkRoundOrderCreate: OrderCreateParams → request body → the bank's
// answer body → OrderCreateResult.
func BenchmarkRoundOrderCreate(b *testing.B) {
	c := roundClient(b)
	answer := orderCreateAnswer(b)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, _, err := roundOrderCreate(c, &benchParams, benchNonce, answer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundOrderPayQuery: PayToken → request body → the bank's answer
// body → PayResult.
func BenchmarkRoundOrderPayQuery(b *testing.B) {
	c := roundClient(b)
	answer := payQueryAnswer(b, c)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, _, err := roundOrderPayQuery(c, roundPayToken, benchNonce, answer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundCryptoFloor is the part of an OrderCreate round that no
// codec can save, done with the standard library alone: the two IVs, the
// two Signs' SHA-256 over their sign strings, AES-CBC of the request and
// of the answer, and their hex.
func BenchmarkRoundCryptoFloor(b *testing.B) {
	c := roundClient(b)
	msg, err := orderCreateMessage(c.shopNo, &benchParams)
	if err != nil {
		b.Fatal(err)
	}
	request := msg.appendJSON(nil)
	reqSign, _ := SignString(request)
	var env Envelope
	if err := json.Unmarshal(orderCreateAnswer(b), &env); err != nil {
		b.Fatal(err)
	}
	answer, _ := c.keys.Open(&env)
	ansSign, _ := SignString(answer)
	block, _ := aes.NewCipher([]byte(c.keys.HashID()))
	padded := append(bytes.Clone(request), bytes.Repeat([]byte{16 - byte(len(request)%16)}, 16-len(request)%16)...)
	cipherText := make([]byte, len(padded))
	hexText := make([]byte, 2*len(padded))
	plainText := make([]byte, len(env.Message)/2)
	reqNonce, reqSignInput := []byte(benchNonce), []byte(reqSign+benchNonce+c.keys.HashID())
	ansNonce, ansSignInput, ansHex := []byte(env.Nonce), []byte(ansSign+env.Nonce+c.keys.HashID()), []byte(env.Message)
	var iv [16]byte
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		sha256.Sum256(reqNonce)
		sha256.Sum256(reqSignInput)
		cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(cipherText, padded)
		hex.Encode(hexText, cipherText)
		sha256.Sum256(ansNonce)
		hex.Decode(plainText, ansHex)
		cipher.NewCBCDecrypter(block, iv[:]).CryptBlocks(plainText, plainText)
		sha256.Sum256(ansSignInput)
	}
}
