package funbiz

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// A PayToken as the bank sends it: 64 lower-case hex.
const testToken = "da1547c3d3c6410c9b2a0a8b8f1e2f1fa0b6f4bf0a8e4e5b9b6c7d8e9f0a66c1"

func notifyRequest(method, body string) *http.Request {
	r := httptest.NewRequest(method, "/funbiz/notify", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestParseNotification(t *testing.T) {
	valid := `{"ShopNo":"NA0249_001","PayToken":"` + testToken + `"}`
	n, err := ParseNotification(notifyRequest(http.MethodPost, valid))
	if err != nil || n != (Notification{ShopNo: testShopNo, PayToken: testToken}) {
		t.Fatalf("valid notification: %+v, %v", n, err)
	}
	// A body of exactly MaxCallbackBody bytes is still read.
	padded := valid[:len(valid)-1] + `,"Pad":"` + strings.Repeat("x", MaxCallbackBody-len(valid)-9) + `"}`
	if len(padded) != MaxCallbackBody {
		t.Fatalf("padded body is %d bytes", len(padded))
	}
	if _, err := ParseNotification(notifyRequest(http.MethodPost, padded)); err != nil {
		t.Fatalf("%d-byte notification refused: %v", len(padded), err)
	}
	// Extra fields, surrounding blanks and a BOM are tolerated; a name may
	// come again in another object.
	for _, body := range []string{
		`{"ShopNo":"NA0249_001","PayToken":"` + testToken + `","APType":"PayOut"}`,
		`{"ShopNo":"NA0249_001","PayToken":"` + testToken + `","X":{"ShopNo":1,"a":[{"a":1},{"a":2}]},"a":{}}`,
		"\r\n " + valid + "\n",
		"\xEF\xBB\xBF" + valid,
	} {
		if _, err := ParseNotification(notifyRequest(http.MethodPost, body)); err != nil {
			t.Errorf("body %q refused: %v", body, err)
		}
	}

	cases := []struct {
		name, method, body, field string
	}{
		{"GET", http.MethodGet, valid, "method"},
		{"PUT", http.MethodPut, valid, "method"},
		{"over 64 KiB", http.MethodPost, padded[:len(padded)-2] + `x"}`, "body"},
		{"empty", http.MethodPost, "", "body"},
		{"blank", http.MethodPost, " \n", "body"},
		{"form instead of JSON", http.MethodPost, "ShopNo=NA0249_001&PayToken=" + testToken, "body"},
		{"array", http.MethodPost, `[{"ShopNo":"NA0249_001"}]`, "body"},
		{"truncated", http.MethodPost, valid[:20], "body"},
		{"no ShopNo", http.MethodPost, `{"PayToken":"` + testToken + `"}`, "ShopNo"},
		{"no PayToken", http.MethodPost, `{"ShopNo":"NA0249_001"}`, "PayToken"},
		{"ShopNo number", http.MethodPost, `{"ShopNo":249001,"PayToken":"` + testToken + `"}`, "ShopNo"},
		{"PayToken object", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":{"v":"x"}}`, "PayToken"},
		{"PayToken bool", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":true}`, "PayToken"},
		{"PayToken null", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":null}`, "PayToken"},
		{"ShopNo empty", http.MethodPost, `{"ShopNo":"","PayToken":"` + testToken + `"}`, "ShopNo"},
		{"ShopNo quote", http.MethodPost, `{"ShopNo":"NA0249'001","PayToken":"` + testToken + `"}`, "ShopNo"},
		{"PayToken dash", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"da1547c3-d3c6"}`, "PayToken"},
		{"PayToken script", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"<script>"}`, "PayToken"},
		{"PayToken non-ASCII", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"ａｂｃ"}`, "PayToken"},
		{"PayToken 101", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"` + strings.Repeat("a", 101) + `"}`, "PayToken"},
		// A name given twice is read by the bank's .NET one way and by us
		// another; .NET matches names without regard to case.
		{"PayToken twice", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"` + testToken + `","PayToken":"abc"}`, "body"},
		{"ShopNo twice", http.MethodPost, `{"ShopNo":"XX0001_001","ShopNo":"NA0249_001","PayToken":"` + testToken + `"}`, "body"},
		{"PayToken twice in two cases", http.MethodPost, `{"ShopNo":"NA0249_001","payTOKEN":"abc","PayToken":"` + testToken + `"}`, "body"},
		{"an extra member twice", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"` + testToken + `","X":1,"x":2}`, "body"},
		{"a nested member twice", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"` + testToken + `","X":[{"a":1,"A":{}}]}`, "body"},
		{"escaped name twice", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"` + testToken + `","\u0050ayToken":"abc"}`, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNotification(notifyRequest(tc.method, tc.body))
			wantInvalid(t, err, tc.field)
		})
	}
	// A 100-character token is the longest accepted.
	if _, err := ParseNotificationBody([]byte(`{"ShopNo":"NA0249_001","PayToken":"` + strings.Repeat("A", 100) + `"}`)); err != nil {
		t.Errorf("100-character token refused: %v", err)
	}
}

// A body that never ends must not be read to its end.
func TestParseNotificationStopsReading(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/funbiz/notify", io.LimitReader(zeros{}, 1<<30))
	var counted countingReader
	counted.r = r.Body
	r.Body = io.NopCloser(&counted)
	_, err := ParseNotification(r)
	wantInvalid(t, err, "body")
	if counted.n > 2*MaxCallbackBody {
		t.Fatalf("read %d bytes of an endless body", counted.n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func returnRequest(target string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestParseReturn(t *testing.T) {
	want := Notification{ShopNo: testShopNo, PayToken: testToken}
	form := url.Values{"ShopNo": {testShopNo}, "PayToken": {testToken}, "Extra": {"ignored"}}

	t.Run("form post", func(t *testing.T) {
		n, err := ParseReturn(returnRequest("/funbiz/return", form))
		if err != nil || n != want {
			t.Fatalf("%+v, %v", n, err)
		}
	})
	t.Run("form post with charset", func(t *testing.T) {
		r := returnRequest("/funbiz/return", form)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		if n, err := ParseReturn(r); err != nil || n != want {
			t.Fatalf("%+v, %v", n, err)
		}
	})
	t.Run("query string", func(t *testing.T) {
		r := returnRequest("/funbiz/return?"+url.Values{"ShopNo": {testShopNo}, "PayToken": {testToken}}.Encode(), nil)
		if n, err := ParseReturn(r); err != nil || n != want {
			t.Fatalf("%+v, %v", n, err)
		}
		r = httptest.NewRequest(http.MethodPost, "/funbiz/return?ShopNo=NA0249_001&PayToken="+testToken, nil)
		if n, err := ParseReturn(r); err != nil || n != want {
			t.Fatalf("without Content-Type: %+v, %v", n, err)
		}
	})
	t.Run("multipart form", func(t *testing.T) {
		// Browsers send multipart when the bank's page says
		// enctype="multipart/form-data"; ParseReturn accepts that type, so it
		// must read its fields.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("ShopNo", testShopNo)
		mw.WriteField("PayToken", testToken)
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/funbiz/return", &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		if n, err := ParseReturn(r); err != nil || n != want {
			t.Fatalf("%+v, %v", n, err)
		}
	})

	big := url.Values{"ShopNo": {testShopNo}, "PayToken": {testToken}, "Pad": {strings.Repeat("x", MaxCallbackBody)}}
	cases := []struct {
		name, field string
		r           func() *http.Request
	}{
		{"GET", "method", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/funbiz/return?ShopNo=NA0249_001&PayToken="+testToken, nil)
		}},
		{"JSON body", "Content-Type", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/funbiz/return", strings.NewReader(`{"ShopNo":"NA0249_001"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"bad Content-Type", "Content-Type", func() *http.Request {
			r := returnRequest("/funbiz/return", form)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset")
			return r
		}},
		{"oversize", "body", func() *http.Request { return returnRequest("/funbiz/return", big) }},
		{"bad form encoding", "body", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/funbiz/return", strings.NewReader("ShopNo=%zz"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
		{"oversize multipart", "body", func() *http.Request {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("ShopNo", testShopNo)
			mw.WriteField("Pad", strings.Repeat("x", MaxCallbackBody))
			mw.WriteField("PayToken", testToken)
			mw.Close()
			r := httptest.NewRequest(http.MethodPost, "/funbiz/return", &body)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			return r
		}},
		{"no PayToken", "PayToken", func() *http.Request {
			return returnRequest("/funbiz/return", url.Values{"ShopNo": {testShopNo}})
		}},
		{"no ShopNo", "ShopNo", func() *http.Request {
			return returnRequest("/funbiz/return", url.Values{"PayToken": {testToken}})
		}},
		{"token with quote", "PayToken", func() *http.Request {
			return returnRequest("/funbiz/return", url.Values{"ShopNo": {testShopNo}, "PayToken": {`abc"def`}})
		}},
		{"token 101", "PayToken", func() *http.Request {
			return returnRequest("/funbiz/return", url.Values{"ShopNo": {testShopNo}, "PayToken": {strings.Repeat("1", 101)}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReturn(tc.r())
			wantInvalid(t, err, tc.field)
		})
	}
}

func TestWriteAck(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteAck(rec)
	if rec.Code != http.StatusOK || rec.Body.String() != `{"Status":"S"}` {
		t.Fatalf("ack = %d %q", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
}

func TestNotificationHandler(t *testing.T) {
	valid := `{"ShopNo":"NA0249_001","PayToken":"` + testToken + `"}`
	var recorded []Notification
	var failRecord bool
	h := NotificationHandler(testShopNo, func(ctx context.Context, n Notification) error {
		if ctx == nil {
			t.Error("record got no context")
		}
		if failRecord {
			return errors.New("database is down")
		}
		recorded = append(recorded, n)
		return nil
	})
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	rec := serve(notifyRequest(http.MethodPost, valid))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"Status":"S"}` || len(recorded) != 1 || recorded[0].PayToken != testToken {
		t.Fatalf("valid notification: %d %q, recorded %v", rec.Code, rec.Body.String(), recorded)
	}
	// The bank resends; a duplicate is acknowledged again.
	if rec = serve(notifyRequest(http.MethodPost, valid)); rec.Code != http.StatusOK || len(recorded) != 2 {
		t.Fatalf("duplicate: %d, recorded %d", rec.Code, len(recorded))
	}

	for _, tc := range []struct{ name, method, body string }{
		{"not JSON", http.MethodPost, "hello"},
		{"GET", http.MethodGet, valid},
		{"bad token", http.MethodPost, `{"ShopNo":"NA0249_001","PayToken":"../../etc"}`},
		{"another shop", http.MethodPost, `{"ShopNo":"NA0001_001","PayToken":"` + testToken + `"}`},
	} {
		rec := serve(notifyRequest(tc.method, tc.body))
		if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), `"Status":"S"`) {
			t.Errorf("%s: %d %q, want 400 without an ack", tc.name, rec.Code, rec.Body.String())
		}
	}
	if len(recorded) != 2 {
		t.Errorf("bad notifications were recorded: %v", recorded)
	}

	failRecord = true
	rec = serve(notifyRequest(http.MethodPost, valid))
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), `"Status":"S"`) {
		t.Errorf("record failed: %d %q, want 503 without an ack", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "database") {
		t.Errorf("the bank is told our internal error: %q", rec.Body.String())
	}
}

func paidResult() *PayResult {
	return &PayResult{
		ShopNo: testShopNo, PayToken: testToken, Date: fakeDate, Status: "S", Description: "S0000 – 處理成功",
		Payment: Payment{APType: APTypePayOut, TSNo: "NA024900000479", OrderNo: "A202110235940", ShopNo: testShopNo,
			PayType: PayTypeATM, Amount: 94403, Status: "S", PayDate: "202110022130"},
	}
}

func TestJudge(t *testing.T) {
	want := Expected{OrderNo: "A202110235940", Amount: 94403}
	cases := []struct {
		name   string
		edit   func(r *PayResult)
		want   Expected
		out    Outcome
		reason string
	}{
		{"paid", func(*PayResult) {}, want, OutcomePaid, ""},
		{"captured", func(r *PayResult) { r.Payment.APType = APTypeCaptureOut }, want, OutcomePaid, ""},
		{"no APType", func(r *PayResult) { r.Payment.APType = "" }, want, OutcomePaid, ""},
		{"no inner ShopNo", func(r *PayResult) { r.Payment.ShopNo = "" }, want, OutcomePaid, ""},
		{"payment failed", func(r *PayResult) { r.Payment.Status, r.Payment.Description = "F", "授權失敗" }, want, OutcomeFailed, "授權失敗"},
		{"unknown APType", func(r *PayResult) { r.Payment.APType = "RefundOut" }, want, OutcomeFailed, "Status S"},
		{"outer ShopNo", func(r *PayResult) { r.ShopNo = "NA0001_001" }, want, OutcomeMismatch, "ShopNo"},
		{"inner ShopNo", func(r *PayResult) { r.Payment.ShopNo = "NA0001_001" }, want, OutcomeMismatch, "NA0001_001"},
		{"OrderNo", func(*PayResult) {}, Expected{OrderNo: "A1", Amount: 94403}, OutcomeMismatch, `OrderNo "A202110235940", expected "A1"`},
		{"Amount", func(*PayResult) {}, Expected{OrderNo: "A202110235940", Amount: 944}, OutcomeMismatch, "Amount NT$94403, expected NT$944"},
		// A failed payment for another order is first of all not ours.
		{"failed and other order", func(r *PayResult) { r.Payment.Status = "F" }, Expected{OrderNo: "X"}, OutcomeMismatch, "OrderNo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := paidResult()
			tc.edit(r)
			c := Judge(testShopNo, r, tc.want)
			if c.Outcome != tc.out || c.Result != r || !strings.Contains(c.Reason, tc.reason) {
				t.Fatalf("Judge = %v %q, want %v with %q", c.Outcome, c.Reason, tc.out, tc.reason)
			}
		})
	}
	for o, s := range map[Outcome]string{OutcomePaid: "paid", OutcomeFailed: "failed", OutcomeMismatch: "mismatch", 0: "Outcome(0)"} {
		if o.String() != s {
			t.Errorf("Outcome %d prints %q", int(o), o.String())
		}
	}
}

func TestPayStatusPaid(t *testing.T) {
	for s, paid := range map[PayStatus]bool{
		PayStatusATMWaiting: false, PayStatusATMPaid: true, PayStatusATMSettled: true,
		PayStatusCardWaiting: false, PayStatusCardExpired: false, PayStatusCardAuthed: true,
		PayStatusCardVoid: false, PayStatusCardCanceled: false, PayStatusCardCaptured: true, PayStatusCardSettled: true,
		"1M400": true, "1M900": true, "": false, "400": false, "1A4000": false,
	} {
		if s.Paid() != paid {
			t.Errorf("PayStatus(%q).Paid() = %v", s, !paid)
		}
	}
}

// The whole callback path: the bank notifies, the handler records and acks,
// Confirm asks the bank and judges.
func TestNotificationThenConfirm(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	ctx := t.Context()
	if _, err := c.OrderCreate(ctx, atmParams("A1", 2500)); err != nil {
		t.Fatal(err)
	}
	token := b.pay("A1")
	queue := make(chan Notification, 1)
	srv := httptest.NewServer(NotificationHandler(testShopNo, func(_ context.Context, n Notification) error {
		queue <- n
		return nil
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"ShopNo":"NA0249_001","PayToken":"`+token+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(ack) != `{"Status":"S"}` {
		t.Fatalf("ack %d %s", resp.StatusCode, ack)
	}
	n := <-queue
	conf, err := c.Confirm(ctx, n.PayToken, Expected{OrderNo: "A1", Amount: 2500})
	if err != nil || conf.Outcome != OutcomePaid {
		t.Fatalf("Confirm = %+v, %v", conf, err)
	}
}
