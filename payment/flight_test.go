package payment_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/shop"
)

// payQueries counts the OrderPayQuery requests sent to the bank and holds
// the first one until release is closed.
type payQueries struct {
	next    http.RoundTripper
	n       atomic.Int32
	held    chan struct{} // closed when the first request is held
	release chan struct{}
}

func (p *payQueries) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		// The envelope names its service in the clear.
		if bytes.Contains(body, []byte(`"APIService":"`+funbiz.ServiceOrderPayQuery+`"`)) && p.n.Add(1) == 1 {
			close(p.held)
			<-p.release
		}
	}
	return p.next.RoundTrip(req)
}

// The bank's notification and the buyer's return of one card payment
// arrive together: the bank is asked once, and the return is answered
// with what that one answer said.
func TestNotificationAndReturnTogether(t *testing.T) {
	pq := &payQueries{held: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(pq.release) }) }
	r := testrig.New(t, testrig.Options{BankTransport: func(next http.RoundTripper) http.RoundTripper {
		pq.next = next
		return pq
	}})
	t.Cleanup(releaseAll)
	o := r.Checkout("k-together", shop.PayCard)
	tok := r.Bank.PayCard(o.No, sandbox.OutcomeSuccess)
	<-pq.held // the notification's confirmation is asking the bank

	type answer struct {
		d   *shop.Delivery
		err error
	}
	returned := make(chan answer, 1)
	go func() {
		d, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok})
		returned <- answer{d, err}
	}()
	r.Eventually("the return to be recorded", func() bool {
		list, _, err := r.DB.PayTokenLog(context.Background(), tok, 10, 0)
		return err == nil && len(list) == 2
	})
	releaseAll()
	got := <-returned
	if got.err != nil || !got.d.Processed() || got.d.OrderNo != o.No || got.d.Outcome.Kind != shop.OutcomePaid {
		t.Fatalf("return: %+v, %v; want it processed with the notification's answer", got.d, got.err)
	}
	r.WaitStatus(o.No, shop.StatusPaid)
	r.Processed(tok, 2)
	if n := pq.n.Load(); n != 1 {
		t.Fatalf("the bank was asked about the PayToken %d times, want once", n)
	}
}
