package web

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/sinopay/sinopay/shop"
)

// Baked words print exactly what html/template prints for them, in every
// context; only those in HTML text, quoted attributes and titles are
// baked.
func TestBakeWords(t *testing.T) {
	texts := map[string]string{
		"plain": "付款完成 Paid",
		"marks": "Tom's \"cart\" & <b>x</b> + 1\x00 100%",
		"url":   "a b/c?d=e&f",
	}
	lookup := func(key string) (string, bool) { s, ok := texts[key]; return s, ok }
	src := `{{define "page"}}<html><head><title>{{t "marks"}}</title></head><body>
<p>{{t "plain"}} {{t "marks"}} {{t "missing"}}</p>
<p title="{{t "marks"}}" aria-label='{{t "plain"}}' data-x={{t "marks"}}>{{if .}}{{t "plain"}}{{else}}{{t "marks"}}{{end}}</p>
<ul>{{range .}}<li>{{t "marks"}}</li>{{end}}</ul>
{{with .}}<i>{{t "plain"}}</i>{{end}}
<a href="/x?q={{t "url"}}">{{t "url"}}</a><a href="{{t "url"}}">u</a>
<button onclick="alert({{t "marks"}})">b</button>
<div style="color: {{t "plain"}}">s</div>
<script>var s = {{t "marks"}};</script>
{{template "part" .}}
</body></html>{{end}}{{define "part"}}<em>{{t "marks"}}</em>{{end}}`
	newSet := func() *template.Template {
		return template.Must(template.New("page").Funcs(template.FuncMap{"t": func(key string) string {
			if s, ok := texts[key]; ok {
				return s
			}
			return key
		}}).Parse(src))
	}
	plain, baked := newSet(), newSet()
	bakeWith(baked, lookup)
	for _, data := range []any{[]int{1, 2}, nil} {
		var want, got bytes.Buffer
		if err := plain.Execute(&want, data); err != nil {
			t.Fatal(err)
		}
		if err := baked.Execute(&got, data); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("baked page differs\n got %s\nwant %s", got.String(), want.String())
		}
	}
	// What is left as actions: the missing key, the URLs, the script,
	// the unquoted attribute, the handler and the style.
	var left []string
	for _, tt := range baked.Templates() {
		eachAction(tt.Tree.Root, func(_ *parse.ListNode, _ int, a *parse.ActionNode) {
			if s := a.String(); strings.Contains(s, "t \"") {
				left = append(left, s)
			}
		})
	}
	if len(left) != 7 {
		t.Errorf("actions left: %d, want 7:\n%s", len(left), strings.Join(left, "\n"))
	}
}

// BenchmarkOrderPage renders a paid card order's page, as the customer
// sees it after paying, in both languages.
func BenchmarkOrderPage(b *testing.B) {
	p, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{pages: p, log: slog.New(slog.DiscardHandler)}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	o := &shop.Order{ID: 7, No: "K2026120412345678", CustomerID: 3, PayType: shop.PayCard, Status: shop.StatusPaid, Amount: 2350,
		CreatedAt: now, Items: []shop.Item{
			{ProductID: 1, Name: "狗狗零食", NameZH: "狗狗零食", NameEN: "Dog treats", UnitPrice: 350, Qty: 2},
			{ProductID: 2, Name: "貓砂", NameZH: "貓砂", NameEN: "Cat litter", UnitPrice: 1650, Qty: 1},
		}}
	o.Bank.State = shop.BankCreated
	events := []customerEvent{{At: now, Event: shop.EventPaid, From: shop.StatusWaiting, To: shop.StatusPaid}}
	c := &shop.Customer{ID: 3, Email: "buyer@example.com"}
	for _, lang := range []string{"zh-TW", "en"} {
		b.Run(lang, func(b *testing.B) {
			v := &view{Lang: lang, OtherLang: "en", Customer: c, Here: "/orders/" + o.No, Title: "order.title",
				Data: orderPage{orderView: newOrderView(o, now), Events: events}}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.renderIn(rec, http.StatusOK, "order", lang, v)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
