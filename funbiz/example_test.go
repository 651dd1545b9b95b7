package funbiz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sinopay/sinopay/funbiz"
)

// An ATM order: the buyer gets a virtual account to transfer to.
func ExampleClient_OrderCreate_atm() {
	bank := startExampleBank()
	defer bank.Close()

	client, err := funbiz.NewClient(funbiz.Config{
		BaseURL: bank.URL, // funbiz.SandboxURL or funbiz.ProductionURL
		ShopNo:  "NA0249_001",
		Hash:    exampleHash, // e.g. funbiz.ParseHash(os.Getenv("SINOPAY_HASH"))
		KeyID:   exampleKeyID,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lastDay := "20240131" // funbiz.FormatDate(time.Now().AddDate(0, 0, 7))
	order, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo:    "A202401150001",
		Amount:     1200, // whole NT$; the client sends 120000 on the wire
		PayType:    funbiz.PayTypeATM,
		PrdtName:   "抹茶狗骨頭禮盒",
		BackendURL: "https://shop.example.com/funbiz/notify",
		ATM:        &funbiz.ATMParams{ExpireDate: lastDay},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	day, _ := funbiz.ParseDate(lastDay)
	fmt.Printf("Order %s: transfer NT$%d to SinoPac (807) account %s by %s.\n",
		order.OrderNo, order.Amount, order.ATM.AtmPayNo, day.Format("2006-01-02"))
	// Output:
	// Order A202401150001: transfer NT$1200 to SinoPac (807) account 99922500000001 by 2024-01-31.
}

// A card order: send the buyer to the bank's card page; the bank sends the
// browser back to ReturnURL, where the PayToken is confirmed with the bank
// before the order counts as paid.
func ExampleClient_OrderCreate_card() {
	bank := startExampleBank()
	defer bank.Close()
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.URL, ShopNo: "NA0249_001", Hash: exampleHash, KeyID: exampleKeyID})
	if err != nil {
		fmt.Println(err)
		return
	}
	// What the shop knows about its own orders (a table in real life).
	amounts := map[string]int64{"C202401150001": 880}

	order, err := client.OrderCreate(context.Background(), &funbiz.OrderCreateParams{
		OrderNo:  "C202401150001",
		Amount:   amounts["C202401150001"],
		PayType:  funbiz.PayTypeCard,
		PrdtName: "信用卡訂單",
		// The order number in the ReturnURL tells the handler which order
		// to confirm against.
		ReturnURL:  "https://shop.example.com/funbiz/return?order=C202401150001",
		BackendURL: "https://shop.example.com/funbiz/notify",
		Card:       &funbiz.CardParams{AutoBilling: true, ExpMinutes: 15, PayTypeSub: "ONE"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Redirect the buyer to", order.Card.CardPayURL)

	// The ReturnURL handler. Anyone can post to it, so only the bank's
	// answer to Confirm counts.
	returnHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := funbiz.ParseReturn(r)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		orderNo := r.URL.Query().Get("order")
		conf, err := client.Confirm(r.Context(), n.PayToken, funbiz.Expected{OrderNo: orderNo, Amount: amounts[orderNo]})
		if err != nil {
			// The verdict is unknown: show "pending" and ask again later.
			http.Redirect(w, r, "/orders/"+orderNo+"?pending=1", http.StatusSeeOther)
			return
		}
		fmt.Println("Payment:", conf.Outcome)
		http.Redirect(w, r, "/orders/"+orderNo, http.StatusSeeOther)
	})

	// The buyer pays on the card page, and the bank posts the browser back.
	token := bank.BuyerPays(order.OrderNo)
	form := url.Values{"ShopNo": {"NA0249_001"}, "PayToken": {token}}
	req := httptest.NewRequest(http.MethodPost, "/funbiz/return?order=C202401150001", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	returnHandler.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output:
	// Redirect the buyer to https://sandbox.sinopac.com/QPay.WebPaySite/Bridge/PayCard?TD=NA024900000001&TK=6b1f0c0e-a1b2-4c3d-8e4f-000000000001
	// Payment: paid
	// 303 /orders/C202401150001
}

// The BackendURL handler records the notification and acknowledges it;
// the payment is confirmed with the bank afterwards, outside the request.
func ExampleNotificationHandler() {
	bank := startExampleBank()
	defer bank.Close()
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.URL, ShopNo: "NA0249_001", Hash: exampleHash, KeyID: exampleKeyID})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	amounts := map[string]int64{"A202401150003": 1200}
	order, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "A202401150003", Amount: 1200, PayType: funbiz.PayTypeATM, PrdtName: "禮盒",
		BackendURL: "https://shop.example.com/funbiz/notify", ATM: &funbiz.ATMParams{ExpireDate: "20240131"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Recorded tokens; a table in real life, written before the ack so a
	// crash cannot lose a payment. The bank resends until it sees the ack.
	var mu sync.Mutex
	var pending []string
	handler := funbiz.NotificationHandler("NA0249_001", func(ctx context.Context, n funbiz.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		pending = append(pending, n.PayToken)
		return nil
	})
	// mux.Handle("POST /funbiz/notify", handler)

	// The buyer transfers; the bank posts to BackendURL.
	token := bank.BuyerPays(order.OrderNo)
	req := httptest.NewRequest(http.MethodPost, "/funbiz/notify",
		strings.NewReader(`{"ShopNo":"NA0249_001","PayToken":"`+token+`"}`))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	// Later, in a worker: ask the bank what each token stands for, and book
	// only what matches our own order.
	for _, token := range pending {
		r, err := client.OrderPayQuery(ctx, token)
		if err != nil {
			continue // keep it pending and try again later
		}
		no := r.Payment.OrderNo
		conf := funbiz.Judge(client.ShopNo(), r, funbiz.Expected{OrderNo: no, Amount: amounts[no]})
		fmt.Println(no, conf.Outcome)
	}
	// Output:
	// 200 {"Status":"S"}
	// A202401150003 paid
}

// A partial refund of a captured card order, then one the bank refuses.
func ExampleClient_Refund() {
	bank := startExampleBank() // knows the captured order C202401100007, NT$1500
	defer bank.Close()
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.URL, ShopNo: "NA0249_001", Hash: exampleHash, KeyID: exampleKeyID})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	res, err := client.Refund(ctx, &funbiz.RefundParams{OrderNo: "C202401100007", Amount: 500, Remark: "退貨一件"})
	if err != nil {
		// After ErrTransport the refund may or may not have happened: look
		// with OrderQuery before asking again. A refund is never retried.
		fmt.Println(err)
		return
	}
	fmt.Printf("Refunded NT$%d of %s (TSNo %s)\n", res.Amount, res.OrderNo, res.TSNo)

	_, err = client.Refund(ctx, &funbiz.RefundParams{OrderNo: "C202401100007", Amount: 5000})
	var e *funbiz.Error
	if errors.Is(err, funbiz.ErrBankRefused) && errors.As(err, &e) {
		fmt.Println("Refused:", e.Description)
	}
	// Output:
	// Refunded NT$500 of C202401100007 (TSNo NA024900000007)
	// Refused: E0403 – 退款金額超過可退金額
}

// When OrderCreate gets no answer, the bank may have created the order or
// not. Never create it again blindly: ask by OrderNo.
func Example_timeoutThenQuery() {
	bank := startExampleBank()
	defer bank.Close()
	bank.answerLate = true // the bank creates the order but answers too late
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: bank.URL, ShopNo: "NA0249_001", Hash: exampleHash, KeyID: exampleKeyID})
	if err != nil {
		fmt.Println(err)
		return
	}
	params := &funbiz.OrderCreateParams{
		OrderNo: "A202401150002", Amount: 1200, PayType: funbiz.PayTypeATM, PrdtName: "禮盒",
		ATM: &funbiz.ATMParams{ExpireDate: "20240131"},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	_, err = client.OrderCreate(ctx, params)
	cancel()
	if !errors.Is(err, funbiz.ErrTransport) {
		fmt.Println("unexpected:", err)
		return
	}
	fmt.Println("OrderCreate: no answer in time; the outcome is unknown")

	info, found, err := client.FindOrder(context.Background(), params.OrderNo)
	switch {
	case err != nil:
		fmt.Println("cannot tell yet; keep the order waiting:", err)
	case found:
		fmt.Printf("The bank has %s for NT$%d (PayStatus %s): keep it, do not create it again.\n", info.OrderNo, info.Amount, info.PayStatus)
	default:
		fmt.Println("The bank has no such order: it is safe to create it again.")
	}
	// Output:
	// OrderCreate: no answer in time; the outcome is unknown
	// The bank has A202401150002 for NT$1200 (PayStatus 1A200): keep it, do not create it again.
}
