package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/compress"
)

// Demo merchant: the public sandbox credentials the bank published for
// the 2021 iThome contest (PROTOCOL §12, vector hashid-na0249-sandbox).
// They are public, so printing them is fine; no other hash value is ever
// printed or logged.
const DemoShopNo = "NA0249_001"

// DemoHash returns the demo merchant's hash values.
func DemoHash() funbiz.Hash {
	return funbiz.Hash{A1: "86D50DEF3EB7400E", A2: "01FD27C09E5549E5", B1: "9E004965F4244953", B2: "7FB3385F414E4F91"}
}

// Merchant is a shop the sandbox knows.
type Merchant struct {
	ShopNo string
	Hash   funbiz.Hash
}

// Options configure a Sandbox. The zero value is a working in-memory
// sandbox on the real clock with the demo merchant.
type Options struct {
	// Merchants are the shops besides the demo merchant, which always exists.
	Merchants []Merchant
	// KeyID, when set, is required in the X-KeyID header of /Nonce and
	// /Order, as the bank has required since 2023.
	KeyID string
	// Clock is the time source; the default is the real clock. The sandbox
	// adds its own offset (Advance) on top.
	Clock Clock
	// NotifyInterval is the wait between notification attempts (bank: 10m).
	NotifyInterval time.Duration
	// NotifyAttempts is how many failed attempts end a delivery (bank: 5).
	NotifyAttempts int
	// ATMAutoPay, when positive, pays an ATM order this long after it was
	// created, as the bank's sandbox does, unless its OrderNo ends in 9.
	ATMAutoPay time.Duration
	// Store keeps the state across restarts (sqlitestore.Open gives one
	// in a SQLite file); nil keeps everything in memory. The sandbox closes
	// it on Close, and on a failed New.
	Store Store
	// BaseURL is the public URL of the sandbox, used in the links it hands
	// out (card page, ATM page). Empty: taken from each API request's Host.
	BaseURL string
	// HTTPClient sends notifications. Redirects are never followed, as the
	// bank does not follow them. Default: 10 s timeout.
	HTTPClient *http.Client
	// Logger receives one line per API call and per notification attempt;
	// never a hash value or a decrypted message. Default: discard.
	Logger *slog.Logger
}

// Defaults of the bank's notification policy (PROTOCOL §9.1).
const (
	DefaultNotifyInterval = 10 * time.Minute
	DefaultNotifyAttempts = 5
	// NonceLifetime is how long a nonce can be used (PROTOCOL §2).
	NonceLifetime = 60 * time.Second
	// MaxBody is the largest request body read; larger ones are refused.
	MaxBody = 1 << 20
)

var taipei = funbiz.Taipei

type merchant struct {
	shopNo string
	keys   *funbiz.Keys
}

// Sandbox is the simulated bank: an http.Handler serving the bank's API,
// the hosted card and ATM pages, the dashboard and the control API. It
// keeps its state in memory, written through to Options.Store when set,
// and runs a background loop that delivers notifications and fires timed
// events (ATM auto-pay, scheduled captures). It is safe for concurrent use.
type Sandbox struct {
	opts      Options
	clock     Clock
	log       *slog.Logger
	httpc     *http.Client
	merchants map[string]*merchant
	shopNos   []string
	store     Store
	handler   http.Handler
	pages     *pages

	offset atomic.Int64 // time.Duration added to clock

	nonceMu    sync.Mutex
	nonces     map[string]nonceEntry
	nonceSweep time.Time

	// mu guards everything below.
	mu           sync.Mutex
	orders       map[orderKey]*order
	orderSeq     []*order // creation order, for listings
	byCardToken  map[string]*order
	byAtmPayNo   map[string]*order
	payments     map[string]*payment
	paymentSeq   []*payment
	deliveries   []*delivery
	nextDelivery int64
	tsSeq        map[string]int64
	refusals     []refusalRecord
	notices      []noticeRecord
	chaos        chaosState

	// runMu serialises passes over due work, so that Advance returns only
	// after everything due by then has been attempted.
	runMu  sync.Mutex
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	closed atomic.Bool
}

// New builds a sandbox and starts its background loop. It fails when a
// merchant's hash values are malformed, a ShopNo repeats, or the database
// cannot be opened. Call Close to stop it.
func New(opts Options) (*Sandbox, error) {
	if opts.Clock == nil {
		opts.Clock = RealClock
	}
	if opts.NotifyInterval <= 0 {
		opts.NotifyInterval = DefaultNotifyInterval
	}
	if opts.NotifyAttempts <= 0 {
		opts.NotifyAttempts = DefaultNotifyAttempts
	}
	if opts.ATMAutoPay < 0 {
		return nil, errors.New("sandbox: ATMAutoPay must not be negative")
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	httpc := &http.Client{Timeout: 10 * time.Second}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		httpc = &c
	}
	// A redirect is a receiver problem the bank does not paper over.
	httpc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	s := &Sandbox{
		opts: opts, clock: opts.Clock, log: log, httpc: httpc,
		merchants: map[string]*merchant{},
		nonces:    map[string]nonceEntry{},
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	all := append([]Merchant{{ShopNo: DemoShopNo, Hash: DemoHash()}}, opts.Merchants...)
	for _, m := range all {
		if m.ShopNo == "" || len(m.ShopNo) > 20 || strings.ContainsAny(m.ShopNo, ` '"%/`) {
			return nil, fmt.Errorf("sandbox: merchant ShopNo %q must be 1 to 20 characters without blanks, quotes, %% or /", m.ShopNo)
		}
		if _, dup := s.merchants[m.ShopNo]; dup {
			if m.ShopNo == DemoShopNo {
				return nil, fmt.Errorf("sandbox: merchant %s is the built-in demo merchant", m.ShopNo)
			}
			return nil, fmt.Errorf("sandbox: merchant %s given twice", m.ShopNo)
		}
		keys, err := funbiz.NewKeys(m.Hash)
		if err != nil {
			return nil, fmt.Errorf("sandbox: merchant %s: %w", m.ShopNo, err)
		}
		s.merchants[m.ShopNo] = &merchant{shopNo: m.ShopNo, keys: keys}
		s.shopNos = append(s.shopNos, m.ShopNo)
	}
	s.resetLocked()

	s.store = opts.Store
	if s.store == nil {
		s.store = memStore{}
	}
	saved, err := s.store.Load()
	if err != nil {
		s.store.Close()
		return nil, fmt.Errorf("sandbox: loading the saved state: %w", err)
	}
	snap, err := decode(saved)
	if err != nil {
		s.store.Close()
		return nil, err
	}
	s.restore(snap)

	pg, err := newPages(s)
	if err != nil {
		s.store.Close()
		return nil, err
	}
	s.pages = pg
	s.handler = s.routes()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.loop()
	return s, nil
}

// resetLocked empties the state. s.mu must be held (or s unshared).
func (s *Sandbox) resetLocked() {
	s.orders = map[orderKey]*order{}
	s.orderSeq = nil
	s.byCardToken = map[string]*order{}
	s.byAtmPayNo = map[string]*order{}
	s.payments = map[string]*payment{}
	s.paymentSeq = nil
	s.deliveries = nil
	s.nextDelivery = 0
	s.tsSeq = map[string]int64{}
	s.refusals = nil
	s.notices = nil
	s.chaos = newChaosState()
	s.offset.Store(0)
}

// restore rebuilds the indexes from a loaded snapshot.
func (s *Sandbox) restore(snap *snapshot) {
	s.offset.Store(int64(snap.offset))
	slices.SortFunc(snap.orders, func(a, b *order) int { return a.Created.Compare(b.Created) })
	for _, o := range snap.orders {
		s.indexOrder(o)
	}
	slices.SortFunc(snap.payments, func(a, b *payment) int { return a.PayDate.Compare(b.PayDate) })
	for _, p := range snap.payments {
		s.payments[p.PayToken] = p
		s.paymentSeq = append(s.paymentSeq, p)
	}
	slices.SortFunc(snap.deliveries, func(a, b *delivery) int { return int(a.ID - b.ID) })
	s.deliveries = snap.deliveries
	for _, d := range snap.deliveries {
		s.nextDelivery = max(s.nextDelivery, d.ID)
	}
}

func (s *Sandbox) indexOrder(o *order) {
	s.orders[o.key()] = o
	s.orderSeq = append(s.orderSeq, o)
	if o.CardToken != "" {
		s.byCardToken[o.CardToken] = o
	}
	if o.AtmPayNo != "" {
		s.byAtmPayNo[o.AtmPayNo] = o
	}
	var seq int64
	if p := shopPrefix(o.ShopNo); strings.HasPrefix(o.TSNo, p) {
		fmt.Sscanf(o.TSNo[len(p):], "%d", &seq)
		s.tsSeq[p] = max(s.tsSeq[p], seq)
	}
}

// Close stops the background loop, releases held ("hang") requests and
// closes the database. Deliveries still pending stay pending in the
// database and resume when a sandbox opens it again.
func (s *Sandbox) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	<-s.done
	s.runMu.Lock() // wait for a pass that Advance may be running
	defer s.runMu.Unlock()
	return s.store.Close()
}

// Now is the sandbox's time: the clock plus the offset that Advance adds.
func (s *Sandbox) Now() time.Time {
	return s.clock.Now().Add(time.Duration(s.offset.Load())).In(taipei)
}

// ServeHTTP serves the bank API under /QPay.WebAPI/api, and the pages and
// control API under /_sandbox/.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// APIPrefix is where the bank API lives, as on the bank's hosts.
const APIPrefix = "/QPay.WebAPI/api"

func (s *Sandbox) routes() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("POST "+APIPrefix+"/Nonce", s.handleNonce)
	api.HandleFunc("POST "+APIPrefix+"/Order", s.handleOrder)

	ui := http.NewServeMux()
	ui.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/_sandbox/", http.StatusFound)
	})
	ui.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/_sandbox/static/favicon.svg", http.StatusMovedPermanently)
	})
	s.controlRoutes(ui)
	s.pages.routes(ui)
	// Browsers may only change state from the sandbox's own pages;
	// scripts and tests (no Sec-Fetch-Site, no Origin) pass. Pages and
	// the control API are gzipped for clients that ask; with any cookie,
	// only for requests from the sandbox's own pages (BREACH, see
	// internal/compress). The bank API is not: the bank's protocol says
	// nothing of compression, and a client must not depend on it.
	protected := compress.Handler(http.NewCrossOriginProtection().Handler(ui), compress.Options{})

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, APIPrefix+"/") {
			api.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// baseURL is the public URL for links handed out in answer to r.
func (s *Sandbox) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r != nil && r.TLS != nil {
		scheme = "https"
	}
	if r == nil || r.Host == "" {
		return "http://127.0.0.1:8081"
	}
	return scheme + "://" + r.Host
}

// ShopNos lists the merchants, the demo merchant first.
func (s *Sandbox) ShopNos() []string { return slices.Clone(s.shopNos) }

// wakeLoop tells the background loop that something may be due now.
func (s *Sandbox) wakeLoop() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// persist writes changed records through to the store. It runs with s.mu
// held, so writes reach the database in the order they happened. A failed
// write is logged: the in-memory state stays authoritative, and the
// sandbox goes on serving.
func (s *Sandbox) persist(w writeSet) {
	if _, none := s.store.(memStore); none {
		// Nothing keeps the records: do not render them.
		return
	}
	c, err := w.changes()
	if err == nil {
		err = s.store.Save(c)
	}
	if err != nil {
		s.log.Error("sandbox: saving state", "error", err)
	}
}
