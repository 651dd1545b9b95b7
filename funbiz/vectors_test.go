package funbiz

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// vector is one entry of testdata/vectors.json, the protocol's known inputs
// and outputs (a copy of the project's protocol notes, so tests run alone).
type vector struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	A1          string          `json:"A1"`
	A2          string          `json:"A2"`
	B1          string          `json:"B1"`
	B2          string          `json:"B2"`
	HashInputs  *Hash           `json:"hash_inputs"`
	Nonce       string          `json:"Nonce"`
	HashID      string          `json:"HashID"`
	IV          string          `json:"IV"`
	Message     json.RawMessage `json:"message"`
	MessageJSON string          `json:"message_json"`
	Plaintext   string          `json:"plaintext"`
	Envelope    *Envelope       `json:"envelope"`
	Decrypted   string          `json:"decrypted_message"`
	Response    struct {
		Body string `json:"body"`
	} `json:"response"`
	Expected struct {
		HashID          string `json:"HashID"`
		XORA1A2         string `json:"XOR_A1_A2"`
		IV              string `json:"IV"`
		SignString      string `json:"sign_string"`
		Sign            string `json:"Sign"`
		Message         string `json:"Message"`
		Decrypted       string `json:"decrypted_message"`
		ResponseSignStr string `json:"response_sign_string"`
		NonceLength     int    `json:"nonce_length"`
	} `json:"expected"`
}

func (h *Hash) UnmarshalJSON(b []byte) error {
	var raw struct{ A1, A2, B1, B2 string }
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*h = Hash{A1: Secret(raw.A1), A2: Secret(raw.A2), B1: Secret(raw.B1), B2: Secret(raw.B2)}
	return nil
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func mustKeys(t testing.TB, hashID string) *Keys {
	t.Helper()
	k, err := NewKeysFromHashID(hashID)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	kinds := map[string]int{}
	for _, v := range vs {
		kinds[v.Kind]++
		t.Run(v.ID, func(t *testing.T) {
			switch v.Kind {
			case "hashid":
				h := Hash{A1: Secret(v.A1), A2: Secret(v.A2), B1: Secret(v.B1), B2: Secret(v.B2)}
				got, err := h.HashID()
				if err != nil {
					t.Fatal(err)
				}
				if got != v.Expected.HashID {
					t.Fatalf("HashID = %s, want %s", got, v.Expected.HashID)
				}
				if v.Expected.XORA1A2 != "" && got[:16] != v.Expected.XORA1A2 {
					t.Fatalf("A1^A2 = %s, want %s", got[:16], v.Expected.XORA1A2)
				}
			case "iv":
				if got := IV(v.Nonce); got != v.Expected.IV {
					t.Fatalf("IV = %s, want %s", got, v.Expected.IV)
				}
			case "sign":
				msg := []byte(v.MessageJSON)
				if len(v.Message) > 0 {
					msg = v.Message
				}
				ss, err := SignString(msg)
				if err != nil {
					t.Fatal(err)
				}
				if ss != v.Expected.SignString {
					t.Fatalf("sign string\n got %s\nwant %s", ss, v.Expected.SignString)
				}
				sign, err := mustKeys(t, v.HashID).Sign(v.Nonce, msg)
				if err != nil {
					t.Fatal(err)
				}
				if sign != v.Expected.Sign {
					t.Fatalf("Sign = %s, want %s", sign, v.Expected.Sign)
				}
			case "encrypt":
				k := mustKeys(t, v.HashID)
				if got := IV(v.Nonce); got != v.IV {
					t.Fatalf("IV = %s, want %s", got, v.IV)
				}
				if got := k.Encrypt(v.Nonce, []byte(v.Plaintext)); got != v.Expected.Message {
					t.Fatalf("Message\n got %s\nwant %s", got, v.Expected.Message)
				}
				plain, err := k.Decrypt(v.Nonce, v.Expected.Message)
				if err != nil {
					t.Fatal(err)
				}
				if string(plain) != v.Plaintext {
					t.Fatalf("round trip = %s", plain)
				}
			case "request_envelope", "response_envelope":
				k := mustKeys(t, v.HashID)
				if v.HashInputs != nil {
					hk, err := NewKeys(*v.HashInputs)
					if err != nil {
						t.Fatal(err)
					}
					if hk.HashID() != v.HashID {
						t.Fatalf("HashID from hash inputs = %s, want %s", hk.HashID(), v.HashID)
					}
				}
				want := v.Decrypted
				if want == "" {
					want = v.Expected.Decrypted
				}
				if v.Expected.IV != "" && IV(v.Envelope.Nonce) != v.Expected.IV {
					t.Fatalf("IV = %s, want %s", IV(v.Envelope.Nonce), v.Expected.IV)
				}
				plain, err := k.Open(v.Envelope)
				if err != nil {
					t.Fatal(err)
				}
				if string(plain) != want {
					t.Fatalf("decrypted\n got %s\nwant %s", plain, want)
				}
				if v.Expected.ResponseSignStr != "" {
					ss, _ := SignString(plain)
					if ss != v.Expected.ResponseSignStr {
						t.Fatalf("response sign string\n got %s\nwant %s", ss, v.Expected.ResponseSignStr)
					}
				}
				// Re-sealing the plaintext with the same nonce gives the same envelope.
				env, err := k.SealJSON(v.Envelope.ShopNo, v.Envelope.APIService, v.Envelope.Nonce, plain)
				if err != nil {
					t.Fatal(err)
				}
				if *env != *v.Envelope {
					t.Fatalf("resealed envelope differs:\n got %+v\nwant %+v", *env, *v.Envelope)
				}
				// One flipped Sign character is refused with ErrBadSignature.
				bad := *v.Envelope
				bad.Sign = flip(bad.Sign)
				if _, err := k.Open(&bad); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered Sign: err = %v, want ErrBadSignature", err)
				}
			case "nonce_exchange":
				var body struct{ Nonce string }
				if err := json.Unmarshal([]byte(v.Response.Body), &body); err != nil {
					t.Fatal(err)
				}
				if len(body.Nonce) != v.Expected.NonceLength {
					t.Fatalf("nonce length %d, want %d", len(body.Nonce), v.Expected.NonceLength)
				}
				if got := IV(body.Nonce); got != v.Expected.IV {
					t.Fatalf("IV = %s, want %s", got, v.Expected.IV)
				}
			default:
				t.Fatalf("unknown vector kind %q", v.Kind)
			}
		})
	}
	if len(vs) < 30 || kinds["response_envelope"] == 0 || kinds["sign"] == 0 {
		t.Fatalf("vectors file looks truncated: %d vectors, kinds %v", len(vs), kinds)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}
