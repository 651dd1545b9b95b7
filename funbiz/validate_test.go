package funbiz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Every documented limit is enforced before anything is sent: the bank's
// answer to a bad value is an opaque code at best, a charge at worst.

// wantInvalid asserts err is ErrInvalid naming field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var e *Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) {
		t.Fatalf("err = %v, want ErrInvalid for %s", err, field)
	}
	if e.Field != field {
		t.Fatalf("Field = %q (%v), want %q", e.Field, err, field)
	}
	if !strings.Contains(err.Error(), field) || e.Msg == "" {
		t.Fatalf("message %q does not name %s", err, field)
	}
}

func TestOrderCreateValidation(t *testing.T) {
	cjk := func(n int) string { return strings.Repeat("豐", n) }
	atm := func(edit func(p *OrderCreateParams)) *OrderCreateParams {
		p := atmParams("A202401150001", 1000)
		edit(p)
		return p
	}
	card := func(edit func(p *OrderCreateParams)) *OrderCreateParams {
		p := cardParams("C202401150001", 1000, false)
		edit(p)
		return p
	}
	cases := []struct {
		name  string
		p     *OrderCreateParams
		field string // "" means valid
	}{
		{"valid ATM", atm(func(*OrderCreateParams) {}), ""},
		{"valid card", card(func(*OrderCreateParams) {}), ""},
		{"OrderNo 50", atm(func(p *OrderCreateParams) { p.OrderNo = strings.Repeat("A", 50) }), ""},
		{"OrderNo 51", atm(func(p *OrderCreateParams) { p.OrderNo = strings.Repeat("A", 51) }), "OrderNo"},
		{"OrderNo empty", atm(func(p *OrderCreateParams) { p.OrderNo = "" }), "OrderNo"},
		{"OrderNo quote", atm(func(p *OrderCreateParams) { p.OrderNo = "A1'2" }), "OrderNo"},
		{"OrderNo double quote", atm(func(p *OrderCreateParams) { p.OrderNo = `A1"2` }), "OrderNo"},
		{"OrderNo percent", atm(func(p *OrderCreateParams) { p.OrderNo = "A1%2" }), "OrderNo"},
		{"OrderNo blank", atm(func(p *OrderCreateParams) { p.OrderNo = "A1 2" }), "OrderNo"},
		{"OrderNo CJK", atm(func(p *OrderCreateParams) { p.OrderNo = "訂單1" }), "OrderNo"},
		{"OrderNo dash underscore", atm(func(p *OrderCreateParams) { p.OrderNo = "shop-2024_01" }), ""},
		{"PrdtName 20 CJK = 60 bytes", atm(func(p *OrderCreateParams) { p.PrdtName = cjk(20) }), ""},
		{"PrdtName 21 CJK = 63 bytes", atm(func(p *OrderCreateParams) { p.PrdtName = cjk(21) }), "PrdtName"},
		{"PrdtName 61 ASCII", atm(func(p *OrderCreateParams) { p.PrdtName = strings.Repeat("x", 61) }), "PrdtName"},
		{"PrdtName empty", atm(func(p *OrderCreateParams) { p.PrdtName = "" }), "PrdtName"},
		{"PrdtName percent", atm(func(p *OrderCreateParams) { p.PrdtName = "100% 純棉" }), "PrdtName"},
		{"PrdtName leading blank", atm(func(p *OrderCreateParams) { p.PrdtName = " 禮盒" }), "PrdtName"},
		{"PrdtName blank only", atm(func(p *OrderCreateParams) { p.PrdtName = "   " }), "PrdtName"},
		{"PrdtName newline", atm(func(p *OrderCreateParams) { p.PrdtName = "禮\n盒" }), "PrdtName"},
		{"PrdtName bad UTF-8", atm(func(p *OrderCreateParams) { p.PrdtName = "禮\xff" }), "PrdtName"},
		{"ATM NT$30000", atm(func(p *OrderCreateParams) { p.Amount = 30000 }), ""},
		{"ATM NT$94403, as the bank's sandbox took", atm(func(p *OrderCreateParams) { p.Amount = 94403 }), ""},
		{"ATM above MaxAmount", atm(func(p *OrderCreateParams) { p.Amount = MaxAmount + 1 }), "Amount"},
		{"card NT$30001", card(func(p *OrderCreateParams) { p.Amount = 30001 }), ""},
		{"card above MaxAmount", card(func(p *OrderCreateParams) { p.Amount = MaxAmount + 1 }), "Amount"},
		{"amount 0", atm(func(p *OrderCreateParams) { p.Amount = 0 }), "Amount"},
		{"amount negative", card(func(p *OrderCreateParams) { p.Amount = -100 }), "Amount"},
		{"PayType empty", atm(func(p *OrderCreateParams) { p.PayType = "" }), "PayType"},
		{"PayType M", atm(func(p *OrderCreateParams) { p.PayType = "M" }), "PayType"},
		{"ATM without ATM params", atm(func(p *OrderCreateParams) { p.ATM = nil }), "ATM"},
		{"ATM with card params", atm(func(p *OrderCreateParams) { p.Card = &CardParams{} }), "Card"},
		{"card without card params", card(func(p *OrderCreateParams) { p.Card = nil }), "Card"},
		{"card with ATM params", card(func(p *OrderCreateParams) { p.ATM = &ATMParams{ExpireDate: "20240131"} }), "ATM"},
		{"ExpireDate empty", atm(func(p *OrderCreateParams) { p.ATM.ExpireDate = "" }), "ATM.ExpireDate"},
		{"ExpireDate 20240230", atm(func(p *OrderCreateParams) { p.ATM.ExpireDate = "20240230" }), "ATM.ExpireDate"},
		{"ExpireDate 2024-01-01", atm(func(p *OrderCreateParams) { p.ATM.ExpireDate = "2024-01-01" }), "ATM.ExpireDate"},
		{"ExpireDate 20240229 leap", atm(func(p *OrderCreateParams) { p.ATM.ExpireDate = "20240229" }), ""},
		{"ExpireDate 20230229", atm(func(p *OrderCreateParams) { p.ATM.ExpireDate = "20230229" }), "ATM.ExpireDate"},
		{"ExpMinutes 0", card(func(p *OrderCreateParams) { p.Card.ExpMinutes = 0 }), ""},
		{"ExpMinutes 30", card(func(p *OrderCreateParams) { p.Card.ExpMinutes = 30 }), ""},
		{"ExpMinutes 31", card(func(p *OrderCreateParams) { p.Card.ExpMinutes = 31 }), "Card.ExpMinutes"},
		{"ExpMinutes -1", card(func(p *OrderCreateParams) { p.Card.ExpMinutes = -1 }), "Card.ExpMinutes"},
		{"ExpBillingDays 7", card(func(p *OrderCreateParams) { p.Card.ExpBillingDays = 7 }), ""},
		{"ExpBillingDays 22", card(func(p *OrderCreateParams) { p.Card.ExpBillingDays = 22 }), "Card.ExpBillingDays"},
		{"ExpBillingDays with AutoBilling", card(func(p *OrderCreateParams) { p.Card.AutoBilling, p.Card.ExpBillingDays = true, 3 }), "Card.ExpBillingDays"},
		{"PayTypeSub too long", card(func(p *OrderCreateParams) { p.Card.PayTypeSub = "ONEONEONEONE" }), "Card.PayTypeSub"},
		{"card without ReturnURL", card(func(p *OrderCreateParams) { p.ReturnURL = "" }), "ReturnURL"},
		{"ATM without ReturnURL", atm(func(p *OrderCreateParams) { p.ReturnURL = "" }), ""},
		{"ReturnURL relative", card(func(p *OrderCreateParams) { p.ReturnURL = "/funbiz/return" }), "ReturnURL"},
		{"ReturnURL percent", card(func(p *OrderCreateParams) { p.ReturnURL = "https://shop.example.com/r?x=%20" }), "ReturnURL"},
		{"ReturnURL 256 bytes", card(func(p *OrderCreateParams) {
			p.ReturnURL = "https://shop.example.com/" + strings.Repeat("r", 256-len("https://shop.example.com/"))
		}), "ReturnURL"},
		{"BackendURL ftp", atm(func(p *OrderCreateParams) { p.BackendURL = "ftp://shop.example.com/notify" }), "BackendURL"},
		{"BackendURL quote", atm(func(p *OrderCreateParams) { p.BackendURL = "https://shop.example.com/n'" }), "BackendURL"},
		{"Memo 30 bytes", atm(func(p *OrderCreateParams) { p.Memo = strings.Repeat("備", 10) }), ""},
		{"Memo 33 bytes", atm(func(p *OrderCreateParams) { p.Memo = strings.Repeat("備", 11) }), "Memo"},
		{"Param1 255", atm(func(p *OrderCreateParams) { p.Param1 = strings.Repeat("p", 255) }), ""},
		{"Param2 256", atm(func(p *OrderCreateParams) { p.Param2 = strings.Repeat("p", 256) }), "Param2"},
		{"Param3 quote", atm(func(p *OrderCreateParams) { p.Param3 = `say "hi"` }), "Param3"},
	}
	b := newFakeBank(t)
	c := newTestClient(t, b)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid parameters refused: %v", err)
				}
				return
			}
			wantInvalid(t, err, tc.field)
			_, err = c.OrderCreate(t.Context(), tc.p)
			wantInvalid(t, err, tc.field)
			if e := err.(*Error); e.Service != ServiceOrderCreate {
				t.Errorf("Service = %q", e.Service)
			}
		})
	}
	if nonces, orders := b.hits(); nonces+orders != 0 {
		t.Fatalf("invalid parameters reached the bank: %d nonce, %d order calls", nonces, orders)
	}
}

func TestQueryValidation(t *testing.T) {
	b := newFakeBank(t)
	c := newTestClient(t, b)
	type call func(ctx context.Context) error
	q := func(p OrderQueryParams) call {
		return func(ctx context.Context) error { _, err := c.OrderQuery(ctx, &p); return err }
	}
	maintain := func(p OrderMaintainParams) call {
		return func(ctx context.Context) error { _, err := c.OrderMaintain(ctx, &p); return err }
	}
	allot := func(p AllotParams) call {
		return func(ctx context.Context) error { _, err := c.AllotQuery(ctx, &p); return err }
	}
	cases := []struct {
		name, field string
		call        call
	}{
		{"OrderQuery no filter", "OrderQueryParams", q(OrderQueryParams{})},
		{"OrderQuery bad OrderNo", "OrderNo", q(OrderQueryParams{OrderNo: "A%1"})},
		{"OrderQuery bad PayType", "PayType", q(OrderQueryParams{PayType: "X"})},
		{"OrderQuery PayFlag O", "PayFlag", q(OrderQueryParams{PayFlag: "O"})},
		{"OrderQuery PayFlag lower", "PayFlag", q(OrderQueryParams{PayFlag: "y"})},
		{"OrderQuery minute 60", "OrderDateTimeS", q(OrderQueryParams{OrderDateTimeS: "202401011260", OrderDateTimeE: "202401012359"})},
		{"OrderQuery date only", "OrderDateTimeE", q(OrderQueryParams{OrderDateTimeS: "202401010000", OrderDateTimeE: "20240101"})},
		{"OrderQuery start without end", "OrderDateTimeS", q(OrderQueryParams{OrderDateTimeS: "202401010000"})},
		{"OrderQuery start after end", "OrderDateTimeS", q(OrderQueryParams{OrderDateTimeS: "202402010000", OrderDateTimeE: "202401010000"})},
		{"OrderQuery pay end without start", "PayDateTimeS", q(OrderQueryParams{PayDateTimeE: "202401010000"})},
		{"OrderQuery pay time with dashes", "PayDateTimeS", q(OrderQueryParams{PayDateTimeS: "2024-01-0100", PayDateTimeE: "202401010000"})},
		{"OrderQuery pay start after end", "PayDateTimeS", q(OrderQueryParams{PayDateTimeS: "202401020000", PayDateTimeE: "202401010000"})},
		// FindOrder("") is an OrderQuery without a filter; the error names the
		// query's parameters rather than OrderNo.
		{"FindOrder empty", "OrderNo", func(ctx context.Context) error { _, _, err := c.FindOrder(ctx, ""); return err }},
		{"FindOrder bad", "OrderNo", func(ctx context.Context) error { _, _, err := c.FindOrder(ctx, "A'1"); return err }},
		{"PayToken empty", "PayToken", func(ctx context.Context) error { _, err := c.OrderPayQuery(ctx, ""); return err }},
		{"PayToken dash", "PayToken", func(ctx context.Context) error { _, err := c.OrderPayQuery(ctx, "abc-123"); return err }},
		{"PayToken 101", "PayToken", func(ctx context.Context) error {
			_, err := c.OrderPayQuery(ctx, strings.Repeat("a", 101))
			return err
		}},
		{"Maintain no OrderNo", "OrderNo", maintain(OrderMaintainParams{Command: CommandRefund})},
		{"Maintain no Command", "Command", maintain(OrderMaintainParams{OrderNo: "C1"})},
		{"Maintain bad Command", "Command", maintain(OrderMaintainParams{OrderNo: "C1", Command: "X"})},
		{"Maintain cancel with amount", "Amount", maintain(OrderMaintainParams{OrderNo: "C1", Command: CommandCancel, Amount: 10})},
		{"Refund negative", "Amount", func(ctx context.Context) error {
			_, err := c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: -1})
			return err
		}},
		{"Refund no amount", "Amount", func(ctx context.Context) error { _, err := c.Refund(ctx, &RefundParams{OrderNo: "C1"}); return err }},
		{"Refund amount and All", "Amount", func(ctx context.Context) error {
			_, err := c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 5, All: true})
			return err
		}},
		{"Refund no OrderNo", "OrderNo", func(ctx context.Context) error { _, err := c.Refund(ctx, &RefundParams{All: true}); return err }},
		{"Refund remark percent", "Remark", func(ctx context.Context) error {
			_, err := c.Refund(ctx, &RefundParams{OrderNo: "C1", Amount: 1, Remark: "退 100%"})
			return err
		}},
		{"Capture too much", "Amount", func(ctx context.Context) error { _, err := c.Capture(ctx, "C1", MaxAmount+1); return err }},
		{"Cancel remark too long", "Remark", func(ctx context.Context) error {
			_, err := c.CancelAuthorization(ctx, "C1", strings.Repeat("r", MaxRemark+1))
			return err
		}},
		{"UnCaptured bad OrderNo", "OrderNo", func(ctx context.Context) error { _, err := c.OrderUnCapturedQuery(ctx, "C 1"); return err }},
		{"BillQuery empty", "BillDate", func(ctx context.Context) error { _, err := c.BillQuery(ctx, ""); return err }},
		{"BillQuery yyMMdd", "BillDate", func(ctx context.Context) error { _, err := c.BillQuery(ctx, "240115"); return err }},
		{"BillQuery 20241301", "BillDate", func(ctx context.Context) error { _, err := c.BillQuery(ctx, "20241301"); return err }},
		{"Allot no start", "AllotDateS", allot(AllotParams{AllotDateE: "20240101"})},
		{"Allot no end", "AllotDateE", allot(AllotParams{AllotDateS: "20240101"})},
		{"Allot reversed", "AllotDateS", allot(AllotParams{AllotDateS: "20240201", AllotDateE: "20240101"})},
		{"Allot bad PayType", "PayType", allot(AllotParams{AllotDateS: "20240101", AllotDateE: "20240101", PayType: "Z"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t.Context())
			wantInvalid(t, err, tc.field)
			if e := err.(*Error); e.Service == "" {
				t.Errorf("no Service in %v", err)
			}
		})
	}
	if nonces, orders := b.hits(); nonces+orders != 0 {
		t.Fatalf("invalid parameters reached the bank: %d nonce, %d order calls", nonces, orders)
	}

	// And the boundaries that are fine.
	for _, p := range []OrderQueryParams{
		{OrderNo: "A1"}, {PayType: PayTypeCard}, {PayFlag: "N"},
		{OrderDateTimeS: "202401010000", OrderDateTimeE: "202401010000"},
		{PayDateTimeS: "202312312359", PayDateTimeE: "202401010000"},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v refused: %v", p, err)
		}
	}
	if err := CheckPayToken(strings.Repeat("a", 100)); err != nil {
		t.Errorf("100-character token refused: %v", err)
	}
	if err := CheckOrderNo(strings.Repeat("9", 50)); err != nil {
		t.Errorf("50-character OrderNo refused: %v", err)
	}
}

func TestNewClientRefusals(t *testing.T) {
	good := Config{BaseURL: SandboxURL, ShopNo: testShopNo, Hash: testHash, KeyID: testKeyID}
	cases := []struct {
		name, field string
		edit        func(c *Config)
	}{
		{"no BaseURL", "BaseURL", func(c *Config) { c.BaseURL = "" }},
		{"BaseURL blank", "BaseURL", func(c *Config) { c.BaseURL = "   " }},
		{"BaseURL ftp", "BaseURL", func(c *Config) { c.BaseURL = "ftp://apisbx.sinopac.com/api" }},
		{"BaseURL no scheme", "BaseURL", func(c *Config) { c.BaseURL = "apisbx.sinopac.com/funBIZ-Sbx/QPay.WebAPI/api" }},
		{"BaseURL no host", "BaseURL", func(c *Config) { c.BaseURL = "https:///QPay.WebAPI/api" }},
		{"BaseURL unparsable", "BaseURL", func(c *Config) { c.BaseURL = "http://[::1" }},
		{"no ShopNo", "ShopNo", func(c *Config) { c.ShopNo = "" }},
		{"ShopNo 21", "ShopNo", func(c *Config) { c.ShopNo = strings.Repeat("N", 21) }},
		{"ShopNo blank", "ShopNo", func(c *Config) { c.ShopNo = "NA0249 001" }},
		{"ShopNo quote", "ShopNo", func(c *Config) { c.ShopNo = "NA0249'001" }},
		{"A1 15 characters", "Hash.A1", func(c *Config) { c.Hash.A1 = "86D50DEF3EB7400" }},
		{"A2 17 characters", "Hash.A2", func(c *Config) { c.Hash.A2 = "01FD27C09E5549E5F" }},
		{"B1 not hex", "Hash.B1", func(c *Config) { c.Hash.B1 = "9E004965F424495G" }},
		{"B2 dashes", "Hash.B2", func(c *Config) { c.Hash.B2 = "7FB3-385F-414E-4" }},
		{"Hash empty", "Hash.A1", func(c *Config) { c.Hash = Hash{} }},
		{"KeyID header injection", "KeyID", func(c *Config) { c.KeyID = testKeyID + "\r\nX-Evil: 1" }},
		{"negative retry", "Retry", func(c *Config) { c.Retry.Attempts = -1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			c, err := NewClient(cfg)
			if c != nil {
				t.Errorf("got a client")
			}
			wantInvalid(t, err, tc.field)
			// The refusal of a hash value must not print it.
			for _, v := range []Secret{cfg.Hash.A1, cfg.Hash.A2, cfg.Hash.B1, cfg.Hash.B2} {
				if len(v) > 4 && strings.Contains(err.Error(), string(v)) {
					t.Errorf("error %q shows a hash value", err)
				}
			}
		})
	}
	for _, base := range []string{SandboxURL, ProductionURL, "http://localhost:8080/QPay.WebAPI/api/"} {
		cfg := good
		cfg.BaseURL = base
		c, err := NewClient(cfg)
		if err != nil || c.ShopNo() != testShopNo || c.Keys().HashID() != testHashID {
			t.Errorf("NewClient(%s) = %v, %v", base, c, err)
		}
	}
	// Lower-case hash values are the same key (PROTOCOL §3).
	lower := good
	lower.Hash = Hash{A1: "86d50def3eb7400e", A2: "01fd27c09e5549e5", B1: "9e004965f4244953", B2: "7fb3385f414e4f91"}
	if c, err := NewClient(lower); err != nil || c.Keys().HashID() != testHashID {
		t.Errorf("lower-case hash values: %v", err)
	}
}

func TestParseHash(t *testing.T) {
	h, err := ParseHash(" 86D50DEF3EB7400E, 01FD27C09E5549E5 ,9E004965F4244953,7FB3385F414E4F91")
	if err != nil || h != testHash {
		t.Fatalf("ParseHash = %v, %v", h, err)
	}
	for _, s := range []string{"", "86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953", "a,b,c,d,e"} {
		_, err := ParseHash(s)
		wantInvalid(t, err, "Hash")
	}
	_, err = ParseHash("86D50DEF3EB7400E,01FD27C09E5549E5,9E004965F4244953,nothex")
	wantInvalid(t, err, "Hash.B2")
}

func TestDates(t *testing.T) {
	// 2024-01-15 17:30 UTC is 2024-01-16 01:30 in Taipei: the bank's day.
	ts := time.Date(2024, 1, 15, 17, 30, 0, 0, time.UTC)
	if got := FormatDate(ts); got != "20240116" {
		t.Errorf("FormatDate = %s", got)
	}
	if got := FormatDateTime(ts); got != "202401160130" {
		t.Errorf("FormatDateTime = %s", got)
	}
	back, err := ParseDateTime("202401160130")
	if err != nil || !back.Equal(ts) {
		t.Errorf("ParseDateTime = %v, %v", back, err)
	}
	d, err := ParseDate("20240116")
	if err != nil || !d.Equal(time.Date(2024, 1, 15, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
}
