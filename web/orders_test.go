package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

var rowRE = regexp.MustCompile(`(?s)<tr( class="([a-z-]+)")?>\s*<td class="font-monospace[^"]*"[^>]*><a href="/orders/(K\d+)">.*?</tr>`)

// My orders: ten a page, newest first, amounts and Taiwan times written
// for people, codes as words, colours and actions by status.
func TestOrderList(t *testing.T) {
	r := newRig(t)
	b := r.signup("many@example.com")
	ctx := context.Background()
	c, err := r.db.CustomerByEmail(ctx, "many@example.com")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) // 18:00 in Taipei
	var orders []*shop.Order
	for i := range 23 {
		payType := shop.PayATM
		if i%2 == 1 {
			payType = shop.PayCard
		}
		o := &shop.Order{No: fmt.Sprintf("K20261127%08d", i), CustomerID: c.ID, PayType: payType, Amount: 1234 + shop.Money(i)*1000000,
			Items: []shop.Item{{ProductID: 1, Name: "抹茶狗骨頭", UnitPrice: 1234, Qty: 1}}}
		if err := r.db.CreateOrder(ctx, o, fmt.Sprintf("key%d", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	future := time.Now().Add(time.Hour)
	setBank := func(o *shop.Order, b shop.BankOrder) {
		b.State = shop.BankCreated
		if err := r.db.SetBank(ctx, o.ID, b, t0); err != nil {
			t.Fatal(err)
		}
	}
	event := func(o *shop.Order, evs ...shop.Event) {
		for _, ev := range evs {
			if _, _, err := r.db.ApplyEvent(ctx, o.ID, ev, storage.EventMeta{Source: "notify"}, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	setBank(orders[22], shop.BankOrder{AtmPayNo: "99922530174963", ExpireDate: "20261204"}) // ATM, waiting
	setBank(orders[21], shop.BankOrder{CardPayURL: "https://bank.example/pay/21", CardExpiresAt: future})
	event(orders[21], shop.EventFailed) // card, failed, link alive
	setBank(orders[20], shop.BankOrder{AtmPayNo: "99922530174964"})
	event(orders[20], shop.EventPaid)
	setBank(orders[19], shop.BankOrder{CardPayURL: "https://bank.example/pay/19", CardExpiresAt: time.Now().Add(-time.Minute)})
	event(orders[19], shop.EventFailed) // card, failed, link dead
	setBank(orders[18], shop.BankOrder{AtmPayNo: "99922530174965"})
	event(orders[18], shop.EventExpired)
	setBank(orders[17], shop.BankOrder{CardPayURL: "https://bank.example/pay/17", CardExpiresAt: future})
	event(orders[17], shop.EventPaid, shop.EventRefunded)
	setBank(orders[16], shop.BankOrder{AtmPayNo: "99922530174966"})
	event(orders[16], shop.EventMismatch)
	setBank(orders[15], shop.BankOrder{CardPayURL: "https://bank.example/pay/15", CardExpiresAt: future}) // card, waiting

	p := b.get("/orders")
	if p.Status != http.StatusOK {
		t.Fatalf("orders: %d", p.Status)
	}
	rows := rowRE.FindAllStringSubmatch(p.Body, -1)
	if len(rows) != 10 {
		t.Fatalf("%d rows on page 1:\n%s", len(rows), p.Body)
	}
	for i, row := range rows {
		if want := orders[22-i].No; row[3] != want {
			t.Errorf("row %d is %s, want %s (newest first)", i, row[3], want)
		}
	}
	want := []struct {
		class string
		words []string
		not   []string
	}{
		{"table-info", []string{"NT$22,001,234", "2026-11-27 18:22", "ATM轉帳", "尚未付款", "顯示ATM帳號"}, []string{"重新刷卡"}},
		{"table-danger", []string{"2026-11-27 18:21", "信用卡", "付款失敗", "重新刷卡", `href="https://bank.example/pay/21"`}, []string{"顯示ATM帳號"}},
		{"", []string{"付款成功"}, []string{"顯示ATM帳號", "重新刷卡"}},
		{"table-danger", []string{"付款失敗"}, []string{"重新刷卡", "pay/19"}},
		{"table-secondary", []string{"逾期未付款"}, []string{"顯示ATM帳號"}},
		{"table-warning", []string{"已退款"}, []string{"重新刷卡"}},
		{"table-warning", []string{"待人工確認"}, []string{"顯示ATM帳號"}},
		{"table-info", []string{"尚未付款", "重新刷卡"}, nil},
	}
	for i, w := range want {
		row := rows[i]
		if row[2] != w.class {
			t.Errorf("row %d (%s): class %q, want %q", i, row[3], row[2], w.class)
		}
		mustContain(t, row[0], w.words...)
		mustNotContain(t, row[0], w.not...)
	}
	mustContain(t, p.Body, "我的訂單", "第 1 頁 / 共 3 頁", `href="/orders?page=2"`, `href="/orders?page=3"`)

	p = b.get("/orders?page=3")
	rows = rowRE.FindAllStringSubmatch(p.Body, -1)
	if len(rows) != 3 || rows[2][3] != orders[0].No {
		t.Fatalf("page 3 has %d rows", len(rows))
	}
	mustContain(t, p.Body, "第 3 頁 / 共 3 頁", "NT$1,234<", "2026-11-27 18:00", `href="/orders?page=1"`, `href="/orders?page=2"`)

	for _, q := range []string{"0", "-1", "x", "99999999999"} {
		if p := b.get("/orders?page=" + q); p.Status != http.StatusOK || !strings.Contains(p.Body, "第 1 頁 / 共 3 頁") {
			t.Errorf("page=%s: %d", q, p.Status)
		}
	}
	if p := b.get("/orders?page=4"); p.Status != http.StatusSeeOther || p.Location != "/orders?page=3" {
		t.Errorf("page past the end: %d %q", p.Status, p.Location)
	}
}
