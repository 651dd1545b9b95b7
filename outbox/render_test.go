package outbox

import (
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
)

// Every kind of message is written in both languages with what the
// customer needs: the ATM account and deadline, the amount refunded, the
// order's link, the reset link; nothing is left untranslated, and text
// from the database is escaped in the HTML.
func TestCompose(t *testing.T) {
	c := &shop.Customer{ID: 1, Email: "buyer@example.com"}
	atm := &shop.Order{ID: 7, No: "K20261203000001", PayType: shop.PayATM, Amount: 3200,
		Bank: shop.BankOrder{State: shop.BankCreated, AtmPayNo: "9910123456789012", ExpireDate: "20261210"}}
	card := &shop.Order{ID: 8, No: "K20261203000002", PayType: shop.PayCard, Amount: 1950,
		Bank: shop.BankOrder{State: shop.BankCreated, CardPayURL: "https://bank/pay", CardExpiresAt: time.Now()}}
	shipped := &shop.Order{ID: 9, No: "K20261203000003", PayType: shop.PayCard, Amount: 1950, Status: shop.StatusPaid,
		ShipTo:   shop.ShipTo{Name: "王小明", Phone: "0912345678", PostalCode: "100", City: "臺北市", District: "中正區", Street: "重慶南路一段122號"},
		Shipment: shop.Shipment{At: time.Now(), Carrier: "黑貓宅急便", Tracking: "9012-3456"}}
	cases := []struct {
		m     shop.Mail
		o     *shop.Order
		zh    []string
		en    []string
		subEN string
	}{
		{shop.Mail{Kind: shop.MailOrderReceived}, atm, []string{"9910 1234 5678 9012", "2026-12-10", "807", "NT$3,200"},
			[]string{"9910 1234 5678 9012", "2026-12-10", "bank code 807", "NT$3,200"}, "Order K20261203000001 received"},
		{shop.Mail{Kind: shop.MailOrderReceived}, card, []string{"刷卡"}, []string{"paid by card"}, "Order K20261203000002 received"},
		{shop.Mail{Kind: shop.MailPaid}, card, []string{"NT$1,950"}, []string{"NT$1,950"}, "Payment received for order K20261203000002"},
		{shop.Mail{Kind: shop.MailFailed}, card, []string{"重新付款"}, []string{"pay again"}, "did not go through"},
		{shop.Mail{Kind: shop.MailExpired}, atm, []string{"2026-12-10"}, []string{"2026-12-10"}, "closed unpaid"},
		{shop.Mail{Kind: shop.MailShipped}, shipped, []string{"黑貓宅急便", "9012-3456", "王小明", "100 臺北市中正區重慶南路一段122號"},
			[]string{"黑貓宅急便", "9012-3456", "王小明"}, "Order K20261203000003 is on its way"},
		{shop.Mail{Kind: shop.MailRefunded, Amount: 500}, card, []string{"NT$500"}, []string{"NT$500"}, "Refund of NT$500"},
		{shop.Mail{Kind: shop.MailRefunded}, card, []string{"NT$1,950"}, []string{"NT$1,950"}, "Refund of NT$1,950"},
		{shop.Mail{Kind: shop.MailPasswordReset, Secret: "abc123"}, nil, []string{"30 分鐘", "https://shop.example/password/reset/abc123", "buyer@example.com"},
			[]string{"30 minutes", "https://shop.example/password/reset/abc123", "buyer@example.com"}, "Choose a new password"},
	}
	for _, tc := range cases {
		for _, lang := range locale.Langs {
			got, err := Compose(&tc.m, lang, c, tc.o, "https://shop.example/")
			if err != nil {
				t.Fatalf("%s %s: %v", tc.m.Kind, lang, err)
			}
			text := got.Text(lang)
			html, err := got.HTML(lang)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.zh
			if lang == locale.EN {
				want = tc.en
				if !strings.Contains(got.Subject, tc.subEN) {
					t.Errorf("%s: subject %q, want %q in it", tc.m.Kind, got.Subject, tc.subEN)
				}
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s %s: %q not in\n%s", tc.m.Kind, lang, w, text)
				}
			}
			if tc.o != nil && !strings.Contains(text, "https://shop.example/orders/"+tc.o.No) {
				t.Errorf("%s %s: no order link in\n%s", tc.m.Kind, lang, text)
			}
			for _, s := range []string{text, html, got.Subject} {
				if strings.Contains(s, "%!") || strings.Contains(s, "mail.") {
					t.Errorf("%s %s: untranslated or bad format in %q", tc.m.Kind, lang, s)
				}
			}
			if !strings.Contains(html, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: html without its language", tc.m.Kind, lang)
			}
		}
	}
	// Text from the database is escaped in the HTML.
	evil := &shop.Customer{Email: `<script>alert(1)</script>@example.com`}
	got, err := Compose(&shop.Mail{Kind: shop.MailPasswordReset, Secret: "x"}, locale.EN, evil, nil, "https://shop.example")
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := got.HTML(locale.EN); strings.Contains(html, "<script>") {
		t.Errorf("unescaped: %s", html)
	}
	if _, err := Compose(&shop.Mail{Kind: shop.MailPaid}, locale.EN, c, nil, "https://shop.example"); err == nil {
		t.Error("a payment message without its order was written")
	}
	if _, err := Compose(&shop.Mail{Kind: shop.MailPasswordReset}, locale.EN, c, nil, "https://shop.example"); err == nil {
		t.Error("a reset message without its token was written")
	}
}
