package loadtest

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// bankSeeds is how many paid ATM orders a bank run makes before the clock
// starts, for OrderQuery and OrderPayQuery to ask about.
const bankSeeds = 32

// bankCalls loads a bank with the funbiz client, as a shop's bank calls
// do: a third each OrderCreate (a new ATM order), OrderQuery (by OrderNo)
// and OrderPayQuery (a payment's PayToken). Each call is a Nonce request
// and an /Order request, opened and its Sign checked. Against the
// sandbox the PayTokens come from ATM transfers made through its control
// API before the clock starts; against another bank, OrderPayQuery is
// left out unless it has such an API beside the bank API.
func (l *load) bankCalls(ctx context.Context, w io.Writer) int {
	apiURL, root := l.res.Bank, l.sandbox
	if apiURL == "" {
		apiURL = l.sandbox + sandbox.APIPrefix
	} else if r, ok := strings.CutSuffix(apiURL, sandbox.APIPrefix); ok {
		root = r
	}
	hash := l.c.Hash
	if hash == (funbiz.Hash{}) {
		hash = sandbox.DemoHash()
	}
	bank, err := funbiz.NewClient(funbiz.Config{BaseURL: apiURL, ShopNo: l.c.ShopNo, Hash: hash, HTTPClient: l.api, Retry: funbiz.NoRetry})
	if err != nil {
		fmt.Fprintf(l.progress, "sinopay loadtest: %v\n", err)
		return 2
	}
	fmt.Fprintf(l.progress, "loadtest: %d clients for %s calling the bank at %s as shop %s: OrderCreate, OrderQuery, OrderPayQuery\n",
		l.c.Concurrency, l.c.Duration, apiURL, l.c.ShopNo)

	// Orders to ask about, paid where a control API can pay them.
	run := randHex(4)
	expire := funbiz.FormatDate(time.Now().AddDate(0, 0, 7))
	create := func(ctx context.Context, no string) (*funbiz.OrderCreateResult, error) {
		return bank.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: no, Amount: 100, PayType: funbiz.PayTypeATM,
			PrdtName: "load", ATM: &funbiz.ATMParams{ExpireDate: expire}})
	}
	var orders, tokens []string
	var control *sandbox.ControlClient
	if root != "" {
		control = sandbox.NewControlClient(root, l.api)
	}
	for i := range bankSeeds {
		no := "L" + run + "S" + strconv.Itoa(i)
		r, err := create(ctx, no)
		if err != nil {
			fmt.Fprintf(l.progress, "sinopay loadtest: creating the orders to ask about: %v\n", err)
			return 1
		}
		orders = append(orders, no)
		if control == nil || r.ATM == nil {
			continue
		}
		p, err := control.Transfer(ctx, r.ATM.AtmPayNo, r.Amount)
		if err != nil {
			fmt.Fprintf(l.progress, "loadtest: no payments to ask about (the control API at %s: %v); OrderPayQuery is left out\n", root, err)
			control = nil
			continue
		}
		tokens = append(tokens, p.PayToken)
	}

	var seq atomic.Int64
	kinds := int64(3)
	if len(tokens) == 0 {
		kinds = 2
	}
	l.begin(ctx)
	runCtx, cancel := context.WithTimeout(ctx, l.c.Duration)
	defer cancel()
	start := time.Now()
	stop := l.showProgress(start)
	var wg sync.WaitGroup
	for range l.c.Concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				n := seq.Add(1)
				t := time.Now()
				var service string
				var err error
				switch n % kinds {
				case 0:
					service = funbiz.ServiceOrderCreate
					_, err = create(ctx, "L"+run+"N"+strconv.FormatInt(n, 10))
				case 1:
					service = funbiz.ServiceOrderQuery
					_, err = bank.OrderQuery(ctx, &funbiz.OrderQueryParams{OrderNo: orders[n%int64(len(orders))]})
				case 2:
					service = funbiz.ServiceOrderPayQuery
					_, err = bank.OrderPayQuery(ctx, tokens[n%int64(len(tokens))])
				}
				d := time.Since(t)
				if err != nil {
					l.st.fail(service, err)
					l.failed.Add(1)
					continue
				}
				l.st.add(service, d)
				l.st.addOp(d)
				l.done.Add(1)
			}
		})
	}
	wg.Wait()
	stop()
	l.end(ctx, start, "bank call")
	l.summary(w, start, "bank calls (each a Nonce and an /Order request)", "failed")
	if l.done.Load() == 0 {
		fmt.Fprintln(w, "no bank call succeeded: nothing was measured")
		return 1
	}
	if l.failed.Load() > 0 {
		return 1
	}
	return 0
}
