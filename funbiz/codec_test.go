package funbiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The hand-written codecs are checked against encoding/json on values
// whose every field is set by reflection, so a field added to a wire type
// and forgotten in its appendJSON or decodeMember fails here.

// wireMessages are the request messages, one of each type.
func wireMessages() []jsonAppender {
	return []jsonAppender{&orderCreateMsg{}, &orderQueryMsg{}, &payQueryMsg{}, &orderMaintainMsg{}, &unCapturedMsg{}, &billQueryMsg{}, &allotMsg{}}
}

// wireAnswers are the answers, one of each type.
func wireAnswers() []wireAnswer {
	return []wireAnswer{&orderCreateResp{}, &orderQueryResp{}, &payQueryResp{}, &maintainResp{}, &billQueryResp{}, &allotResp{}}
}

// fill sets every field of the struct p points to: strings to text
// followed by the field's path (so that two fields swapped show), integers
// to distinct multiples of n, pointers and slices of structs to filled
// values.
func fill(p reflect.Value, path, text string, n int64) {
	counter := n
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		if v.Type() == reflect.TypeFor[SettlementAmount]() {
			// Amounts of unknown form: every form the bank might send.
			forms := []string{"%d", "%d.5", "%d.00", "-%d"}
			raw := fmt.Sprintf(forms[int(counter/n)%len(forms)], counter)
			c, form := parseSettlementAmount(raw)
			v.Set(reflect.ValueOf(SettlementAmount{Raw: raw, Cents: c, Form: form}))
			counter += n
			return
		}
		switch v.Kind() {
		case reflect.String:
			v.SetString(text + path)
		case reflect.Int, reflect.Int64:
			v.SetInt(counter)
			counter += n
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			walk(v.Elem(), path)
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := range 2 {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		default:
			panic("fill: unexpected kind " + v.Kind().String())
		}
	}
	walk(p.Elem(), path)
}

// encodingJSON renders v as the bank renders JSON, with encoding/json.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var awkwardStrings = []string{"", "plain", "Tea & Cake <b>", "咖啡 – 50%", "a\"b\\c", "line\nbreak\ttab\x01\x1f\b\f\x7f", "bad\xffutf8\xc3", "sep\u2028\u2029", "/path?x=1&y=2", " "}

func TestMessagesRenderAsEncodingJSON(t *testing.T) {
	for _, proto := range wireMessages() {
		typ := reflect.TypeOf(proto).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			zero := reflect.New(typ).Interface().(jsonAppender)
			if got, want := zero.appendJSON(nil), encodingJSON(t, zero); !bytes.Equal(got, want) {
				t.Errorf("zero value:\n got %s\nwant %s", got, want)
			}
			for _, s := range awkwardStrings {
				for _, n := range []int64{7, -42} {
					m := reflect.New(typ)
					fill(m, "", s, n)
					got := m.Interface().(jsonAppender).appendJSON([]byte("prefix"))
					want := append([]byte("prefix"), encodingJSON(t, m.Interface())...)
					if !bytes.Equal(got, want) {
						t.Errorf("for %q, %d:\n got %s\nwant %s", s, n, got, want)
					}
				}
			}
		})
	}
}

// decodeAnswer decodes msg into v with the client's decoder.
func decodeAnswer(msg []byte, v memberDecoder) error {
	var buf [24]member
	members, err := scanMembers(msg, buf[:0])
	if err != nil {
		return err
	}
	d := &decoder{msg: msg}
	for _, m := range members {
		v.decodeMember(d, m)
	}
	return d.err
}

// renameMembers rewrites a JSON value with every member name passed
// through f.
func renameMembers(t *testing.T, msg []byte, f func(string) string) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range v {
				out[f(k)] = walk(e)
			}
			return out
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		}
		return v
	}
	return encodingJSON(t, walk(v))
}

func TestAnswersDecodeAsEncodingJSON(t *testing.T) {
	for _, proto := range wireAnswers() {
		typ := reflect.TypeOf(proto).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			for _, s := range awkwardStrings {
				full := reflect.New(typ)
				fill(full, "", s, 1200)
				msg, err := json.Marshal(full.Interface())
				if err != nil {
					t.Fatal(err)
				}
				for _, names := range []func(string) string{
					func(s string) string { return s }, strings.ToLower, strings.ToUpper,
				} {
					in := renameMembers(t, msg, names)
					want := reflect.New(typ)
					if err := json.Unmarshal(in, want.Interface()); err != nil {
						t.Fatal(err)
					}
					got := reflect.New(typ)
					if err := decodeAnswer(in, got.Interface().(memberDecoder)); err != nil {
						t.Fatalf("decoding %s: %v", in, err)
					}
					if !reflect.DeepEqual(got.Interface(), want.Interface()) {
						t.Fatalf("decoding %s\n got %+v\nwant %+v", in, got.Elem(), want.Elem())
					}
					// The strings are copies: the message's array may be
					// reused as soon as it is decoded.
					for i := range in {
						in[i] = 'x'
					}
					if !reflect.DeepEqual(got.Interface(), want.Interface()) {
						t.Fatalf("decoded strings share the message's array")
					}
				}
			}
		})
	}
}

// The bank's answers are not always typed as the manual says; these are
// the shapes the decoder accepts and refuses.
func TestDecodeMemberKinds(t *testing.T) {
	var r allotResp
	err := decodeAnswer([]byte(`{"Status":"S","Description":null,"Date":202401021200,"Allot":[{"AllotDate":20240102,"PayAmount":"150000","RefundAmount":"100.00","FeeAmount":1500.0,"ExtAllotAmount":null,"AllotAmount":"","List":[]}],"Extra":{"x":[1]}}`), &r)
	if err != nil {
		t.Fatal(err)
	}
	a := r.Allot[0]
	// Amounts of AllotQuery keep their text; a decimal point means NT$.
	if r.Date != "202401021200" || r.Description != "" || a.AllotDate != "20240102" || a.PayAmount.Cents != 150000 || a.RefundAmount.Cents != 10000 || a.FeeAmount.Cents != 150000 || a.AllotAmount.Cents != 0 || a.List != nil ||
		a.RefundAmount.Raw != "100.00" || a.FeeAmount.Raw != "1500.0" || a.FeeAmount.Form != AmountInNTD || a.PayAmount.Form != AmountInCents {
		t.Fatalf("decoded %+v", r)
	}
	var q orderQueryResp
	if err := decodeAnswer([]byte(`{"OrderList":[{"ATMParam":null,"CardParam":{}}]}`), &q); err != nil {
		t.Fatal(err)
	}
	if o := q.OrderList[0]; o.ATMParam != nil || o.CardParam == nil {
		t.Fatalf("null and {} decoded as %+v", o)
	}
	for _, c := range []struct {
		msg  string
		into memberDecoder
		want string
	}{
		{`{"Status":true}`, &orderCreateResp{}, "member Status: want a string, got a boolean"},
		{`{"Amount":"十元"}`, &orderCreateResp{}, "member Amount: amount"},
		{`{"Amount":12.5}`, &orderCreateResp{}, "member Amount: amount"},
		{`{"Amount":{}}`, &orderCreateResp{}, "member Amount: want an amount, got an object"},
		{`{"ATMParam":"x"}`, &orderCreateResp{}, "member ATMParam: want an object, got a string"},
		{`{"ATMParam":{"AtmPayNo":[1]}}`, &orderCreateResp{}, "member ATMParam: member AtmPayNo: want a string, got an array"},
		{`{"OrderList":{}}`, &orderQueryResp{}, "member OrderList: want an array, got an object"},
		{`{"OrderList":[1]}`, &orderQueryResp{}, "member OrderList: want an object in the array"},
		{`{"OrderList":[{"Amount":"x"},{"Amount":"y"}]}`, &orderQueryResp{}, `member OrderList: member Amount: amount "x"`},
		{`{"OrderList":[{"A":1,"A":2}]}`, &orderQueryResp{}, `member OrderList: message has member "A" twice`},
		{`{"TSResultContent":[]}`, &payQueryResp{}, "member TSResultContent: want an object, got an array"},
	} {
		if err := decodeAnswer([]byte(c.msg), c.into); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.msg, err, c.want)
		}
	}
}

// The client's request body is what json.Marshal renders for the envelope
// Seal builds, whatever the ShopNo and nonce hold.
func TestRequestBodyIsMarshalledEnvelope(t *testing.T) {
	k := mustKeys(t, testHashID)
	msg := []byte(`{"ShopNo":"NA0249_001","PayToken":"t"}`)
	for _, s := range awkwardStrings {
		for _, nonce := range []string{benchNonce, "n<" + s + ">"} {
			env, err := k.SealJSON("NA0249_001"+s, ServiceOrderPayQuery+s, nonce, msg)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(env)
			got, err := k.appendSealed([]byte("x"), "NA0249_001"+s, ServiceOrderPayQuery+s, nonce, msg, true)
			if err != nil || !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Fatalf("body\n got %s\nwant x%s (%v)", got, want, err)
			}
		}
	}
	if _, err := k.appendSealed(nil, "NA0249_001", ServiceOrderQuery, benchNonce, []byte(`{"a":1,"a":2}`), true); err == nil {
		t.Fatal("a message the Sign rules cannot sign was sealed")
	}
}

// An answer body's envelope is read as encoding/json reads an Envelope.
func TestReadEnvelope(t *testing.T) {
	e, err := readEnvelope([]byte("\xEF\xBB\xBF" + ` { "version":"1.0.0", "SHOPNO":"NA0249_001","apiService":null,"Sign":"S","Nonce":"N\u0041","Message":"M","Other":[1,{}],"Status":5,"Description":"d"} `))
	if err != nil {
		t.Fatal(err)
	}
	if string(e.version) != "1.0.0" || string(e.shopNo) != "NA0249_001" || e.service != nil || string(e.sign) != "S" || string(e.nonce) != "NA" ||
		string(e.message) != "M" || e.status != nil || string(e.description) != "d" {
		t.Fatalf("read %+v", e)
	}
	for _, body := range []string{`{"Nonce":5}`, `{"Message":{}}`, `{"Sign":true}`, `[]`, `{"Nonce":"a"`, ``} {
		if _, err := readEnvelope([]byte(body)); err == nil {
			t.Errorf("%s read as an envelope", body)
		}
	}
}

// The client opens what the bank seals: every answer vector decodes and
// a malformed answer is a described error, never a panic.
func TestDecodeErrorsAreMalformed(t *testing.T) {
	c := roundClient(t)
	answer := orderCreateAnswer(t)
	var w orderCreateResp
	if err := c.decode(ServiceOrderCreate, answer, &w); err != nil || w.Status != StatusSuccess {
		t.Fatalf("bank's answer: %v, %+v", err, w)
	}
	env, err := c.keys.SealJSON("NA0249_001", ServiceOrderCreate, benchNonce, []byte(`{"Status":"S","Amount":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	w = orderCreateResp{}
	err = c.decode(ServiceOrderCreate, envelopeBody(t, env), &w)
	var e *Error
	if !errors.Is(err, ErrMalformedResponse) || !errors.As(err, &e) || e.Body == "" || !strings.Contains(err.Error(), "member Amount: want an amount, got an array") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkCodecs compares the hand-written codecs with encoding/json on
// an OrderCreate: rendering the request message, and decoding the bank's
// answer once its Sign is verified. Run it to check the choice made in
// codec.go.
func BenchmarkCodecs(b *testing.B) {
	msg, err := orderCreateMessage("NA0249_001", &benchParams)
	if err != nil {
		b.Fatal(err)
	}
	var env Envelope
	if err := json.Unmarshal(orderCreateAnswer(b), &env); err != nil {
		b.Fatal(err)
	}
	answer, err := mustKeys(b, testHashID).Open(&env)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("render/hand", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf = msg.appendJSON(buf[:0])
		}
	})
	b.Run("render/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w orderCreateResp
			if err := decodeAnswer(answer, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w orderCreateResp
			if err := json.Unmarshal(answer, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzDecodeAnswers: any message decodes into every answer type without
// panicking, and when both the client's decoder and encoding/json accept
// it, they agree. (They differ by design where one refuses: the client
// reads numbers as text and amounts from strings, encoding/json does not.)
func FuzzDecodeAnswers(f *testing.F) {
	for _, v := range loadVectors(f) {
		for _, s := range []string{v.Decrypted, v.Expected.Decrypted, v.Plaintext} {
			if s != "" {
				f.Add([]byte(s))
			}
		}
	}
	for _, s := range []string{
		`{"OrderList":[{"OrderNo":"A1","Amount":100,"ATMParam":{"AtmPayNo":"1"},"CardParam":null}],"Status":"S"}`,
		`{"Allot":[{"AllotDate":20240101,"List":[{"TSNO":"T","Amount":"100.00","Fee":1500}]}]}`,
		`{"TSResultContent":{"Amount":"9440300","Status":"F"},"status":"s","STATUS":"S"}`,
		`{"Status":"\u0053","Description":"a\"b\\c\u2028","OrderList":[]}`, `{"OrderList":[{},{}],"Allot":null}`,
		`{"ATMParam":{"AtmPayNo":1}}`, `{"Amount":1e2}`, `{"x":{"y":[{"z":null}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, proto := range wireAnswers() {
			typ := reflect.TypeOf(proto).Elem()
			got := reflect.New(typ)
			err := decodeAnswer(data, got.Interface().(memberDecoder))
			if err != nil {
				if err.Error() == "" {
					t.Fatal("error without text")
				}
				continue
			}
			want := reflect.New(typ)
			if !utf8.Valid(data) || !asciiNames(data) || json.Unmarshal(data, want.Interface()) != nil {
				continue
			}
			emptyToNil(got)
			emptyToNil(want)
			if !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Fatalf("%s decodes into %s as\n%+v\nbut encoding/json gives\n%+v", data, typ.Name(), got.Elem(), want.Elem())
			}
		}
	})
}

// asciiNames reports whether every member name in a JSON text is ASCII:
// encoding/json also folds a few non-ASCII letters (K, ſ) into ASCII
// names, which the bank's names never need.
func asciiNames(data []byte) bool {
	d := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return true
		}
		if s, ok := tok.(string); ok && !isASCII([]byte(s)) {
			return false
		}
	}
}

// emptyToNil replaces empty slices by nil throughout the value p points
// to: the decoders differ on [] (nil or empty), which no caller sees.
func emptyToNil(p reflect.Value) {
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice:
			if v.Len() == 0 {
				v.Set(reflect.Zero(v.Type()))
			}
			for i := range v.Len() {
				walk(v.Index(i))
			}
		}
	}
	walk(p)
}

// ParseEnvelope reads what encoding/json reads into an Envelope, and
// fails where it fails.
func TestParseEnvelope(t *testing.T) {
	bodies := []string{
		"\xEF\xBB\xBF" + ` { "version":"1.0.0", "SHOPNO":"NA0249_001","apiService":null,"Sign":"S","Nonce":"N\u0041","Message":"M","Other":[1,{}],"Status":5,"Description":"d"} `,
		`{"Version":"1.0.0","ShopNo":"NA0249_001","APIService":"OrderCreate","Sign":"AB","Nonce":"n","Message":"00"}`,
		`{"Nonce":"a","nonce":"b"}`, `{"Nonce":"a","Nonce":"b"}`, `{"Nonce":"a","nonce":null}`,
		`{"ſhopNo":"x"}`, `{"\u017fhopNo":"x"}`, `{"KShopNo":"x","Sign":"\u212a"}`,
		`{"Nonce":"a` + "\x01" + `"}`, `{"Nonce":"a` + "\xff" + `"}`, `{"Other":"a` + "\t" + `"}`, "{\"Nonce\"\t:\n\"a\"\r}",
		`{"Other":{1,2}}`, `{"Other":[1,,2]}`, `{"Other":{"a":[{"b":null}]}}`, `{"Other":tru}`, `{"Other":01}`,
		`{"Nonce":5}`, `{"Message":{}}`, `{"Sign":true}`, `{"Sign":[]}`, `[]`, `null`, `"x"`, `{"Nonce":"a"`, ``, `{}`, `{} x`,
		`{"Nonce":"a\u0000b"}`, `{"Nonce":"\ud800"}`, `{"Nonce":"<&>"}`, `{"Nonce":"台灣"}`,
	}
	for _, body := range bodies {
		var want Envelope
		wantErr := json.Unmarshal(trimBOM([]byte(body)), &want)
		got, err := ParseEnvelope([]byte(body))
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("%q: got %+v, %v; encoding/json %+v, %v", body, got, err, want, wantErr)
		}
	}
}

// AppendSealed renders the envelope SealJSON builds as an Encoder without
// HTML escaping does.
func TestAppendSealed(t *testing.T) {
	k := mustKeys(t, testHashID)
	msg := []byte(`{"ShopNo":"NA0249_001","PayToken":"t"}`)
	for _, s := range awkwardStrings {
		env, err := k.SealJSON("NA0249_001"+s, ServiceOrderPayQuery+s, "n<"+s+">", msg)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(env)
		got, err := k.AppendSealed([]byte("x"), "NA0249_001"+s, ServiceOrderPayQuery+s, "n<"+s+">", msg)
		if err != nil || string(got) != "x"+strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("body\n got %s\nwant x%s (%v)", got, want.String(), err)
		}
	}
}
