package web

import (
	"html/template"
	"io"
	"strings"
	"text/template/parse"

	"github.com/sinopay/sinopay/locale"
)

// bakeWords writes the set's fixed words into its templates: every
// {{t "key"}} that html/template escapes for HTML text, a quoted
// attribute or a title becomes the text it always prints in lang. A page
// executes each action by reflection, and its escaper after it; the
// words are a third of a page's actions and the same on every request.
//
// The three escapers write a plain string alike (bakeEscape does what they
// do), so the page is byte for byte what it was, which TestBakeWords
// checks against html/template itself; other contexts (URLs, scripts,
// styles, unquoted attributes) keep their action.
// The set is escaped here, by executing it once with no data (the error
// of executing with no data is expected and dropped; an escaping error
// is kept by html/template and returned on every Execute, which the tests
// of each page see).
func bakeWords(set *template.Template, lang string) {
	bakeWith(set, func(key string) (string, bool) {
		return locale.T(lang, key), locale.Has(lang, key)
	})
}

// lookupFunc is a language's text of a key, and whether it has one.
type lookupFunc func(key string) (string, bool)

// bakeWith bakes set's {{t "key"}} with the texts w gives.
func bakeWith(set *template.Template, w lookupFunc) {
	_ = set.Execute(io.Discard, nil)
	for _, t := range set.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			bakeList(t.Tree.Root, w)
		}
	}
}

// bakedEscapers are html/template's escapers of a plain string in HTML
// text, a quoted attribute value and RCDATA (a title): all three replace
// the characters bakeEscape replaces, and only those.
var bakedEscapers = map[string]bool{
	"_html_template_htmlescaper":   true,
	"_html_template_attrescaper":   true,
	"_html_template_rcdataescaper": true,
}

var bakeEscape = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func bakeList(root *parse.ListNode, w lookupFunc) {
	eachAction(root, func(l *parse.ListNode, i int, a *parse.ActionNode) {
		if text, ok := fixedWords(a, w); ok {
			l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: a.Pos, Text: []byte(text)}
		}
	})
}

// eachAction calls f with every action under l, in the branches of if,
// range and with too, and the list holding it at index i.
func eachAction(l *parse.ListNode, f func(l *parse.ListNode, i int, a *parse.ActionNode)) {
	if l == nil {
		return
	}
	for i, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			f(l, i, n)
		case *parse.IfNode:
			eachAction(n.List, f)
			eachAction(n.ElseList, f)
		case *parse.RangeNode:
			eachAction(n.List, f)
			eachAction(n.ElseList, f)
		case *parse.WithNode:
			eachAction(n.List, f)
			eachAction(n.ElseList, f)
		case *parse.ListNode:
			eachAction(n, f)
		}
	}
}

// fixedWords is the escaped text of an escaped {{t "key"}}, when it can be
// baked.
func fixedWords(a *parse.ActionNode, w lookupFunc) (string, bool) {
	p := a.Pipe
	if p == nil || len(p.Decl) != 0 || len(p.Cmds) != 2 {
		return "", false
	}
	call, esc := p.Cmds[0].Args, p.Cmds[1].Args
	if len(call) != 2 || len(esc) != 1 {
		return "", false
	}
	fn, ok := call[0].(*parse.IdentifierNode)
	if !ok || fn.Ident != "t" {
		return "", false
	}
	key, ok := call[1].(*parse.StringNode)
	if !ok {
		return "", false
	}
	text, ok := w(key.Text)
	if !ok {
		return "", false
	}
	e, ok := esc[0].(*parse.IdentifierNode)
	if !ok || !bakedEscapers[e.Ident] {
		return "", false
	}
	return bakeEscape.Replace(text), true
}
