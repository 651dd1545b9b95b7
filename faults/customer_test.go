package faults

import (
	"context"
	"net/http"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
)

// The processes come from internal/proctest and the shop's flows from
// internal/shopclient; these helpers add what the attacks need besides.

// customer is a shopper with their own cookies, posting same-origin forms
// as a browser does; redirects are not followed.
type customer = shopclient.Customer

// callbacks posts the bank's notification and the browser's return for
// the demo merchant.
var callbacks = shopclient.NewBank(demoShopNo, nil)

// bankCallbacks posts notifications from the bank's address (the shop
// under test knows proctest.NotifyFrom as the bank's): the bank's own,
// confirmed before anyone else's.
var bankCallbacks = shopclient.NewBank(demoShopNo, proctest.BankHTTP())

// browserClient sends the requests an attack crafts by hand; redirects
// are not followed.
var browserClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func newCustomer(ctx context.Context, shopURL, email string) (*customer, error) {
	return proctest.NewCustomer(ctx, shopURL, email)
}

// logStart records the output of a shop that failed to start, which the
// error carries, for the log scan.
func logStart(err error) {
	if err != nil {
		logs.Write([]byte(err.Error() + "\n"))
	}
}

// demoShopNo is the sandbox's demo merchant.
const demoShopNo = proctest.DemoShopNo
