package funbiz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// Each example runs against our sandbox of the bank (funbiztest.Start),
// over real HTTP, so that its output is what the library does. In your
// code, the client points at the bank (funbiz.SandboxURL or
// funbiz.ProductionURL) with your merchant's settings, and the bank
// reaches your server at the BackendURL and ReturnURL you give it; in
// your tests, funbiztest.New(t) gives the same bank.

// An ATM order: the buyer gets a virtual account at bank 807 and a last
// day to pay.
func ExampleClient_OrderCreate_atm() {
	// A bank whose clock says 15 January 2026, so that the dates below stay
	// the same; your code uses time.Now().
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, funbiz.Taipei)
	bank := funbiztest.Start(funbiztest.WithClock(sandbox.NewManualClock(now)))
	defer bank.Close()

	client, err := funbiz.NewClient(funbiz.Config{
		BaseURL: bank.URL,    // funbiz.SandboxURL or funbiz.ProductionURL
		ShopNo:  bank.ShopNo, // your shop number, e.g. "NA0249_001"
		Hash:    bank.Hash,   // funbiz.ParseHash(os.Getenv("SINOPAY_HASH")): A1,A2,B1,B2
		// KeyID: funbiz.Secret(os.Getenv("SINOPAY_KEY_ID")), as the bank requires
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	order, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo:  "A202601150001",
		Amount:   1200, // whole NT$; the client sends 120000 on the wire
		PayType:  funbiz.PayTypeATM,
		PrdtName: "抹茶狗骨頭禮盒",
		// Without a BackendURL the bank never tells you of the transfer.
		BackendURL: "https://shop.example.com/funbiz/notify",
		ATM:        &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(now.AddDate(0, 0, 7))},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("Order %s: transfer NT$%d to bank %s, account of %d digits, by %s (Taiwan time).\n",
		order.OrderNo, order.Amount, funbiz.ATMBankCode, len(order.ATM.AtmPayNo),
		order.ATM.Deadline().Format("2006-01-02 15:04"))
	// Output:
	// Order A202601150001: transfer NT$1200 to bank 807, account of 14 digits, by 2026-01-22 23:59 (Taiwan time).
}

// A card order and its return page. The buyer pays on the bank's card
// page, which sends the browser back to ReturnURL; ReturnHandler confirms
// the PayToken with the bank, applies the verdict to the order the bank
// names, and redirects (303) to that order's page.
func ExampleReturnHandler() {
	bank := funbiztest.Start()
	defer bank.Close()
	client := bank.Client() // funbiz.NewClient(funbiz.Config{…}) in your code

	// The shop's own orders: a table in real life.
	var mu sync.Mutex
	amounts := map[string]int64{"C202601150001": 880}
	status := map[string]string{"C202601150001": "waiting"}

	mux := http.NewServeMux()
	mux.Handle("POST /funbiz/return", &funbiz.ReturnHandler{
		Client: client,
		Lookup: func(ctx context.Context, orderNo string) (funbiz.Expected, error) {
			mu.Lock()
			defer mu.Unlock()
			amount, ok := amounts[orderNo]
			if !ok {
				return funbiz.Expected{}, funbiz.ErrUnknownOrder
			}
			return funbiz.Expected{OrderNo: orderNo, Amount: amount}, nil
		},
		Apply: func(ctx context.Context, c *funbiz.Confirmation) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			switch c.Outcome {
			case funbiz.OutcomePaid:
				status[c.OrderNo] = "paid"
			case funbiz.OutcomeFailed:
				status[c.OrderNo] = "failed" // the buyer may try again until the page expires
			case funbiz.OutcomeMismatch:
				status[c.OrderNo] = "review" // never paid: a person looks
			}
			return "/orders/" + c.OrderNo, nil
		},
		Unconfirmed: func(ctx context.Context, n funbiz.Notification, err error) string {
			// The bank was slow or refused the token: keep n.PayToken for
			// the worker (see NotificationHandler) and show a waiting page.
			return "/payments/pending"
		},
	})
	shop := httptest.NewServer(mux) // your server, at a URL the buyer's browser reaches
	defer shop.Close()

	order, err := client.OrderCreate(context.Background(), &funbiz.OrderCreateParams{
		OrderNo:    "C202601150001",
		Amount:     880,
		PayType:    funbiz.PayTypeCard,
		PrdtName:   "狗狗雨衣",
		ReturnURL:  shop.URL + "/funbiz/return", // no order number needed: the bank names it
		BackendURL: shop.URL + "/funbiz/notify",
		Card:       &funbiz.CardParams{AutoBilling: true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Send the buyer to the card page:", strings.HasPrefix(order.Card.CardPayURL, bank.ServerURL))

	// The buyer pays, and the bank's page posts the browser back.
	token := bank.PayCard(order.OrderNo, sandbox.OutcomeSuccess)
	resp := bank.PostReturn(token)
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	mu.Lock()
	fmt.Println(order.OrderNo, status[order.OrderNo])
	mu.Unlock()
	// Output:
	// Send the buyer to the card page: true
	// 303 /orders/C202601150001
	// C202601150001 paid
}

// The BackendURL handler records the notification and acknowledges it;
// a worker confirms each token with the bank afterwards, outside the
// request, and books only what the bank confirms for its own order.
func ExampleNotificationHandler() {
	bank := funbiztest.Start()
	defer bank.Close()
	client := bank.Client()
	ctx := context.Background()

	var mu sync.Mutex
	amounts := map[string]int64{"A202601150003": 1200}
	var pending []string // recorded PayTokens: a table in real life, written before the ack

	mux := http.NewServeMux()
	mux.Handle("POST /funbiz/notify", funbiz.NotificationHandler(client.ShopNo(),
		func(ctx context.Context, n funbiz.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			pending = append(pending, n.PayToken)
			return nil // an error answers 503, and the bank sends again
		}))
	shop := httptest.NewServer(mux) // your server, at a URL the bank reaches
	defer shop.Close()

	order, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "A202601150003", Amount: 1200, PayType: funbiz.PayTypeATM, PrdtName: "禮盒",
		BackendURL: shop.URL + "/funbiz/notify",
		ATM:        &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(time.Now().AddDate(0, 0, 7))},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The buyer transfers; the bank posts to BackendURL. Anyone else can
	// post too: here, a forged token.
	bank.Transfer(order.ATM.AtmPayNo, 1200)
	forged := `{"ShopNo":"` + client.ShopNo() + `","PayToken":"` + strings.Repeat("f", 64) + `"}`
	if resp, err := http.Post(shop.URL+"/funbiz/notify", "application/json", strings.NewReader(forged)); err == nil {
		resp.Body.Close()
	}

	// The worker.
	lookup := func(ctx context.Context, orderNo string) (funbiz.Expected, error) {
		mu.Lock()
		defer mu.Unlock()
		amount, ok := amounts[orderNo]
		if !ok {
			return funbiz.Expected{}, funbiz.ErrUnknownOrder
		}
		return funbiz.Expected{OrderNo: orderNo, Amount: amount}, nil
	}
	mu.Lock()
	tokens := pending
	mu.Unlock()
	for _, token := range tokens {
		c, err := client.ConfirmToken(ctx, token, lookup)
		switch {
		case err == nil:
			fmt.Println(c.OrderNo, c.Outcome) // book it on c.OrderNo
		case errors.Is(err, funbiz.ErrUnknownToken):
			fmt.Println("forged or another shop's token: dropped")
		case funbiz.Temporary(err):
			fmt.Println("no verdict yet: try again later")
		default:
			fmt.Println("needs a person:", err)
		}
	}
	// Output:
	// A202601150003 paid
	// forged or another shop's token: dropped
}

// A partial refund of a captured card order, one the bank refuses, and
// the rest.
func ExampleClient_Refund() {
	bank := funbiztest.Start()
	defer bank.Close()
	client := bank.Client()
	ctx := context.Background()
	if _, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "C202601100007", Amount: 1500, PayType: funbiz.PayTypeCard, PrdtName: "狗窩",
		ReturnURL: "https://shop.example.com/funbiz/return", Card: &funbiz.CardParams{AutoBilling: true},
	}); err != nil {
		fmt.Println(err)
		return
	}
	bank.PayCard("C202601100007", sandbox.OutcomeSuccess) // captured at once (AutoBilling)

	res, err := client.Refund(ctx, &funbiz.RefundParams{OrderNo: "C202601100007", Amount: 500, Remark: "退貨一件"})
	if err != nil {
		// After ErrTransport the refund may or may not have happened: look
		// (BillQuery) before asking again. A refund is never retried.
		fmt.Println(err)
		return
	}
	fmt.Printf("Refunded NT$%d of %s\n", res.Amount, res.OrderNo)

	_, err = client.Refund(ctx, &funbiz.RefundParams{OrderNo: "C202601100007", Amount: 5000})
	var e *funbiz.Error
	if errors.Is(err, funbiz.ErrBankRefused) && errors.As(err, &e) {
		fmt.Println("Refused:", e.Code, "temporary:", funbiz.Temporary(err))
	}

	res, err = client.Refund(ctx, &funbiz.RefundParams{OrderNo: "C202601100007", All: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("Refunded the remaining NT$%d\n", res.Amount)
	// Output:
	// Refunded NT$500 of C202601100007
	// Refused: E0303 temporary: false
	// Refunded the remaining NT$1000
}

// When OrderCreate gets no answer, the bank may have created the order or
// not. Never create it again blindly: ask by OrderNo.
func Example_timeoutThenQuery() {
	bank := funbiztest.Start()
	defer bank.Close()
	bank.Chaos(sandbox.ChaosInput{API: "hang", Count: 1}) // the bank acts, then holds its answer
	client := bank.Client()
	params := &funbiz.OrderCreateParams{
		OrderNo: "A202601150002", Amount: 1200, PayType: funbiz.PayTypeATM, PrdtName: "禮盒",
		BackendURL: "https://shop.example.com/funbiz/notify",
		ATM:        &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(time.Now().AddDate(0, 0, 7))},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	_, err := client.OrderCreate(ctx, params)
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
	// The bank has A202601150002 for NT$1200 (PayStatus 1A200): keep it, do not create it again.
}

// An ATM order's last day to pay ends at midnight in Taiwan, not at its
// start.
func ExampleEndOfDay() {
	deadline, err := funbiz.EndOfDay("20260131")
	if err != nil {
		fmt.Println(err)
		return
	}
	start, _ := funbiz.ParseDate("20260131")
	fmt.Println("pay by", deadline.Format("2006-01-02 15:04"), "Taiwan time, which is", deadline.UTC().Format("2006-01-02 15:04"), "UTC")
	fmt.Println("ParseDate gives the start of the day:", start.Format("2006-01-02 15:04"))
	// Output:
	// pay by 2026-01-31 23:59 Taiwan time, which is 2026-01-31 15:59 UTC
	// ParseDate gives the start of the day: 2026-01-31 00:00
}
