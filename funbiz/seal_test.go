package funbiz

import (
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

// BenchmarkOpenOrderCreate: read the bank's answer body, decrypt it,
// verify the Sign and decode it.
func BenchmarkOpenOrderCreate(b *testing.B) {
	c := roundClient(b)
	answer := orderCreateAnswer(b)
	b.ReportAllocs()
	for b.Loop() {
		var w orderCreateResp
		if err := c.decode(ServiceOrderCreate, answer, &w); err != nil {
			b.Fatal(err)
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
