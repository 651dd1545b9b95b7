package funbiz_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// The examples run against a small stand-in for the bank, built here from
// the package's exported API only, so that their output is real.

const (
	exampleShopNo = "NA0249_001"
	exampleKeyID  = "b5e6986d-8636-4aa0-8c93-441ad14b2098"
)

// exampleHash are the hash values of the bank's public sandbox demo shop.
var exampleHash = funbiz.Hash{A1: "86D50DEF3EB7400E", A2: "01FD27C09E5549E5", B1: "9E004965F4244953", B2: "7FB3385F414E4F91"}

type exampleOrder struct {
	no, payType, payStatus, tsNo string
	cents, refunded              int64
}

type exampleBankServer struct {
	URL  string
	srv  *httptest.Server
	keys *funbiz.Keys

	mu     sync.Mutex
	seq    int
	orders map[string]*exampleOrder
	tokens map[string]string // PayToken → OrderNo
	// answerLate makes OrderCreate act at once but answer only after the
	// client has given up.
	answerLate bool
}

// startExampleBank starts the stand-in bank. It knows one captured card
// order, C202401100007 for NT$1500, for the refund example.
func startExampleBank() *exampleBankServer {
	keys, err := funbiz.NewKeys(exampleHash)
	if err != nil {
		panic(err)
	}
	b := &exampleBankServer{keys: keys, orders: map[string]*exampleOrder{}, tokens: map[string]string{}}
	b.orders["C202401100007"] = &exampleOrder{no: "C202401100007", payType: "C", payStatus: "1C400", tsNo: "NA024900000007", cents: 150000}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/Nonce", func(w http.ResponseWriter, r *http.Request) {
		writeExampleJSON(w, map[string]string{"Nonce": exampleNonce()})
	})
	mux.HandleFunc("POST /api/Order", b.serveOrder)
	b.srv = httptest.NewServer(mux)
	b.URL = b.srv.URL + "/api"
	return b
}

func (b *exampleBankServer) Close() { b.srv.Close() }

// BuyerPays plays the buyer paying an order; the bank then has a PayToken
// for the payment, as it sends in its callbacks.
func (b *exampleBankServer) BuyerPays(orderNo string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.orders[orderNo]
	o.payStatus = "1" + o.payType + "400"
	b.seq++
	token := fmt.Sprintf("%064x", b.seq)
	b.tokens[token] = orderNo
	return token
}

func exampleNonce() string {
	var r [32]byte
	rand.Read(r[:])
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%014d.1:%s", time.Now().UnixNano()%1e14, hex.EncodeToString(r[:]))))
}

func writeExampleJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

type exampleRequest struct {
	OrderNo, PayType, PayToken, Command string
	Amount                              int64
}

const exampleOK = "S0000 – 處理成功"

func (b *exampleBankServer) serveOrder(w http.ResponseWriter, r *http.Request) {
	var env funbiz.Envelope
	var req exampleRequest
	if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
		http.Error(w, "bad envelope", http.StatusBadRequest)
		return
	}
	if err := b.keys.OpenInto(&env, &req); err != nil {
		writeExampleJSON(w, map[string]string{"Status": "F", "Description": "E0101 – 訊息驗證失敗"})
		return
	}
	b.mu.Lock()
	answer := b.answer(env.APIService, &req)
	late := b.answerLate && env.APIService == funbiz.ServiceOrderCreate
	b.mu.Unlock()
	if late {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	sealed, err := b.keys.Seal(exampleShopNo, env.APIService, exampleNonce(), answer)
	if err != nil {
		panic(err)
	}
	writeExampleJSON(w, sealed)
}

func (b *exampleBankServer) answer(service string, req *exampleRequest) map[string]any {
	refuse := func(d string) map[string]any {
		return map[string]any{"ShopNo": exampleShopNo, "Status": "F", "Description": d}
	}
	switch service {
	case funbiz.ServiceOrderCreate:
		b.seq++
		o := &exampleOrder{no: req.OrderNo, payType: req.PayType, payStatus: "1" + req.PayType + "200",
			tsNo: fmt.Sprintf("NA0249%08d", b.seq), cents: req.Amount}
		b.orders[o.no] = o
		m := map[string]any{"OrderNo": o.no, "ShopNo": exampleShopNo, "TSNo": o.tsNo, "Amount": o.cents,
			"PayType": o.payType, "Status": "S", "Description": exampleOK}
		if o.payType == "A" {
			m["ATMParam"] = map[string]string{"AtmPayNo": fmt.Sprintf("9992250%07d", b.seq)}
		} else {
			m["CardParam"] = map[string]string{"CardPayURL": fmt.Sprintf(
				"https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayCard?TD=%s&TK=6b1f0c0e-a1b2-4c3d-8e4f-%012d", o.tsNo, b.seq)}
		}
		return m
	case funbiz.ServiceOrderQuery:
		list := []any{}
		if o := b.orders[req.OrderNo]; o != nil {
			list = append(list, map[string]any{"OrderNo": o.no, "TSNo": o.tsNo, "TSDate": "202401151200", "Amount": o.cents,
				"PayType": o.payType, "PayStatus": o.payStatus})
		}
		return map[string]any{"ShopNo": exampleShopNo, "Date": "202401151200", "Status": "S", "Description": exampleOK, "OrderList": list}
	case funbiz.ServiceOrderPayQuery:
		o := b.orders[b.tokens[req.PayToken]]
		if o == nil {
			return refuse("E0301 – 查無資料")
		}
		return map[string]any{"ShopNo": exampleShopNo, "PayToken": req.PayToken, "Date": "202401151205", "Status": "S", "Description": exampleOK,
			"TSResultContent": map[string]any{"APType": "PayOut", "TSNo": o.tsNo, "OrderNo": o.no, "ShopNo": exampleShopNo,
				"PayType": o.payType, "Amount": fmt.Sprint(o.cents), "Status": "S", "PayDate": "202401151204"}}
	case funbiz.ServiceOrderMaintain:
		o := b.orders[req.OrderNo]
		if o == nil || req.Command != "R" || o.payStatus != "1C400" {
			return refuse("E0402 – 訂單狀態不符")
		}
		amount := req.Amount
		if amount == 0 {
			amount = o.cents - o.refunded
		}
		if amount > o.cents-o.refunded {
			return refuse("E0403 – 退款金額超過可退金額")
		}
		o.refunded += amount
		return map[string]any{"OrderNo": o.no, "ShopNo": exampleShopNo, "TSNo": o.tsNo, "Command": "R", "Amount": amount,
			"Date": "202401151210", "Status": "S", "Description": exampleOK}
	}
	return refuse("E0100 – 服務不存在")
}
