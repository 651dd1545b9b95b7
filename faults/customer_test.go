package faults

import (
	"context"
	"net/http"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
)

// The processes come from internal/proctest; these helpers add what the
// attacks need besides: a customer whose cookies an attacker's request can
// carry, and a checkout form to submit many times.

// customer is a shopper with their own cookies, posting same-origin forms
// as a browser does; redirects are not followed.
type customer = proctest.Customer

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
