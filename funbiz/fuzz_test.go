package funbiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Everything the bank or a browser sends us is untrusted input. These
// targets run their seed corpora in every `go test`; run one with
// `go test -run XXX -fuzz FuzzOpen ./funbiz` to search further.

// fuzzKeys are the HashIDs of the vectors, so that vector envelopes open
// and the fuzzer starts from messages that get past decryption.
func fuzzKeys(f *testing.F) []*Keys {
	seen := map[string]bool{}
	var ks []*Keys
	for _, v := range loadVectors(f) {
		if v.HashID != "" && !seen[v.HashID] {
			seen[v.HashID] = true
			ks = append(ks, mustKeys(f, v.HashID))
		}
	}
	return ks
}

const fuzzNonce = "NjM3NzI3NDIzMDYxNTkuODo2ZjdkZWRjZjNhMTNjMThhNWZlNjU2ZTk5OWYxOTM5MTE1ZTZhNjlkYmU2ZDg2MmNmOWUzYTRmNTVhYmI1Yzkx"

func wantSentinel(t *testing.T, err error, sentinels ...error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || err.Error() == "" {
		t.Fatalf("error %T %q is not a described *Error", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps none of %v", err, sentinels)
}

// FuzzOpen feeds envelope JSON to Keys.Open, and the same bytes as a
// message that a bank sealed correctly: opening must never panic, must
// accept exactly what the Sign rules can sign, and must fail only with
// ErrMalformedResponse or ErrBadSignature.
func FuzzOpen(f *testing.F) {
	keys := fuzzKeys(f)
	for _, v := range loadVectors(f) {
		if v.Envelope != nil {
			b, _ := json.Marshal(v.Envelope)
			f.Add(b)
			if v.Decrypted != "" {
				f.Add([]byte(v.Decrypted))
			}
		}
		if v.Plaintext != "" {
			f.Add([]byte(v.Plaintext))
		}
		if v.MessageJSON != "" {
			f.Add([]byte(v.MessageJSON))
		}
	}
	for _, s := range []string{
		`{}`, `{"Nonce":"n","Message":"00"}`, `{"Nonce":"n","Message":"` + strings.Repeat("0", 32) + `","Sign":""}`,
		`{"Nonce":"","Message":"","Sign":""}`, `{"Message":null}`, `[]`, `{"a":{"b":[1,2,{"c":"\u0000"}]},"d":true,"e":null}`,
		`{"Status":"S","Amount":1e400}`, "\xEF\xBB\xBF{\"a\":\"b\"}", `{"a":"\ud800"}`, `{"x":"` + strings.Repeat("[", 70) + `"}`,
		`{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var env Envelope
		if json.Unmarshal(data, &env) == nil {
			for _, k := range keys {
				plain, err := k.Open(&env)
				if err != nil {
					wantSentinel(t, err, ErrMalformedResponse, ErrBadSignature)
					continue
				}
				// What opens, seals again to the same envelope.
				again, err := k.SealJSON(env.ShopNo, env.APIService, env.Nonce, plain)
				if err != nil {
					t.Fatalf("opened message does not seal: %v", err)
				}
				if again.Message != strings.ToUpper(env.Message) || !strings.EqualFold(again.Sign, env.Sign) {
					t.Fatalf("re-sealed envelope differs")
				}
				var m map[string]any
				if err := k.OpenInto(&env, &m); err != nil {
					wantSentinel(t, err, ErrMalformedResponse)
				}
			}
		}

		// The bytes as a message the bank sealed: it opens exactly when it
		// can be signed, and gives back the same bytes.
		k := keys[0]
		sealed := &Envelope{Nonce: fuzzNonce, Message: k.Encrypt(fuzzNonce, data), Sign: strings.Repeat("0", 64)}
		sign, signErr := k.Sign(fuzzNonce, data)
		if signErr == nil {
			sealed.Sign = sign
		}
		plain, err := k.Open(sealed)
		switch {
		case signErr == nil && err != nil:
			t.Fatalf("a correctly sealed message does not open: %v", err)
		case signErr == nil && !bytes.Equal(plain, data):
			t.Fatalf("opened %q, sealed %q", plain, data)
		case signErr != nil && err == nil:
			t.Fatalf("a message that cannot be signed opened: %v", signErr)
		case err != nil:
			wantSentinel(t, err, ErrMalformedResponse)
		}
	})
}

// FuzzDecrypt: any text as a Message is refused with a reason or
// decrypts to a plaintext that encrypts back to it.
func FuzzDecrypt(f *testing.F) {
	var k *Keys
	nonce := ""
	for _, v := range loadVectors(f) {
		if v.Kind == "encrypt" {
			if k == nil {
				k, nonce = mustKeys(f, v.HashID), v.Nonce
			}
			f.Add(v.Nonce, v.Expected.Message)
			f.Add(v.Nonce, strings.ToLower(v.Expected.Message))
			f.Add(v.Nonce, v.Expected.Message[:len(v.Expected.Message)-1])
			f.Add(v.Nonce, v.Expected.Message[:len(v.Expected.Message)-2])
			f.Add(v.Nonce, v.Expected.Message[:len(v.Expected.Message)-32])
			f.Add(v.Nonce, "G"+v.Expected.Message[1:])
		}
	}
	for _, s := range []string{"", "0", "00", strings.Repeat("00", 15), strings.Repeat("00", 16), strings.Repeat("10", 32),
		strings.Repeat("FF", 48), "zz" + strings.Repeat("0", 30), " " + strings.Repeat("0", 31), "0x" + strings.Repeat("0", 30)} {
		f.Add(nonce, s)
	}
	f.Fuzz(func(t *testing.T, nonce, msg string) {
		plain, err := k.Decrypt(nonce, msg)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("error without text")
			}
			if plain != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		if again := k.Encrypt(nonce, plain); again != strings.ToUpper(msg) {
			t.Fatalf("Decrypt(%q) = %q, which encrypts to %q", msg, plain, again)
		}
	})
}

// FuzzSignString: the sign string never panics, is the same every time,
// and depends only on the values of the message, not on how its JSON is
// written (member order, escapes, blanks), for any JSON object the Go
// decoder reads the same way.
func FuzzSignString(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.Kind == "sign" {
			msg := []byte(v.MessageJSON)
			if len(v.Message) > 0 {
				msg = v.Message
			}
			f.Add(msg)
		}
		if v.Plaintext != "" {
			f.Add([]byte(v.Plaintext))
		}
	}
	for _, s := range []string{
		`{}`, `{"b":"2","a":"1"}`, `{"a":"\u0026\u003c","b":"x\"y","c":"\\"}`, `{"a":"  ","b":"","c":null,"d":0,"e":true,"f":false}`,
		`{"Amount":"10000"}`, `{"Amount":1.50e+3}`, `{"a":"x","A":"y","aa":"z","B":"w"}`, `{"ä":"1","Ä":"2","z":"3"}`,
		`{"a":{"x":1},"b":[1,"]"],"c":"}"}`, `{"a":1,"a":2}`, `{"a":null,"a":"x"}`, `{"a":"\ud800"}`, " {\"a\" : \"b\" } ",
		`{"x":"\u2028\u2029"}`, `{"k":"` + strings.Repeat("長", 300) + `"}`, `{"a":1}x`, `{"a":tru}`, `{"a":"\x"}`,
	} {
		f.Add([]byte(s))
	}
	k := mustKeys(f, testHashID)
	f.Fuzz(func(t *testing.T, data []byte) {
		s1, err1 := SignString(data)
		s2, err2 := SignString(data)
		if s1 != s2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("SignString is not deterministic: %q/%v, %q/%v", s1, err1, s2, err2)
		}
		if err1 != nil && err1.Error() == "" {
			t.Fatal("error without text")
		}
		if !utf8.Valid(data) || !json.Valid(data) || !plainObject(data) {
			return
		}
		if err1 != nil {
			t.Fatalf("valid JSON object %q refused: %v", data, err1)
		}
		// The same object written by encoding/json.
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		s3, err := SignString(buf.Bytes())
		if err != nil || s3 != s1 {
			t.Fatalf("sign string depends on the JSON text:\n%q → %q\n%q → %q (%v)", data, s1, buf.Bytes(), s3, err)
		}
		a, _ := k.Sign(fuzzNonce, data)
		b, _ := k.Sign(fuzzNonce, buf.Bytes())
		if a != b {
			t.Fatalf("Sign depends on the JSON text")
		}
	})
}

// plainObject reports whether data is a JSON object with unique top-level
// names (after unescaping) nested at most 64 deep: the messages the Sign
// rules are defined for.
func plainObject(data []byte) bool {
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return false
	}
	names := map[string]bool{}
	depth := 1
	expectName := true
	for {
		tok, err := d.Token()
		if err != nil {
			return err == io.EOF && depth == 0
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > 64 {
				return false
			}
			expectName = false
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
			expectName = depth == 1
			continue
		}
		if depth == 1 {
			if expectName {
				name := tok.(string)
				if names[name] {
					return false
				}
				names[name] = true
			}
			expectName = !expectName
		}
	}
}

// FuzzParseNotificationBody: a notification body is accepted only with a
// well-formed ShopNo and PayToken, and what is accepted survives a round
// trip.
func FuzzParseNotificationBody(f *testing.F) {
	for _, s := range []string{
		`{"ShopNo":"NA0249_001","PayToken":"` + testToken + `"}`,
		`{"ShopNo":"NA0249_001","PayToken":"x","ShopNo":"NA0001_001"}`,
		`{"ShopNo":"NA0249_001","PayToken":null}`, `{"ShopNo":1,"PayToken":2}`, `[]`, `null`, ``, `{`, "\xEF\xBB\xBF{}",
		`{"ShopNo":"NA0249_001","PayToken":"\u0061bc"}`, `{"ShopNo":"NA 001","PayToken":"abc"}`,
		`{"ShopNo":"NA0249_001","PayToken":"` + strings.Repeat("a", 101) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseNotificationBody(body)
		if err != nil {
			var e *Error
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || e.Field == "" {
				t.Fatalf("error %v does not name a field", err)
			}
			return
		}
		if checkShopNo(n.ShopNo) != nil || CheckPayToken(n.PayToken) != nil {
			t.Fatalf("accepted %+v", n)
		}
		again, _ := json.Marshal(n)
		if m, err := ParseNotificationBody(again); err != nil || m != n {
			t.Fatalf("round trip of %+v: %+v, %v", n, m, err)
		}
	})
}

// FuzzPlainNotification: the quick reading of the bank's own notification
// body takes only what the general reading takes, and reads it the same.
func FuzzPlainNotification(f *testing.F) {
	for _, s := range []string{
		`{"ShopNo":"NA0249_001","PayToken":"` + testToken + `"}`,
		` { "PayToken" : "` + testToken + `" ,` + "\n\t" + `"ShopNo":"NA0249_001" } `,
		`{"ShopNo":"NA0249_001","PayToken":"x","ShopNo":"NA0001_001"}`,
		`{"ShopNo":"NA0249_001","shopno":"NA0001_001"}`, `{"ShopNo":"NA0249_001","ShopNo":"NA0249_001"}`,
		`{"ShopNo":"NA0249_001","PayToken":null}`, `{"ShopNo":"A","PayToken":"B"}x`, `{"ShopNo":"A","PayToken":"B",}`,
		`{"ShopNo":"NA0249_001","PayToken":"\u0061bc"}`, `{"ShopNo":"NA 001","PayToken":"abc"}`,
		`{"ShopNo":"NA0249_001","PayToken":"caf\xc3\xa9"}`, `{"ShopNo":"NA0249_001"}`, `{}`, `{"ShopNo":"A","PayToken":"B"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		quick, ok := plainNotification(body)
		if !ok {
			return
		}
		general, err := parseNotificationJSON(body)
		checked := quick.check()
		if general != quick || fmt.Sprint(err) != fmt.Sprint(checked) {
			t.Fatalf("%q: quick reading %+v, %v; general %+v, %v", body, quick, checked, general, err)
		}
	})
}

var returnContentTypes = []string{
	"", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8",
	"multipart/form-data; boundary=XyZ", "application/json", "text/plain", "multipart/form-data", ";;",
}

// FuzzParseReturn: whatever a browser posts, ParseReturn answers with two
// well-formed fields or an ErrInvalid naming what was wrong.
func FuzzParseReturn(f *testing.F) {
	f.Add("", []byte(url.Values{"ShopNo": {testShopNo}, "PayToken": {testToken}}.Encode()), uint8(1))
	f.Add("ShopNo=NA0249_001&PayToken=abc", []byte{}, uint8(0))
	f.Add("ShopNo=NA0249_001", []byte("PayToken=abc&PayToken=def"), uint8(2))
	f.Add("", []byte("ShopNo=%zz"), uint8(1))
	f.Add(";;;", []byte("a=b;c=d"), uint8(1))
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.SetBoundary("XyZ")
	mw.WriteField("ShopNo", testShopNo)
	mw.WriteField("PayToken", testToken)
	mw.Close()
	f.Add("", mp.Bytes(), uint8(3))
	f.Add("", []byte(`{"ShopNo":"NA0249_001","PayToken":"abc"}`), uint8(4))
	f.Fuzz(func(t *testing.T, query string, body []byte, ct uint8) {
		r := httptest.NewRequest(http.MethodPost, "/funbiz/return", bytes.NewReader(body))
		r.URL.RawQuery = query
		if c := returnContentTypes[int(ct)%len(returnContentTypes)]; c != "" {
			r.Header.Set("Content-Type", c)
		}
		n, err := ParseReturn(r)
		if err != nil {
			var e *Error
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || e.Field == "" {
				t.Fatalf("error %v does not name a field", err)
			}
			return
		}
		if checkShopNo(n.ShopNo) != nil || CheckPayToken(n.PayToken) != nil {
			t.Fatalf("accepted %+v", n)
		}
	})
}

// FuzzParseEnvelope: ParseEnvelope agrees with encoding/json on any body.
func FuzzParseEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"Version":"1.0.0","ShopNo":"NA0249_001","APIService":"OrderCreate","Sign":"AB","Nonce":"n","Message":"00"}`,
		`{"nonce":"a","NONCE":null,"x":[{"y":"\u00e9"}]}`, `{"ſign":"x"}`, "\xEF\xBB\xBF{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want Envelope
		wantErr := json.Unmarshal(trimBOM(body), &want)
		got, err := ParseEnvelope(body)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("%q: got %+v, %v; encoding/json %+v, %v", body, got, err, want, wantErr)
		}
	})
}

// FuzzAppendJSONString: a string is quoted as encoding/json quotes it,
// with and without HTML escaping.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c\n\x00\x7f", "<&>", "台灣\u2028\u2029", "\xff\xfe", "é\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		html, _ := json.Marshal(s)
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got := appendJSONString([]byte("x"), s, true); string(got) != "x"+string(html) {
			t.Fatalf("%q: html %s, encoding/json %s", s, got, html)
		}
		if got := appendJSONString(nil, s, false); string(got) != strings.TrimSuffix(plain.String(), "\n") {
			t.Fatalf("%q: plain %s, encoding/json %s", s, got, plain.String())
		}
	})
}
