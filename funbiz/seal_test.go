package funbiz

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The typed OrderCreate parameters render to exactly the plaintext of the
// bank's own manual examples, so our ciphertext equals the bank's.
func TestOrderCreateMatchesBankExamples(t *testing.T) {
	vs := map[string]vector{}
	for _, v := range loadVectors(t) {
		vs[v.ID] = v
	}
	cases := []struct {
		vector, shopNo string
		p              OrderCreateParams
	}{
		{"enc-doc-atm-bank", "BA0026_001", OrderCreateParams{
			OrderNo: "A201804270001", Amount: 500, PayType: PayTypeATM, PrdtName: "虛擬帳號訂單",
			ReturnURL:  "http://10.11.22.113:8803/QPay.ApiClient/Store/Return",
			BackendURL: "http://10.11.22.113:8803/QPay.ApiClient/AutoPush/PushSuccess",
			ATM:        &ATMParams{ExpireDate: "20180502"},
		}},
		{"enc-doc-card", "NA0001_001", OrderCreateParams{
			OrderNo: "201807111119291750", Amount: 500, PayType: PayTypeCard, PrdtName: "信用卡訂單",
			ReturnURL:  "http://10.11.22.113:8803/QPay.ApiClient-Sandbox/Store/Return",
			BackendURL: "https://sandbox.sinopac.com/funBIZ.ApiClient/AutoPush/PushSuccess",
			Card:       &CardParams{AutoBilling: false, ExpMinutes: 30},
		}},
	}
	for _, c := range cases {
		t.Run(c.vector, func(t *testing.T) {
			v := vs[c.vector]
			msg, err := OrderCreateMessage(c.shopNo, &c.p)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := MarshalMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(plain) != v.Plaintext {
				t.Fatalf("plaintext\n got %s\nwant %s", plain, v.Plaintext)
			}
			env, err := mustKeys(t, v.HashID).Seal(c.shopNo, ServiceOrderCreate, v.Nonce, msg)
			if err != nil {
				t.Fatal(err)
			}
			if env.Message != v.Expected.Message {
				t.Fatalf("Message differs from the bank's")
			}
		})
	}
	// And the envelopes carry the manual's Signs.
	for id, want := range map[string]string{"envelope-doc-atm-request": "A3EAEE3B361B7E7E9B0F6422B954ECA5D54CEC6EAB0880CB484AA6FDA4154331"} {
		if got := vs[id].Envelope.Sign; got != want {
			t.Fatalf("%s Sign = %s", id, got)
		}
	}
}

// benchResponse is a bank-shaped OrderCreate answer for the benchmarks.
func benchResponse(b *testing.B, k *Keys) *Envelope {
	b.Helper()
	resp := map[string]any{
		"OrderNo": "A202109838256", "ShopNo": "NA0249_001", "TSNo": "NA024900000227", "Amount": 79900,
		"Status": "S", "Description": "S0000 – 處理成功", "PayType": "A",
		"ATMParam": map[string]string{"AtmPayNo": "99922530174963",
			"WebAtmURL": "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayWebATM?TD=NA024900000227&TK=82cd04db-cd70-4bf8-8215-73675e920fd9",
			"OtpURL":    "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayOTP?TD=NA024900000227&TK=82cd04db-cd70-4bf8-8215-73675e920fd9"},
	}
	env, err := k.Seal("NA0249_001", ServiceOrderCreate, "NjM3NjgxMDcxMzg2OTUuMTo4MTQwODE2NzBiMGUyYTdiNTAzZDExN2Q5NDhmOGMzMTVlZWRhOGI5ODY2OGUyOGNkMGFiM2MzZDhiNGEzZGRi", resp)
	if err != nil {
		b.Fatal(err)
	}
	return env
}

var benchParams = OrderCreateParams{
	OrderNo: "A202109838256", Amount: 799, PayType: PayTypeATM, PrdtName: "抹茶狗骨頭",
	ReturnURL: "https://shop.example.com/funbiz/return", BackendURL: "https://shop.example.com/funbiz/notify",
	ATM: &ATMParams{ExpireDate: "20211010"},
}

const benchNonce = "NjM3NzI3NDIzMDYxNTkuODo2ZjdkZWRjZjNhMTNjMThhNWZlNjU2ZTk5OWYxOTM5MTE1ZTZhNjlkYmU2ZDg2MmNmOWUzYTRmNTVhYmI1Yzkx"

// BenchmarkSealOrderCreate: validate, render, sign and encrypt an
// OrderCreate request.
func BenchmarkSealOrderCreate(b *testing.B) {
	k := mustKeys(b, "87282A2FA0E209EBE1B3713AB56A06C2")
	b.ReportAllocs()
	for b.Loop() {
		msg, err := OrderCreateMessage("NA0249_001", &benchParams)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Seal("NA0249_001", ServiceOrderCreate, benchNonce, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenOrderCreate: decrypt, verify the Sign and decode an
// OrderCreate answer.
func BenchmarkOpenOrderCreate(b *testing.B) {
	k := mustKeys(b, "87282A2FA0E209EBE1B3713AB56A06C2")
	env := benchResponse(b, k)
	b.ReportAllocs()
	for b.Loop() {
		var w orderCreateResp
		if err := k.OpenInto(env, &w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpenOrderCreate is one full round: seal a request and open
// an answer, the crypto work of one OrderCreate call.
func BenchmarkSealOpenOrderCreate(b *testing.B) {
	k := mustKeys(b, "87282A2FA0E209EBE1B3713AB56A06C2")
	env := benchResponse(b, k)
	b.ReportAllocs()
	for b.Loop() {
		msg, err := OrderCreateMessage("NA0249_001", &benchParams)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Seal("NA0249_001", ServiceOrderCreate, benchNonce, msg); err != nil {
			b.Fatal(err)
		}
		var w orderCreateResp
		if err := k.OpenInto(env, &w); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = json.Valid

// The fast encoder must render exactly what encoding/json renders with
// SetEscapeHTML(false).
func TestEncoderMatchesEncodingJSON(t *testing.T) {
	type nested struct {
		A string `json:"A,omitempty"`
		N int    `json:"N,omitempty"`
	}
	type msg struct {
		S      string  `json:"S"`
		E      string  `json:"E,omitempty"`
		I      int64   `json:"I"`
		B      bool    `json:"B"`
		In     nested  `json:"In"`
		InOmit nested  `json:"InOmit,omitempty"`
		P      *nested `json:"P,omitempty"`
		Pn     *nested `json:"Pn"`
		Plain  string
	}
	for _, s := range []string{"", "plain", "Tea & Cake <b>", "咖啡 – 50%", "a\"b\\c", "line\nbreak\ttab\x01\x1f", "bad\xffutf8", "sep\u2028\u2029", "/path?x=1&y=2"} {
		m := msg{S: s, E: s, I: -42, B: true, In: nested{A: s}, P: &nested{N: 7}, Plain: s}
		got, err := MarshalMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if !bytes.Equal(got, want) {
			t.Errorf("for %q:\n got %s\nwant %s", s, got, want)
		}
	}
}

// BenchmarkSealPrepared is Seal alone (render, sign, encrypt, envelope) of
// an OrderCreate message whose parameters were already validated.
func BenchmarkSealPrepared(b *testing.B) {
	k := mustKeys(b, "87282A2FA0E209EBE1B3713AB56A06C2")
	msg, err := OrderCreateMessage("NA0249_001", &benchParams)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal("NA0249_001", ServiceOrderCreate, benchNonce, msg); err != nil {
			b.Fatal(err)
		}
	}
}
