package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sinopay/sinopay/internal/waitfor"
)

const chromiumPath = "/usr/bin/chromium"

// Time limits. A step is one action or a short group of them; a wait is
// a condition that may take a few page loads (a page that reloads itself
// every 2 s while the bank answers); the bank limit is for a payment to
// reach a page that does not reload itself: the sandbox's notification,
// then the shop's job that confirms it with OrderPayQuery.
const (
	stepTimeout = 15 * time.Second
	waitTimeout = 20 * time.Second
	bankTimeout = 15 * time.Second
	pollEvery   = 100 * time.Millisecond
)

func haveChromium() bool {
	_, err := os.Stat(chromiumPath)
	return err == nil
}

// requireChromium skips the test without Debian's Chromium, except in CI,
// where a missing browser must not pass silently.
func requireChromium(t *testing.T) {
	t.Helper()
	if haveChromium() {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("Chromium is required in CI: %s not found (apt-get install -y chromium)", chromiumPath)
	}
	t.Skipf("%s not found; the browser tests need Debian's Chromium", chromiumPath)
}

// newBrowser starts one headless Chromium that lives as long as ctx. Tabs
// opened with newTab each get their own browser context, so they share
// the process but not cookies.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), // never a downloaded browser
		chromedp.NoSandbox,              // the tests may run as root
		chromedp.DisableGPU,
		chromedp.Headless,
		chromedp.NoFirstRun,
		// The machines have no internet: Chromium's own background
		// traffic would only fail and slow the pages down.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		// A Taiwanese customer's browser: the shop picks its language from
		// Accept-Language, and zh-TW is what the shop is for.
		chromedp.Flag("lang", "zh-TW"),
		chromedp.Flag("accept-lang", "zh-TW,zh;q=0.9"),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first Do starts the process and ties it to bctx, which carries
	// the deadline of ctx.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}

// shots numbers and saves a scenario's screenshots in
// screenshots/<db>/<scenario>/NN-<name>.png at the module root.
type shots struct {
	dir string
	n   int
}

func newShots(t *testing.T, db, scenario string) *shots {
	t.Helper()
	dir := filepath.Join(modRoot, "screenshots", db, scenario)
	// Old pictures of an earlier run would be mistaken for this one's.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &shots{dir: dir}
}

func (s *shots) next(name string) string {
	s.n++
	return filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
}

// viewport is the screen a scenario runs on.
type viewport struct {
	name          string // the screenshots' folder
	width, height int64
	phone         bool // a touch screen, a mobile browser
}

// The shop's pages are checked on a desktop screen and on a phone's, as
// most Taiwanese shoppers have it (390 × 844 CSS pixels, touch).
var (
	desktop   = viewport{name: "desktop", width: 1280, height: 900}
	phone     = viewport{name: "phone", width: 390, height: 844, phone: true}
	viewports = []viewport{desktop, phone}
)

// tab is one browser tab in its own browser context: one customer.
type tab struct {
	t     *testing.T
	ctx   context.Context
	shots *shots
	label string // prefixes screenshot names when a scenario has two customers
	vp    viewport

	// want404 are the pages the test opened expecting 404 (or another 4xx):
	// their "failed to load" console line is the point, not a fault.
	// wantRefused are the pages a form was sent to expecting a refusal
	// (400), for the same reason.
	want404     []string
	wantRefused []string
}

// tolerated says why a console error is not a test failure, or "".
func (b *tab) tolerated(m chromedp.ConsoleMessage) string {
	if strings.HasPrefix(m.Text, "Failed to load resource") {
		for _, u := range b.want404 {
			if m.URL == u && strings.Contains(m.Text, "status of 4") {
				return "4xx expected"
			}
		}
		for _, u := range b.wantRefused {
			if m.URL == u && strings.Contains(m.Text, "400") {
				return "a refusal expected"
			}
		}
	}
	return ""
}

// newTab opens a tab in a fresh browser context (no cookies) of browser.
func newTab(t *testing.T, browser context.Context, s *shots, label string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		cancel()
		t.Fatalf("opening a tab: %v", err)
	}
	b := &tab{t: t, ctx: ctx, shots: s, label: label}
	// A script error or a resource the Content-Security-Policy blocked does
	// not always show on the page; the console tells.
	messages := chromedp.Console(ctx)
	done := make(chan []chromedp.ConsoleMessage)
	go func() {
		var bad []chromedp.ConsoleMessage
		for m, err := range messages {
			if err != nil {
				break
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == "warning" {
				bad = append(bad, m)
			}
		}
		done <- bad
	}()
	t.Cleanup(func() {
		cancel()
		tolerated := map[string]int{}
		for _, m := range <-done {
			if why := b.tolerated(m); why != "" {
				tolerated[why]++
				continue
			}
			t.Errorf("browser console: %s %s (%s)", m.Type, m.Text, m.URL)
		}
		for why, n := range tolerated {
			t.Logf("browser console: %d error line(s) tolerated: %s", n, why)
		}
	})
	return b
}

// emulate makes the tab show pages on vp's screen; the desktop is the
// browser's own window.
//
// Every tab asks for reduced motion. Bootstrap scrolls smoothly otherwise,
// and a click is aimed where the element is once scrolled into view: on a
// phone, where the button is often below the fold, the click could land
// while the page was still gliding, on whatever passed under the aim, and
// the form never went (the shipping form, 1 run in 4 on an idle machine).
func (b *tab) emulate(vp viewport) {
	b.t.Helper()
	b.vp = vp
	b.do("ask for reduced motion", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return chromedp.Void{}, err
	})
	if !vp.phone {
		return
	}
	b.do("emulate "+vp.name, chromedp.EmulateViewport(vp.width, vp.height,
		chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
}

// noSidewaysScroll fails the test when the page is wider than the screen:
// on a phone that hides part of every line, and whatever is on the
// right (a status, a button) with it. The back office is for desks, and
// not held to it.
func (b *tab) noSidewaysScroll(name string) {
	b.t.Helper()
	type width struct {
		Path    string `json:"path"`
		Scroll  int    `json:"scroll"`
		Inner   int    `json:"inner"`
		Culprit string `json:"culprit"`
	}
	w, err := eval[width](b, `(() => {
		const inner = window.innerWidth;
		let culprit = "";
		for (const el of document.body.querySelectorAll("*")) {
			const r = el.getBoundingClientRect();
			if (r.right > inner + 1 && r.width > 0) {
				culprit = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
			}
		}
		return {path: location.pathname, scroll: document.documentElement.scrollWidth, inner: inner, culprit: culprit};
	})()`)
	if err != nil {
		b.fatalf("measuring %s: %v", name, err)
	}
	if strings.HasPrefix(w.Path, "/admin/") {
		return
	}
	if w.Scroll > w.Inner {
		b.fatalf("%s (%s) scrolls sideways on the %s screen: %d px wide in a %d px window (%s)", name, w.Path, b.vp.name, w.Scroll, w.Inner, w.Culprit)
	}
}

// do runs actions under the step time limit.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// open navigates to url and checks the HTTP status of the page.
func (b *tab) open(url string, wantStatus int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if wantStatus >= 400 {
		b.want404 = append(b.want404, url)
	}
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	b.checkResponse("open "+url, resp, err, wantStatus)
}

// clickNav clicks sel, waits for the page it leads to, and checks that
// page's HTTP status (after redirects: a form post answers 303).
func (b *tab) clickNav(what, sel string, wantStatus int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if wantStatus >= 400 && resp != nil {
		b.want404 = append(b.want404, resp.URL)
	}
	b.checkResponse(what, resp, err, wantStatus)
}

func (b *tab) checkResponse(what string, resp *network.Response, err error, want int64) {
	b.t.Helper()
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	if resp == nil {
		b.fatalf("%s: no response", what)
	}
	if resp.Status != want {
		b.fatalf("%s: HTTP %d %s, want %d", what, resp.Status, resp.URL, want)
	}
}

// click clicks sel without waiting for a page: for a form whose answer
// goes on by itself (the card page posts back to the shop by script).
func (b *tab) click(what, sel string) {
	b.t.Helper()
	b.do(what, chromedp.Click(chromedp.CSS(sel)))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *tab, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// text is the visible text of the first element matching sel, or "" when
// there is none.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := eval[string](b, fmt.Sprintf(`(document.querySelector(%s) || {innerText: ""}).innerText.trim()`, jsString(sel)))
	if err != nil {
		b.fatalf("reading %s: %v", sel, err)
	}
	return s
}

// location is the page's URL.
func (b *tab) location() string {
	b.t.Helper()
	s, err := eval[string](b, `location.href`)
	if err != nil {
		b.fatalf("reading the location: %v", err)
	}
	return s
}

// waitFor polls a JavaScript condition until it holds. Errors while a page
// is loading (the document the expression ran in went away) just mean
// "not yet", so this works across navigations and self-reloading pages.
func (b *tab) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	expr := fmt.Sprintf(`document.readyState !== "loading" && !!(%s)`, cond)
	err := waitfor.Until(ctx, pollEvery, func(ctx context.Context) error {
		ectx, ecancel := context.WithTimeout(ctx, 2*time.Second)
		defer ecancel()
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](expr))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("not true")
		}
		return nil
	})
	if err != nil {
		b.fatalf("waiting for %s (%s): %v", what, cond, err)
	}
}

// reloadUntil opens url again and again until cond holds on it: for a
// page that does not refresh itself while the bank and the shop's jobs
// do their work.
func (b *tab) reloadUntil(what, url, cond string) {
	b.t.Helper()
	b.reloadUntilWithin(bankTimeout, what, url, cond)
}

// reloadUntilWithin is reloadUntil with a limit of its own: for work the
// shop does on a schedule of its own, such as a retry after a backoff.
func (b *tab) reloadUntilWithin(limit time.Duration, what, url, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	err := waitfor.Until(ctx, 300*time.Millisecond, func(context.Context) error {
		b.open(url, 200)
		ok, err := eval[bool](b, fmt.Sprintf(`!!(%s)`, cond))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("not true")
		}
		return nil
	})
	if err != nil {
		b.fatalf("%s: %s on %s: %v", what, cond, url, err)
	}
}

var badName = regexp.MustCompile(`[^a-z0-9-]+`)

// shot saves a full-page PNG of what the tab shows now, then checks
// that the page does not scroll sideways and that axe finds nothing
// wrong with it: every page a scenario visits is photographed, so every
// page is measured and checked, on every screen.
func (b *tab) shot(name string) {
	b.t.Helper()
	if err := b.trySave(name); err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	b.noSidewaysScroll(name)
	b.checkAccessibility(name)
}

func (b *tab) trySave(name string) error {
	if b.label != "" {
		name = b.label + "-" + name
	}
	name = badName.ReplaceAllString(strings.ToLower(name), "-")
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	// A page that has just been navigated to (a self-refreshing page, a
	// redirect after a post) can have no layout yet, and Chromium refuses
	// to photograph a page of width 0: wait for a laid-out page, and take
	// the picture again if a navigation slipped in between.
	var png []byte
	err := waitfor.Until(ctx, pollEvery, func(ctx context.Context) error {
		ready, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && document.documentElement.scrollWidth > 0 && document.documentElement.scrollHeight > 0`))
		if !ready {
			return errors.New("the page has not finished loading")
		}
		var err error
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		return err
	})
	if err != nil {
		return err
	}
	return os.WriteFile(b.shots.next(name), png, 0o644)
}

// fatalf fails the test, with the page's URL and a screenshot of it, so a
// failure in CI can be seen and not only read.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if b.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		if href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err == nil {
			msg += "\n  page: " + href
		}
		if body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ""`)); err == nil {
			msg += "\n  text: " + strings.ReplaceAll(body, "\n", " | ")
		}
		cancel()
		if err := b.trySave("failed"); err != nil && !errors.Is(err, context.Canceled) {
			msg += "\n  (no screenshot: " + err.Error() + ")"
		}
	}
	b.t.Fatal(msg)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}
