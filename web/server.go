// Package web is the shop's web layer: the pages of KummyShop 庫米狗屋
// (catalogue, checkout, orders, sign-up and login) and the bank's two
// callbacks. Handlers are small, one per file: they parse the request,
// validate it, call one service, and render a page or redirect (a POST
// always ends in a 303 to a GET). Every word on a page comes from the
// locale catalogues; every state-changing form is protected against
// cross-origin posts, except the bank's two callbacks, which change
// nothing until the bank confirms them.
//
// The back office lives under /admin/ (files admin_*.go): all orders with
// the bank's view beside ours, captures, cancellations and refunds, the
// PayToken log, the job queue and the reconciliation reports, for
// customers with the admin role only. /readyz and /metrics (metrics.go)
// are for the machines that run the shop.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/sinopay/sinopay/internal/compress"
	"github.com/sinopay/sinopay/internal/crash"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Config is what the web layer needs; cmd/sinopay fills it in.
type Config struct {
	DB  *storage.DB
	Pay *payment.Service
	// Jobs is the job queue, for the back office's job pages and the
	// metrics: payment.Service.Queue.
	Jobs JobQueue
	// Recon makes and keeps the reconciliation reports.
	Recon   *reconcile.Service
	Log     *slog.Logger
	BaseURL string           // public URL of the shop, e.g. http://127.0.0.1:8080
	Now     func() time.Time // nil = time.Now
	// Metrics instruments the server; nil makes one of its own.
	Metrics *Metrics
	// ServeMetrics serves Metrics at GET /metrics on the shop's own
	// handler; off when cmd/sinopay serves them on an address of their own.
	ServeMetrics bool
	// Hooks arms crash points for fault tests (notify-recorded); nil arms
	// none.
	Hooks *crash.Points
	// NotifyFrom are the addresses the bank's notifications come from:
	// theirs are confirmed first; any other sender's wait behind them, in
	// a queue of bounded length (payment.Service.RecordOther). Empty: no
	// sender is known, all wait in that queue.
	NotifyFrom []netip.Prefix
	// TrustedProxies are the peers whose X-Forwarded-For, X-Request-ID
	// and traceparent are believed (ParseTrustedProxies); none by
	// default, so the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// Contact is how customers reach the shop (SINOPAY_SHOP_CONTACT): one
	// line shown in every page's footer and where a page asks the
	// customer to get in touch; "" shows none.
	Contact string
	// Outbox sends the shop's e-mail; nil leaves queued messages for
	// another instance (or a later start) to send.
	Outbox Outbox
	// APIMode is the mode of the API keys whose payments the shop's bank
	// takes: "test" when it is a sandbox, "live" when it is the bank ("" is
	// test). Test keys are also taken when a test bank stands beside a
	// live one (payment.Config.TestBank); other keys are refused.
	APIMode shop.APIMode
	// APIRate is how many JSON API requests one key may make a second in
	// this instance, with twice as many at once [100]; negative: no limit.
	APIRate float64
}

// Server serves the shop. It is safe for concurrent use.
type Server struct {
	db      *storage.DB
	pay     *payment.Service
	jobs    JobQueue
	recon   *reconcile.Service
	log     *slog.Logger
	now     func() time.Time
	secure  bool // cookies only over HTTPS
	pages   *pages
	handler http.Handler
	hooks   *crash.Points
	contact string
	outbox  Outbox

	notifyFrom []netip.Prefix
	apiMode    shop.APIMode
	baseURL    string // Config.BaseURL without a trailing slash

	metrics      *Metrics
	serveMetrics bool
	bankCheck    bankCheck // the readiness check's cached bank answer
	dbCheck      dbCheck   // and its cached schema and write check

	// passwords hashes at cost 12; tests lower it, since that takes a
	// quarter of a second per hash.
	passwords *passwords
	// throttle holds back password guessing before the hash runs.
	throttle *authThrottle
	// dbTimeout bounds the database work of one request.
	dbTimeout time.Duration
	// apiLimit holds each API key to Config.APIRate; nil: no limit.
	apiLimit *limiter
	// trustedProxies: Config.TrustedProxies.
	trustedProxies []netip.Prefix
}

// Session lifetime, and how long a language choice is remembered.
const (
	sessionTTL = 30 * 24 * time.Hour
	langTTL    = 365 * 24 * time.Hour
)

// maxFormBody bounds every form post; the shop's forms are a few hundred
// bytes.
const maxFormBody = 64 << 10

// New checks cfg, parses the templates and builds the routes. It fails
// when a required part is missing or a template does not parse.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Pay == nil || cfg.Jobs == nil || cfg.Recon == nil {
		return nil, errors.New("web: DB, Pay, Jobs and Recon are required")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, errors.New("web: BaseURL must be an http or https URL")
	}
	s := &Server{
		db:         cfg.DB,
		pay:        cfg.Pay,
		jobs:       cfg.Jobs,
		recon:      cfg.Recon,
		log:        cfg.Log,
		now:        cfg.Now,
		secure:     strings.HasPrefix(base, "https://"),
		hooks:      cfg.Hooks,
		notifyFrom: cfg.NotifyFrom,
		apiMode:    cfg.APIMode,
		baseURL:    base,
		contact:    cfg.Contact,
		outbox:     cfg.Outbox,
		passwords:  newPasswords(shop.PasswordCost, 0),
		throttle:   newAuthThrottle(),
		dbTimeout:  10 * time.Second,

		trustedProxies: cfg.TrustedProxies,

		metrics:      cfg.Metrics,
		serveMetrics: cfg.ServeMetrics,
	}
	if s.apiMode == "" {
		s.apiMode = shop.APITest
	}
	switch rate := cfg.APIRate; {
	case rate == 0:
		s.apiLimit = newAPILimit(defaultAPIRate)
	case rate > 0:
		s.apiLimit = newAPILimit(rate)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if err = parseAdminPages(s.pages); err != nil {
		return nil, err
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(s.db, s.jobs, s.log)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the shop's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.catalogue)
	mux.HandleFunc("GET /products/{sku}", s.productShow)
	mux.HandleFunc("GET /pictures/{id}/{size}/{file}", s.productPicture)
	mux.HandleFunc("GET /checkout", s.checkoutForm)
	mux.HandleFunc("POST /checkout", s.checkoutSubmit)
	mux.HandleFunc("GET /orders", s.orderList)
	mux.HandleFunc("GET /orders/{no}", s.orderShow)
	mux.HandleFunc("GET /orders/{no}/result", s.orderResult)
	mux.HandleFunc("GET /orders/{no}/status", s.orderStatus)
	mux.HandleFunc("POST /orders/{no}/card-instead", s.orderCardInstead)
	mux.HandleFunc("GET /payments/{ref}", s.paymentWait)
	mux.HandleFunc("GET /payments/{ref}/status", s.paymentStatus)
	mux.HandleFunc("GET /signup", s.signupForm)
	mux.HandleFunc("POST /signup", s.signupSubmit)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /password/forgot", s.forgotForm)
	mux.HandleFunc("POST /password/forgot", s.forgotSubmit)
	mux.HandleFunc("GET /password/reset/{token}", s.resetForm)
	mux.HandleFunc("POST /password/reset/{token}", s.resetSubmit)
	mux.HandleFunc("GET /lang/{code}", s.langSwitch)
	mux.HandleFunc("POST /funbiz/notify", s.funbizNotify)
	mux.HandleFunc("POST /funbiz/return", s.funbizReturn)
	mux.HandleFunc("POST /api/v1/payments", s.apiPaymentCreate)
	mux.HandleFunc("GET /api/v1/payments/{id}", s.apiPaymentGet)
	mux.HandleFunc("GET /api/v1/payments", s.apiPaymentList)
	mux.HandleFunc("GET /api/v1/events", s.apiEventList)
	mux.HandleFunc("GET /api/v1/openapi.json", s.apiOpenAPI)
	mux.HandleFunc("POST /api/v1/payments/{id}/capture", s.apiPaymentOp(shop.OpCapture))
	mux.HandleFunc("POST /api/v1/payments/{id}/cancel", s.apiPaymentOp(shop.OpCancel))
	mux.HandleFunc("POST /api/v1/payments/{id}/refunds", s.apiPaymentOp(shop.OpRefund))
	mux.HandleFunc("/api/", s.apiNotFound)
	mux.HandleFunc("GET /pay/{id}/return", s.apiPaymentReturn)
	mux.HandleFunc("GET /pay/{id}", s.payPage)
	mux.HandleFunc("GET /pay/{id}/status", s.payStatus)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.serveMetrics {
		// Unauthenticated, as Prometheus scrapes; see the README for
		// keeping it off the public internet.
		mux.Handle("GET /metrics", s.metrics.Handler())
	}

	// The back office. Every route answers a visitor with the login page
	// and a customer who is not an admin with the shop's 404 page.
	mux.HandleFunc("GET /admin/{$}", s.adminIndex)
	mux.HandleFunc("GET /admin/orders", s.adminOrders)
	mux.HandleFunc("GET /admin/orders/{no}", s.adminOrder)
	mux.HandleFunc("GET /admin/orders/{no}/{op}", s.adminOpForm)
	mux.HandleFunc("POST /admin/orders/{no}/{op}", s.adminOpSubmit)
	mux.HandleFunc("POST /admin/orders/{no}/ship", s.adminShip)
	mux.HandleFunc("POST /admin/orders/{no}/unship", s.adminUnship)
	mux.HandleFunc("GET /admin/packing", s.adminPacking)
	mux.HandleFunc("POST /admin/orders/{no}/ops/{id}/resolve", s.adminOpResolve)
	mux.HandleFunc("POST /admin/orders/{no}/ops/{id}/settle", s.adminOpSettle)
	mux.HandleFunc("GET /admin/paytokens", s.adminPayTokens)
	mux.HandleFunc("GET /admin/jobs", s.adminJobs)
	mux.HandleFunc("POST /admin/jobs/{id}/retry", s.adminJobRetry)
	mux.HandleFunc("POST /admin/paytokens/{id}/retry", s.adminPayTokenRetry)
	mux.HandleFunc("GET /admin/reports", s.adminReports)
	mux.HandleFunc("POST /admin/reports", s.adminReportRun)
	mux.HandleFunc("GET /admin/reports/{id}", s.adminReportShow)
	mux.HandleFunc("GET /admin/reports/{id}/csv", s.adminReportCSV)
	mux.HandleFunc("GET /admin/products", s.adminProducts)
	mux.HandleFunc("GET /admin/products/new", s.adminProductNew)
	mux.HandleFunc("POST /admin/products", s.adminProductSave)
	mux.HandleFunc("GET /admin/products/{id}", s.adminProductEdit)
	mux.HandleFunc("POST /admin/products/{id}", s.adminProductSave)
	mux.HandleFunc("GET /admin/mail", s.adminMail)
	mux.HandleFunc("GET /admin/mail/{id}", s.adminMailShow)
	mux.HandleFunc("POST /admin/mail/{id}/resend", s.adminMailResend)
	mux.HandleFunc("GET /admin/apikeys", s.adminAPIKeys)
	mux.HandleFunc("POST /admin/apikeys", s.adminAPIKeyCreate)
	mux.HandleFunc("POST /admin/apikeys/{id}/revoke", s.adminAPIKeyRevoke)
	mux.HandleFunc("POST /admin/apikeys/{id}/endpoints", s.adminWebhookAdd)
	mux.HandleFunc("POST /admin/apikeys/{id}/endpoints/{endpoint}/remove", s.adminWebhookRemove)
	mux.HandleFunc("POST /admin/apikeys/{id}/deliveries/{delivery}/resend", s.adminDeliveryResend)
	mux.HandleFunc("/admin/", s.adminNotFound)
	mux.Handle("GET /static/", s.staticHandler())
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/", s.notFound)

	cop := http.NewCrossOriginProtection()
	// The bank's callbacks come from the bank's server and from the bank's
	// card page, never from our origin. They are safe to let through: they
	// only record a PayToken, and nothing changes until OrderPayQuery, with
	// its Sign verified, confirms it.
	for _, p := range []string{"POST /funbiz/notify", "POST /funbiz/return"} {
		cop.AddInsecureBypassPattern(p)
	}
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	// Compression sits inside the request log and the metrics (they see
	// what was asked for and the status sent) and outside the panic
	// handler, whose error page it compresses like any other. See
	// internal/compress for the rule that keeps BREACH away from pages
	// seen with the session cookie.
	zipped := compress.Handler(s.recoverPanics(securityHeaders(s.secure, cop.Handler(mux))), compress.Options{Cookie: sessionCookie})
	return s.observe(s.metrics.instrumentHTTP(zipped))
}

// securityHeaders sets the headers every answer carries. The policy allows
// only our own origin: no inline scripts or styles, no frames, forms post
// only to us. When the shop's base URL is https, Strict-Transport-Security
// tells browsers to come back only over HTTPS for a year, to every
// subdomain too (browsers ignore it over http, and a shop on plain http
// must not send it: its own address would stop working).
func securityHeaders(https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanics turns a panic in a handler into a 500 page and a log line,
// instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic in handler", "method", r.Method, "route", r.Pattern, "panic", v)
			s.renderError(w, r, http.StatusInternalServerError, "error.internal")
		}()
		next.ServeHTTP(w, r)
	})
}

// timeout bounds work done for one request on the database. A handler
// that hashes a password starts it after the hash.
func (s *Server) timeout(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.dbTimeout)
}
