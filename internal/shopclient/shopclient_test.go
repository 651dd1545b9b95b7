package shopclient_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
)

func TestMain(m *testing.M) { os.Exit(proctest.Main(m)) }

const password = "shopclient-password-1"

// A customer buys by ATM and by card from a real shop, the bank pays and
// calls back, and the order pages say so; others see nothing of it.
func TestCustomerAndBank(t *testing.T) {
	ctx := context.Background()
	s := proctest.StartShop(t, proctest.ShopOptions{Env: []string{"SINOPAY_CONFIRM_RATE=off"}})
	email := fmt.Sprintf("buyer-%d@example.com", time.Now().UnixNano())
	c, err := shopclient.SignUp(ctx, nil, s.URL, email, password)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != email || len(c.Cookies()) == 0 {
		t.Fatalf("after sign-up: %q %v", c.Email, c.Cookies())
	}
	var se *shopclient.StatusError
	if _, err := shopclient.SignUp(ctx, nil, s.URL, email, password); !errors.As(err, &se) || se.What != "signup" {
		t.Fatalf("the same address again: %v", err)
	}

	// ATM: the page shows the bank's virtual account; a transfer pays it.
	atm, err := c.Checkout(ctx, s.URL, "q_1=2", "A")
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Order(ctx, s.URL, atm)
	if err != nil {
		t.Fatal(err)
	}
	bankOrder, err := s.Sandbox.Order(ctx, sandbox.DemoShopNo, atm)
	if err != nil {
		t.Fatal(err)
	}
	if page.No != atm || page.Status != "W" || page.Amount != bankOrder.Amount || page.ATMAccount != bankOrder.AtmPayNo || page.PaidEvents != 0 {
		t.Fatalf("ATM order page %+v, bank %+v", page, bankOrder)
	}
	if _, err := s.Sandbox.Transfer(ctx, page.ATMAccount, page.Amount); err != nil {
		t.Fatal(err)
	}
	awaitPaid(t, c, s.URL, atm)

	// Card: one form submitted twice is one order.
	form, err := c.CheckoutForm(ctx, s.URL, "q_3=1", "C")
	if err != nil {
		t.Fatal(err)
	}
	card, err := c.Submit(ctx, s.URL, form)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.Submit(ctx, s.URL, form); err != nil || again != card {
		t.Fatalf("the form again: %q %v, want %q", again, err, card)
	}
	if page, err := c.Order(ctx, s.URL, card); err != nil || page.ATMAccount != "" || page.Status != "W" {
		t.Fatalf("card order page %+v %v", page, err)
	}
	p, err := s.Sandbox.PayCard(ctx, sandbox.DemoShopNo, card, sandbox.OutcomeSuccess)
	if err != nil {
		t.Fatal(err)
	}
	bank := shopclient.NewBank(sandbox.DemoShopNo, nil)
	code, loc, err := bank.Return(ctx, s.URL, p.PayToken)
	if err != nil || code != http.StatusSeeOther || !(loc == "/orders/"+card+"/result" || strings.HasPrefix(loc, "/payments/")) {
		t.Fatalf("return: %d %q %v", code, loc, err)
	}
	code, body, err := bank.Notify(ctx, s.URL, p.PayToken)
	if err != nil || code != http.StatusOK || body != shopclient.Ack {
		t.Fatalf("notification: %d %q %v", code, body, err)
	}
	awaitPaid(t, c, s.URL, card)

	// Another customer sees nothing; the first one's cookies see all.
	other, err := shopclient.SignUp(ctx, nil, s.URL, "other-"+email, password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Order(ctx, s.URL, card); !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Fatalf("another customer's order: %v", err)
	}
	if page, err := shopclient.NewCustomer(nil, c.Cookies()).Order(ctx, s.URL, card); err != nil || page.Status != "S" {
		t.Fatalf("with the customer's cookies: %+v %v", page, err)
	}

	// Logging in again, after a wrong password.
	back := shopclient.NewCustomer(nil, nil)
	if err := back.LogIn(ctx, s.URL, email, "wrong-password"); !errors.As(err, &se) || se.What != "login" {
		t.Fatalf("a wrong password: %v", err)
	}
	if err := back.LogIn(ctx, s.URL, email, password); err != nil || back.Email != email {
		t.Fatalf("login: %q %v", back.Email, err)
	}
	if page, err := back.Order(ctx, s.URL, atm); err != nil || page.Status != "S" {
		t.Fatalf("after login: %+v %v", page, err)
	}
	// A page's form comes back with its hidden fields, unescaped.
	if f, err := back.Form(ctx, s.URL, "/login?next="+"%2Fcheckout%3Fq_1%3D1%26q_2%3D1"); err != nil || f.Get("next") != "/checkout?q_1=1&q_2=1" {
		t.Fatalf("the login form: %v %v", f, err)
	}

	// A forged token is acknowledged (recorded), and changes nothing.
	var tok [32]byte
	rand.Read(tok[:])
	if code, body, err := bank.Notify(ctx, s.URL, hex.EncodeToString(tok[:])); err != nil || code != http.StatusOK || body != shopclient.Ack {
		t.Fatalf("forged notification: %d %q %v", code, body, err)
	}
}

// awaitPaid waits until the order page shows the order paid, once.
func awaitPaid(t *testing.T, c *shopclient.Customer, shopURL, no string) {
	t.Helper()
	waitfor.Event(t, 30*time.Second, "order "+no+" paid once", func(ctx context.Context) error {
		p, err := c.Order(ctx, shopURL, no)
		if err != nil {
			return waitfor.Stop(err)
		}
		if p.Status != "S" || p.PaidEvents != 1 {
			return fmt.Errorf("shown as %+v", p)
		}
		return nil
	})
}

func TestHiddenFields(t *testing.T) {
	page := `<form method="post"><input type="hidden" name="key" value="ab12">` +
		`<input type="hidden" name="q_1" value="2"><input type="hidden" name="next" value="/checkout?q_1=1&amp;q_2=1">` +
		`<input type="text" name="email" value="x"></form>`
	f := shopclient.HiddenFields(page)
	if len(f) != 3 || f.Get("key") != "ab12" || f.Get("q_1") != "2" || f.Get("next") != "/checkout?q_1=1&q_2=1" {
		t.Fatalf("hidden fields %v", f)
	}
}

func TestNotificationBody(t *testing.T) {
	if got := shopclient.NotificationBody("NA0249_001", "ab"); got != `{"ShopNo":"NA0249_001","PayToken":"ab"}` {
		t.Fatalf("notification %s", got)
	}
}
