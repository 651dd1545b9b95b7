package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// sandboxPage is one page as a browser got it.
type sandboxPage struct {
	name, lang string
	header     http.Header
	doc        *html.Node
}

// everyPage fetches every kind of sandbox page, with data in its tables,
// in both languages: the dashboard (orders, payments, notifications,
// notices, refusals, two pages of orders), the card page, its form with
// errors, the page after a payment, the ATM page, and messages.
func everyPage(t *testing.T) []sandboxPage {
	t.Helper()
	r := newRig(t, sandbox.Options{})
	rc := newReceiver(t, func(w http.ResponseWriter, req *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	r.createCard("K1", rc.URL)
	r.pay("K1", sandbox.OutcomeSuccess)
	r.sb.RunDue()
	r.createCard("K2", "")
	// A member the bank does not read (a notice) and a bad sign (a refusal).
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", cardMsg("K3", `{"AutoBilling":"Y"}`, `"PrdtName"`, `"Colour":"red","PrdtName"`)); a.Status != "S" {
		t.Fatal(a.Description)
	}
	r.open(r.keys, func() []byte {
		nonce := r.nonce(sandbox.DemoShopNo)
		b, _ := json.Marshal(map[string]string{"Version": "1.0.0", "ShopNo": sandbox.DemoShopNo, "APIService": "OrderQuery", "Sign": strings.Repeat("0", 64), "Nonce": nonce,
			"Message": r.keys.Encrypt(nonce, []byte(`{"ShopNo":"NA0249_001","OrderNo":"K1"}`))})
		return b
	}(), nil)
	var atm string
	for _, no := range []string{"KA01", "KA02", "KA03", "KA04", "KA05", "KA06", "KA07", "KA08", "KA09", "KA10", "KA11", "KA12", "KA13", "KA14", "KA15", "KA16", "KA17", "KA18", "KA19", "KA20"} {
		atm = r.createATM(no, "20260305")
	}
	var pages []sandboxPage
	for _, lang := range []string{"zh-TW", "en"} {
		b := r.browser()
		fetch := func(name string, resp *http.Response) {
			t.Helper()
			defer resp.Body.Close()
			doc, err := html.Parse(io.Reader(resp.Body))
			if err != nil {
				t.Fatalf("%s %s: %v", lang, name, err)
			}
			pages = append(pages, sandboxPage{name: name, lang: lang, header: resp.Header, doc: doc})
		}
		getPage := func(name, u string) {
			t.Helper()
			resp, err := b.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			fetch(name, resp)
		}
		postPage := func(name, u string, form url.Values) {
			t.Helper()
			resp, err := b.PostForm(u, form)
			if err != nil {
				t.Fatal(err)
			}
			fetch(name, resp)
		}
		getPage("dashboard", r.srv.URL+"/_sandbox/?lang="+lang)
		getPage("dashboard page 2", r.srv.URL+"/_sandbox/?page=2")
		getPage("card page", r.cardURL("K2"))
		postPage("card page with errors", r.cardURL("K2"), url.Values{"action": {"card"}, "number": {"4111"}})
		postPage("card done", r.cardURL("K2"), url.Values{"action": {"fail"}})
		getPage("ATM page", r.srv.URL+"/_sandbox/atm/"+atm)
		getPage("message: paid", r.cardURL("K1"))
		getPage("message: not found", r.srv.URL+"/_sandbox/card/nope")
	}
	return pages
}

// attr is the value of an element's attribute, and whether it has one.
func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// elements lists the elements under n (n included) that match.
func elements(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	if n.Type == html.ElementNode && match(n) {
		out = append([]*html.Node{n}, out...)
	}
	return out
}

func byTag(a atom.Atom) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.DataAtom == a }
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// Every page carries a strict Content-Security-Policy: nothing but the
// sandbox's own files, no inline script or style, no framing, and forms
// that post back to the sandbox, or, on the page after a card payment,
// to the shop's ReturnURL. The pages keep to it: no inline script, no
// style element or attribute, no event handler attributes, and no form
// posting anywhere the policy does not allow.
func TestPagesKeepToTheirPolicy(t *testing.T) {
	for _, p := range everyPage(t) {
		csp := p.header.Get("Content-Security-Policy")
		directives := map[string][]string{}
		for d := range strings.SplitSeq(csp, ";") {
			f := strings.Fields(d)
			if len(f) > 0 {
				directives[f[0]] = f[1:]
			}
		}
		if !slices.Equal(directives["default-src"], []string{"'self'"}) || !slices.Equal(directives["frame-ancestors"], []string{"'none'"}) ||
			directives["script-src"] != nil || directives["style-src"] != nil || strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("%s %s: policy %q", p.lang, p.name, csp)
		}
		// After a card payment the form posts to the shop, which may
		// redirect the browser to another site; elsewhere forms post
		// only back to the sandbox.
		wantForms := []string{"'self'"}
		if p.name == "card done" {
			wantForms = append(wantForms, "http:", "https:")
		}
		if got := directives["form-action"]; !slices.Equal(got, wantForms) {
			t.Errorf("%s %s: form-action %q, want %q", p.lang, p.name, got, wantForms)
		}
		for _, s := range elements(p.doc, byTag(atom.Script)) {
			if src, _ := attr(s, "src"); !strings.HasPrefix(src, "/_sandbox/static/") || textOf(s) != "" {
				t.Errorf("%s %s: an inline script or one from elsewhere: src=%q %q", p.lang, p.name, src, textOf(s))
			}
		}
		for _, n := range elements(p.doc, func(*html.Node) bool { return true }) {
			if n.DataAtom == atom.Style {
				t.Errorf("%s %s: a <style> element", p.lang, p.name)
			}
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s %s: <%s %s=%q>", p.lang, p.name, n.Data, a.Key, a.Val)
				}
			}
		}
		for _, f := range elements(p.doc, byTag(atom.Form)) {
			action, _ := attr(f, "action")
			u, err := url.Parse(action)
			if err != nil || (u.Host != "" && !slices.Contains(wantForms, u.Scheme+":")) {
				t.Errorf("%s %s: a form posts to %q, which the policy blocks", p.lang, p.name, action)
			}
		}
	}
}

// Every page says its language, has a title and a description, and
// keeps all of its content in landmarks: a header (the sandbox notice
// and its navigation) and main.
func TestPagesLanguageTitleAndLandmarks(t *testing.T) {
	for _, p := range everyPage(t) {
		root := elements(p.doc, byTag(atom.Html))[0]
		if lang, _ := attr(root, "lang"); lang != p.lang {
			t.Errorf("%s %s: <html lang=%q>", p.lang, p.name, lang)
		}
		if titles := elements(p.doc, byTag(atom.Title)); len(titles) != 1 || !strings.Contains(textOf(titles[0]), " · ") || strings.HasPrefix(textOf(titles[0]), " · ") {
			t.Errorf("%s %s: no meaningful title", p.lang, p.name)
		}
		desc := elements(p.doc, func(n *html.Node) bool {
			name, _ := attr(n, "name")
			return n.DataAtom == atom.Meta && name == "description"
		})
		if len(desc) != 1 {
			t.Errorf("%s %s: %d descriptions", p.lang, p.name, len(desc))
		} else if c, _ := attr(desc[0], "content"); c == "" || strings.Contains(c, "[[") || (p.lang == "en") != (strings.Trim(c, " -.,:;'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "") {
			t.Errorf("%s %s: description %q is not in the page's language", p.lang, p.name, c)
		}
		body := elements(p.doc, byTag(atom.Body))[0]
		for c := range body.ChildNodes() {
			switch {
			case c.Type == html.TextNode && strings.TrimSpace(c.Data) == "", c.Type == html.CommentNode:
			case c.Type == html.ElementNode && slices.Contains([]atom.Atom{atom.Header, atom.Main, atom.Footer, atom.Nav, atom.Script}, c.DataAtom):
			default:
				t.Errorf("%s %s: <body> holds %q outside any landmark", p.lang, p.name, c.Data)
			}
		}
		if n := len(elements(body, byTag(atom.Main))); n != 1 {
			t.Errorf("%s %s: %d <main>", p.lang, p.name, n)
		}
	}
}

// Every table has header cells, each with text (visually hidden or
// not) and a scope, and every table that may scroll sideways on a phone
// is in a region the keyboard can reach, named by its heading.
func TestPagesTables(t *testing.T) {
	tables := 0
	for _, p := range everyPage(t) {
		ids := map[string]bool{}
		for _, n := range elements(p.doc, func(n *html.Node) bool { _, ok := attr(n, "id"); return ok }) {
			id, _ := attr(n, "id")
			ids[id] = true
		}
		for _, table := range elements(p.doc, byTag(atom.Table)) {
			tables++
			ths := elements(table, byTag(atom.Th))
			if len(elements(table, byTag(atom.Thead))) == 0 || len(ths) == 0 {
				t.Errorf("%s %s: a table without header cells", p.lang, p.name)
			}
			for _, th := range ths {
				if textOf(th) == "" {
					t.Errorf("%s %s: an empty <th>", p.lang, p.name)
				}
				if scope, _ := attr(th, "scope"); scope != "col" && scope != "row" {
					t.Errorf("%s %s: <th> %q has no scope", p.lang, p.name, textOf(th))
				}
			}
			wrap := table.Parent
			class, _ := attr(wrap, "class")
			tabindex, _ := attr(wrap, "tabindex")
			role, _ := attr(wrap, "role")
			label, _ := attr(wrap, "aria-labelledby")
			if !strings.Contains(class, "table-responsive") || tabindex != "0" || role != "region" || !ids[label] {
				t.Errorf("%s %s: a table's scroll container is not a named, focusable region: class=%q tabindex=%q role=%q aria-labelledby=%q", p.lang, p.name, class, tabindex, role, label)
			}
		}
	}
	if tables < 20 {
		t.Fatalf("only %d tables seen; the pages lack their data", tables)
	}
}
