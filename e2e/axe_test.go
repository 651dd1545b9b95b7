package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sinopay/sinopay/internal/waitfor"
)

// axe-core checks every page a scenario photographs for what WCAG 2.x A
// and AA (and axe's best practices) forbid: contrast, names, landmarks,
// target sizes. It is pinned in e2e/axe/package-lock.json and installed
// by `npm ci --prefix e2e/axe` (.ci/run).
var axeFile = filepath.Join("axe", "node_modules", "axe-core", "axe.min.js")

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axeFile)
	return string(b), err
})

// requireAxe skips the test without axe-core, except in CI, where a page
// left unchecked must not pass silently.
func requireAxe(t *testing.T) {
	t.Helper()
	_, err := axeSource()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("axe-core is required in CI: %v (npm ci --prefix e2e/axe)", err)
	}
	t.Skipf("axe-core is not installed (%v); run npm ci --prefix e2e/axe", err)
}

// axeViolation is one rule a page breaks, with its first few elements.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Count  int    `json:"count"`
	Nodes  []struct {
		Target string `json:"target"`
		HTML   string `json:"html"`
		Why    string `json:"why"`
	} `json:"nodes"`
}

type axeReport struct {
	URL        string         `json:"url"`
	Violations []axeViolation `json:"violations"`
}

// axeRun runs axe on the page, injected first if the document has none,
// and lists the violations with what a reader needs to find them.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => ({
	url: location.href,
	violations: r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, count: v.nodes.length,
		nodes: v.nodes.slice(0, 3).map(n => ({
			target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" "),
			html: n.html.length > 200 ? n.html.slice(0, 200) + "…" : n.html,
			why: (n.failureSummary || "").split("\n").slice(1, 2).join("").trim(),
		})),
	})),
}))`

// checkAccessibility fails the test (and goes on) when axe finds a
// violation on the page the tab shows. A page that navigates while axe
// runs (a page that follows a payment reloads itself) is checked again
// once it has loaded.
func (b *tab) checkAccessibility(name string) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.fatalf("axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	var rep axeReport
	err = waitfor.Until(ctx, pollEvery, func(ctx context.Context) error {
		ready, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`))
		if !ready {
			return errors.New("the page has not finished loading")
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "undefined" ? ((0, eval)(`+jsString(src)+`), true) : true`)); err != nil {
			return fmt.Errorf("injecting axe-core: %w", err)
		}
		rep, err = chromedp.Run(ctx, chromedp.Evaluate[axeReport](axeRun, chromedp.EvalAwaitPromise))
		return err
	})
	if err != nil {
		b.fatalf("axe on %s: %v", name, err)
	}
	if len(rep.Violations) == 0 {
		return
	}
	screen := b.vp.name
	if screen == "" {
		screen = desktop.name // the browser's own window
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "axe: %s (%s screen) breaks %d rule(s)\n  page: %s", name, screen, len(rep.Violations), rep.URL)
	for _, v := range rep.Violations {
		fmt.Fprintf(&msg, "\n  %s [%s] %s: %d element(s)", v.ID, v.Impact, v.Help, v.Count)
		for _, n := range v.Nodes {
			fmt.Fprintf(&msg, "\n    %s\n      %s", n.Target, n.HTML)
			if n.Why != "" {
				fmt.Fprintf(&msg, "\n      %s", n.Why)
			}
		}
	}
	b.t.Error(msg.String())
}
