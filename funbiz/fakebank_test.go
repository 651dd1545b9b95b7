package funbiz

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The public sandbox demo shop (vector hashid-na0249-sandbox): using real
// sandbox values means a failure here can be replayed against the sandbox.
const (
	testShopNo = "NA0249_001"
	testHashID = "87282A2FA0E209EBE1B3713AB56A06C2"
	testKeyID  = "b5e6986d-8636-4aa0-8c93-441ad14b2098"
	// fakeDate is the bank's clock: answers carry fixed times so that tests
	// never depend on when they run.
	fakeDate = "202401151200"
)

var testHash = Hash{A1: "86D50DEF3EB7400E", A2: "01FD27C09E5549E5", B1: "9E004965F4244953", B2: "7FB3385F414E4F91"}

// bankCall is one request as the fake bank saw it, decrypted.
type bankCall struct {
	Path    string
	Header  http.Header
	Body    []byte
	Env     Envelope
	Plain   []byte
	Msg     map[string]any
	OpenErr error
	// NonceOK is false when the request's Nonce was never issued or was
	// already used: the client must fetch a fresh nonce for every call.
	NonceOK bool

	ctx context.Context
}

// get returns a message field, following nested objects, as the text the
// bank would read: a string as is, a number as its literal.
func (c *bankCall) get(path ...string) (string, bool) {
	var v any = c.Msg
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[p]; !ok {
			return "", false
		}
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case nil:
		return "null", true
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

func (c *bankCall) str(path ...string) string { s, _ := c.get(path...); return s }

// isNumber reports whether a top-level field is a JSON number, as the bank
// wants amounts.
func (c *bankCall) isNumber(name string) bool { _, ok := c.Msg[name].(json.Number); return ok }

// answer replaces the fake bank's own answer to one /Order call.
type answer func(w http.ResponseWriter, c *bankCall)

type fakeOrder struct {
	OrderNo, PayType, PrdtName string
	Cents, RefundedCents       int64
	TSNo, PayStatus            string
	ExpireDate, AutoBilling    string
	Param1                     string
	AtmPayNo, PayURL           string
}

// fakeBank is a hand-made stand-in for the bank's QPay.WebAPI: it opens
// every request with the shop's Keys, keeps orders and PayTokens in
// memory and answers sealed, bank-shaped messages under a fresh nonce.
// Tests script faults with nextOrder and nextNonce.
type fakeBank struct {
	t    testing.TB
	srv  *httptest.Server
	URL  string
	keys *Keys

	mu          sync.Mutex
	calls       []*bankCall
	nonceHits   int
	orderHits   int
	issued      map[string]bool // nonce → still usable
	nonceScript []http.HandlerFunc
	orderScript []answer
	orders      map[string]*fakeOrder
	created     []string
	tokens      map[string]map[string]any // PayToken → TSResultContent
	seq         int
}

func newFakeBank(t testing.TB) *fakeBank {
	t.Helper()
	keys, err := NewKeys(testHash)
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBank{t: t, keys: keys, issued: map[string]bool{}, orders: map[string]*fakeOrder{}, tokens: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /QPay.WebAPI/api/Nonce", b.serveNonce)
	mux.HandleFunc("POST /QPay.WebAPI/api/Order", b.serveOrder)
	b.srv = httptest.NewServer(mux)
	b.URL = b.srv.URL + "/QPay.WebAPI/api"
	t.Cleanup(b.srv.Close)
	return b
}

// newTestClient returns a client of the fake bank with fast retries; edit
// adjusts the configuration.
func newTestClient(t testing.TB, b *fakeBank, edit ...func(*Config)) *Client {
	t.Helper()
	hc := *b.srv.Client()
	hc.Timeout = 10 * time.Second
	cfg := Config{
		BaseURL: b.URL, ShopNo: testShopNo, Hash: testHash, KeyID: testKeyID, HTTPClient: &hc,
		Retry: RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 4 * time.Millisecond},
	}
	for _, f := range edit {
		f(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextOrder makes the next n /Order calls answer with a.
func (b *fakeBank) nextOrder(n int, a answer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range n {
		b.orderScript = append(b.orderScript, a)
	}
}

// nextNonce makes the next n /Nonce calls answer with h.
func (b *fakeBank) nextNonce(n int, h http.HandlerFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range n {
		b.nonceScript = append(b.nonceScript, h)
	}
}

func (b *fakeBank) hits() (nonce, order int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nonceHits, b.orderHits
}

// orderCalls returns the /Order requests received so far.
func (b *fakeBank) orderCalls() []*bankCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*bankCall
	for _, c := range b.calls {
		if c.Path == "/Order" {
			out = append(out, c)
		}
	}
	return out
}

func (b *fakeBank) lastOrderCall() *bankCall {
	b.t.Helper()
	cs := b.orderCalls()
	if len(cs) == 0 {
		b.t.Fatal("the bank received no /Order call")
	}
	return cs[len(cs)-1]
}

// fakeNonce makes a nonce shaped like the bank's: base64 of
// "<14 digits>.<digit>:<64 hex>", 108 characters.
func fakeNonce() string {
	var r [40]byte
	rand.Read(r[:])
	ticks := binary.BigEndian.Uint64(r[32:]) % 1e14
	raw := fmt.Sprintf("%014d.%d:%s", ticks, r[0]%10, hex.EncodeToString(r[:32]))
	return base64.StdEncoding.EncodeToString([]byte(raw))
}

func (b *fakeBank) serveNonce(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.nonceHits++
	b.calls = append(b.calls, &bankCall{Path: "/Nonce", Header: r.Header.Clone(), Body: body, ctx: r.Context()})
	var script http.HandlerFunc
	if len(b.nonceScript) > 0 {
		script, b.nonceScript = b.nonceScript[0], b.nonceScript[1:]
	}
	b.mu.Unlock()
	if script != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		script(w, r)
		return
	}
	if r.Header.Get("X-KeyID") != testKeyID {
		http.Error(w, "X-KeyID is missing or unknown", http.StatusUnauthorized)
		return
	}
	var req struct{ ShopNo string }
	if err := json.Unmarshal(body, &req); err != nil || req.ShopNo != testShopNo {
		b.t.Errorf("fake bank: /Nonce body %q, want {\"ShopNo\":%q}", body, testShopNo)
		http.Error(w, "bad nonce request", http.StatusBadRequest)
		return
	}
	nonce := fakeNonce()
	b.mu.Lock()
	b.issued[nonce] = true
	b.mu.Unlock()
	fakeWriteJSON(w, map[string]string{"Nonce": nonce})
}

func fakeWriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// reply seals msg as the bank does: under a fresh nonce of its own.
func (b *fakeBank) reply(w http.ResponseWriter, service string, msg any) {
	fakeWriteJSON(w, b.seal(service, msg))
}

func (b *fakeBank) seal(service string, msg any) *Envelope {
	env, err := b.keys.Seal(testShopNo, service, fakeNonce(), msg)
	if err != nil {
		b.t.Errorf("fake bank: sealing %s answer: %v", service, err)
		return &Envelope{}
	}
	return env
}

// refuse answers Status F with a bank Description such as
// "E0602 – 收款方式未啟用".
func (b *fakeBank) refuse(w http.ResponseWriter, service, description string) {
	b.reply(w, service, map[string]any{"ShopNo": testShopNo, "Date": fakeDate, "Status": "F", "Description": description})
}

func (b *fakeBank) serveOrder(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := &bankCall{Path: "/Order", Header: r.Header.Clone(), Body: body, ctx: r.Context()}
	if err := json.Unmarshal(body, &c.Env); err != nil {
		c.OpenErr = err
	} else if c.Plain, c.OpenErr = b.keys.Open(&c.Env); c.OpenErr == nil {
		d := json.NewDecoder(bytes.NewReader(c.Plain))
		d.UseNumber()
		c.OpenErr = d.Decode(&c.Msg)
	}
	b.mu.Lock()
	b.orderHits++
	b.calls = append(b.calls, c)
	c.NonceOK = b.issued[c.Env.Nonce]
	delete(b.issued, c.Env.Nonce)
	var script answer
	if len(b.orderScript) > 0 {
		script, b.orderScript = b.orderScript[0], b.orderScript[1:]
	}
	b.mu.Unlock()
	if c.OpenErr != nil {
		b.t.Errorf("fake bank: cannot open the client's request: %v", c.OpenErr)
	}
	if script != nil {
		script(w, c)
		return
	}
	if r.Header.Get("X-KeyID") != testKeyID {
		http.Error(w, "X-KeyID is missing or unknown", http.StatusUnauthorized)
		return
	}
	if c.OpenErr != nil {
		fakeWriteJSON(w, map[string]string{"Status": "F", "Description": "E0101 – 訊息驗證失敗"})
		return
	}
	if !c.NonceOK {
		b.refuse(w, c.Env.APIService, "E0102 – Nonce 已失效")
		return
	}
	if c.str("ShopNo") != testShopNo || c.Env.ShopNo != testShopNo {
		b.t.Errorf("fake bank: request for shop %q / %q", c.Env.ShopNo, c.str("ShopNo"))
	}
	b.dispatch(w, c)
}

// dispatch does the bank's work for one opened request and answers it.
func (b *fakeBank) dispatch(w http.ResponseWriter, c *bankCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch s := c.Env.APIService; s {
	case ServiceOrderCreate:
		b.orderCreate(w, c)
	case ServiceOrderQuery:
		b.orderQuery(w, c)
	case ServiceOrderPayQuery:
		b.orderPayQuery(w, c)
	case ServiceOrderMaintain:
		b.orderMaintain(w, c)
	case ServiceOrderUnCapturedQuery:
		b.unCaptured(w, c)
	case ServiceBillQuery:
		b.billQuery(w, c)
	case ServiceAllotQuery:
		b.allotQuery(w, c)
	default:
		b.refuse(w, s, "E0100 – 服務不存在")
	}
}

func cents64(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func (b *fakeBank) orderCreate(w http.ResponseWriter, c *bankCall) {
	no := c.str("OrderNo")
	if b.orders[no] != nil {
		b.refuse(w, ServiceOrderCreate, "E0201 – 訂單編號重複")
		return
	}
	b.seq++
	o := &fakeOrder{
		OrderNo: no, PayType: c.str("PayType"), PrdtName: c.str("PrdtName"), Cents: cents64(c.str("Amount")),
		TSNo: fmt.Sprintf("NA0249%08d", b.seq), ExpireDate: c.str("ATMParam", "ExpireDate"),
		AutoBilling: c.str("CardParam", "AutoBilling"), Param1: c.str("Param1"),
	}
	tk := fmt.Sprintf("%08x-0000-4000-8000-%012d", b.seq, b.seq)
	resp := map[string]any{
		"OrderNo": no, "ShopNo": testShopNo, "TSNo": o.TSNo, "Amount": json.Number(strconv.FormatInt(o.Cents, 10)),
		"Status": "S", "Description": "S0000 – 處理成功", "PayType": o.PayType,
	}
	if o.Param1 != "" {
		resp["Param1"] = o.Param1
	}
	switch o.PayType {
	case "A":
		o.PayStatus = string(PayStatusATMWaiting)
		o.AtmPayNo = fmt.Sprintf("99922%09d", b.seq)
		resp["ATMParam"] = map[string]string{
			"AtmPayNo":  o.AtmPayNo,
			"WebAtmURL": "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayWebATM?TD=" + o.TSNo + "&TK=" + tk,
			"OtpURL":    "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayOTP?TD=" + o.TSNo + "&TK=" + tk,
		}
	case "C":
		o.PayStatus = string(PayStatusCardWaiting)
		o.PayURL = "https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayCard?TD=" + o.TSNo + "&TK=" + tk
		resp["CardParam"] = map[string]string{"CardPayURL": o.PayURL}
	default:
		b.refuse(w, ServiceOrderCreate, "E0602 – 收款方式未啟用")
		return
	}
	b.orders[no] = o
	b.created = append(b.created, no)
	b.reply(w, ServiceOrderCreate, resp)
}

// row renders an order as an OrderQuery OrderList item.
func (o *fakeOrder) row() map[string]any {
	m := map[string]any{
		"OrderNo": o.OrderNo, "TSNo": o.TSNo, "TSDate": fakeDate, "Amount": o.Cents, "PayType": o.PayType,
		"PayStatus": o.PayStatus, "PrdtName": o.PrdtName, "RefundFlag": "N",
	}
	if o.RefundedCents > 0 {
		m["RefundFlag"] = "Y"
	}
	paid := PayStatus(o.PayStatus).Paid()
	if paid {
		m["PayDate"] = fakeDate
	}
	if o.PayType == "A" {
		m["ExpireDate"] = o.ExpireDate + "2359"
		atm := map[string]string{"AtmPayNo": o.AtmPayNo}
		if paid {
			atm["BankNo"], atm["AcctNo"] = "807", "12345"
		}
		m["ATMParam"] = atm
	} else {
		card := map[string]string{"CardPayURL": o.PayURL}
		if paid {
			m["ApprovedDate"] = fakeDate
			card["LeftCCNo"], card["RightCCNo"], card["AuthCode"] = "400361", "7729", "A12345"
		}
		m["CardParam"] = card
	}
	return m
}

func (b *fakeBank) listOrders(keep func(o *fakeOrder) bool) []any {
	rows := []any{}
	for _, no := range b.created {
		if o := b.orders[no]; keep(o) {
			rows = append(rows, o.row())
		}
	}
	return rows
}

func (b *fakeBank) orderQuery(w http.ResponseWriter, c *bankCall) {
	no, pt, flag := c.str("OrderNo"), c.str("PayType"), c.str("PayFlag")
	rows := b.listOrders(func(o *fakeOrder) bool {
		return (no == "" || o.OrderNo == no) && (pt == "" || o.PayType == pt) &&
			(flag == "" || (flag == "Y") == PayStatus(o.PayStatus).Paid())
	})
	b.reply(w, ServiceOrderQuery, map[string]any{
		"ShopNo": testShopNo, "Date": fakeDate, "Status": "S", "Description": "S0000 – 處理成功", "OrderList": rows,
	})
}

func (b *fakeBank) orderPayQuery(w http.ResponseWriter, c *bankCall) {
	token := c.str("PayToken")
	ts, ok := b.tokens[token]
	if !ok {
		b.refuse(w, ServiceOrderPayQuery, "E0301 – 查無資料")
		return
	}
	b.reply(w, ServiceOrderPayQuery, map[string]any{
		"ShopNo": testShopNo, "PayToken": token, "Date": fakeDate, "Status": "S", "Description": "S0000 – 處理成功",
		"TSResultContent": ts,
	})
}

func (b *fakeBank) orderMaintain(w http.ResponseWriter, c *bankCall) {
	o := b.orders[c.str("OrderNo")]
	if o == nil || o.PayType != "C" {
		b.refuse(w, ServiceOrderMaintain, "E0401 – 查無訂單")
		return
	}
	cmd := c.str("Command")
	amt := o.Cents - o.RefundedCents
	if s, ok := c.get("Amount"); ok {
		amt = cents64(s)
	}
	switch {
	case cmd == "P" && o.PayStatus == string(PayStatusCardAuthed):
		o.PayStatus = string(PayStatusCardCaptured)
	case cmd == "C" && o.PayStatus == string(PayStatusCardAuthed):
		o.PayStatus = string(PayStatusCardCanceled)
	case cmd == "R" && o.PayStatus == string(PayStatusCardCaptured) && amt <= o.Cents-o.RefundedCents:
		o.RefundedCents += amt
	default:
		b.refuse(w, ServiceOrderMaintain, "E0402 – 訂單狀態不符")
		return
	}
	b.reply(w, ServiceOrderMaintain, map[string]any{
		"OrderNo": o.OrderNo, "ShopNo": testShopNo, "TSNo": o.TSNo, "Command": cmd, "Amount": amt,
		"Date": fakeDate, "Status": "S", "Description": "S0000 – 處理成功",
	})
}

func (b *fakeBank) unCaptured(w http.ResponseWriter, c *bankCall) {
	no := c.str("OrderNo")
	rows := b.listOrders(func(o *fakeOrder) bool {
		return o.PayStatus == string(PayStatusCardAuthed) && (no == "" || o.OrderNo == no)
	})
	b.reply(w, ServiceOrderUnCapturedQuery, map[string]any{
		"ShopNo": testShopNo, "Date": fakeDate, "Status": "S", "Description": "S0000 – 處理成功", "OrderList": rows,
	})
}

func (b *fakeBank) billQuery(w http.ResponseWriter, c *bankCall) {
	items := []any{}
	for _, no := range b.created {
		o := b.orders[no]
		if !PayStatus(o.PayStatus).Paid() {
			continue
		}
		items = append(items, map[string]any{"TSNo": o.TSNo, "OrderNo": o.OrderNo, "TSType": "P", "TSDate": fakeDate,
			"PayDate": fakeDate, "PayType": o.PayType, "Amount": o.Cents, "Param1": o.Param1})
		if o.RefundedCents > 0 {
			items = append(items, map[string]any{"TSNo": o.TSNo, "OrderNo": o.OrderNo, "TSType": "R", "TSDate": fakeDate,
				"PayDate": fakeDate, "PayType": o.PayType, "Amount": o.RefundedCents})
		}
	}
	b.reply(w, ServiceBillQuery, map[string]any{
		"ShopNo": testShopNo, "Date": fakeDate, "BillDate": c.str("BillDate"), "Status": "S",
		"Description": "S0000 – 處理成功", "OrderList": items,
	})
}

// allotQuery settles every paid order of the asked PayType in one
// settlement, with a 2.75% fee that is not a whole NT$ amount.
func (b *fakeBank) allotQuery(w http.ResponseWriter, c *bankCall) {
	pt := c.str("PayType")
	var list []any
	var pay, fee int64
	for _, no := range b.created {
		o := b.orders[no]
		if !PayStatus(o.PayStatus).Paid() || (pt != "" && o.PayType != pt) {
			continue
		}
		f := o.Cents * 275 / 10000
		pay, fee = pay+o.Cents, fee+f
		list = append(list, map[string]any{"TSNO": o.TSNo, "OrderNO": o.OrderNo, "PayDate": fakeDate, "Amount": o.Cents, "Fee": f, "TSType": "P"})
	}
	allots := []any{}
	if len(list) > 0 {
		allots = append(allots, map[string]any{
			"AllotNo": "AL20240116001", "AllotDate": json.Number(c.str("AllotDateE")), "PayType": pt,
			"PayAmount": pay, "RefundAmount": 0, "FeeAmount": fee, "ExtAllotAmount": 0, "AllotAmount": pay - fee,
			"Account": "00012345678901", "List": list,
		})
	}
	b.reply(w, ServiceAllotQuery, map[string]any{
		"ShopNo": testShopNo, "Date": fakeDate, "Status": "S", "Description": "S0000 – 處理成功", "Allot": allots,
	})
}

// pay plays the buyer: the order is paid (a card is authorised, or also
// captured with AutoBilling) and the bank issues a PayToken for it.
func (b *fakeBank) pay(orderNo string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.orders[orderNo]
	if o == nil {
		b.t.Fatalf("fake bank: no order %q to pay", orderNo)
	}
	switch {
	case o.PayType == "A":
		o.PayStatus = string(PayStatusATMPaid)
	case o.AutoBilling == "Y":
		o.PayStatus = string(PayStatusCardCaptured)
	default:
		o.PayStatus = string(PayStatusCardAuthed)
	}
	return b.tokenLocked(o, "S", "")
}

// failPayment plays a declined card: the order stays unpaid and the bank
// issues a PayToken whose TSResultContent says F.
func (b *fakeBank) failPayment(orderNo string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokenLocked(b.orders[orderNo], "F", "授權失敗")
}

func (b *fakeBank) tokenLocked(o *fakeOrder, status, desc string) string {
	b.seq++
	token := fmt.Sprintf("%064x", b.seq)
	ts := map[string]any{
		"APType": "PayOut", "TSNo": o.TSNo, "OrderNo": o.OrderNo, "ShopNo": testShopNo, "PayType": o.PayType,
		"Amount": strconv.FormatInt(o.Cents, 10), "Status": status, "Description": desc, "PayDate": fakeDate,
	}
	if o.PayType == "C" {
		ts["LeftCCNo"], ts["RightCCNo"], ts["CCExpDate"] = "400361", "7729", "2812"
	}
	b.tokens[token] = ts
	return token
}

// addToken registers a PayToken with a hand-written TSResultContent.
func (b *fakeBank) addToken(token string, ts map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens[token] = ts
}

// ---- scripted faults ----

// httpAnswer answers with an HTTP status and a body.
func httpAnswer(code int, contentType, body string) answer {
	return func(w http.ResponseWriter, _ *bankCall) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// hangUp closes the connection without an answer, as a crashing load
// balancer does.
func hangUp(w http.ResponseWriter, _ *bankCall) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// stall does the bank's work but answers only after the client has given
// up (or after a long time): the bank acted, the merchant cannot know.
func (b *fakeBank) stall(w http.ResponseWriter, c *bankCall) {
	rec := httptest.NewRecorder()
	b.dispatch(rec, c)
	select {
	case <-c.ctx.Done():
	case <-time.After(10 * time.Second):
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(rec.Body.Bytes())
}

// refusing answers every call with Status F and description.
func (b *fakeBank) refusing(description string) answer {
	return func(w http.ResponseWriter, c *bankCall) { b.refuse(w, c.Env.APIService, description) }
}

// tampered lets the bank do its usual work and then edits the envelope.
func (b *fakeBank) tampered(edit func(env *Envelope)) answer {
	return func(w http.ResponseWriter, c *bankCall) {
		rec := httptest.NewRecorder()
		b.dispatch(rec, c)
		var env Envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			b.t.Errorf("fake bank: own answer unreadable: %v", err)
		}
		edit(&env)
		fakeWriteJSON(w, env)
	}
}

// resealed lets the bank do its usual work and then edits the plain
// answer before sealing it again, so the Sign still verifies.
func (b *fakeBank) resealed(edit func(msg map[string]any)) answer {
	return func(w http.ResponseWriter, c *bankCall) {
		rec := httptest.NewRecorder()
		b.dispatch(rec, c)
		var env Envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			b.t.Errorf("fake bank: own answer unreadable: %v", err)
		}
		plain, err := b.keys.Open(&env)
		if err != nil {
			b.t.Errorf("fake bank: own answer does not open: %v", err)
		}
		d := json.NewDecoder(bytes.NewReader(plain))
		d.UseNumber()
		var msg map[string]any
		d.Decode(&msg)
		edit(msg)
		b.reply(w, c.Env.APIService, msg)
	}
}
