package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Metrics is the shop's Prometheus instrumentation, on a registry of its
// own (never the global default one, so two shops in one test process do
// not collide and nothing registers behind our back). It is safe for
// concurrent use.
//
// The series:
//
//	sinopay_http_request_duration_seconds{route,code}  latency by route pattern (never the path: it holds order numbers)
//	sinopay_notifications_received_total               bank notifications that reached POST /funbiz/notify
//	sinopay_notifications_acknowledged_total           of those, answered {"Status":"S"} (recorded durably)
//	sinopay_bank_request_duration_seconds{service}     every HTTP request to the bank, retries included
//	sinopay_bank_requests_total{service,outcome}       outcome: ok, http_error (a status other than 200), transport_error
//	sinopay_jobs{state}                                the job queue by state, counted at scrape time
//	sinopay_callbacks_waiting{lane}                    callbacks recorded, not confirmed yet, by lane (known, other)
//	sinopay_orders{status}                             orders by status, counted at scrape time
//	sinopay_mail{status}                               the outbox's messages by status (queued, sent, kept, failed), counted at scrape time
//	sinopay_orders_awaiting_capture                    paid manual-capture card orders not captured yet
//	sinopay_database_file_ok                           SQLite only: 1 while the file at the configured path is the one open, else 0
//	sinopay_auth_held_total{form,limit}                log-ins and sign-ups answered 429, by the limit that held them (address, account)
//	sinopay_build_info{version,revision,goversion}     1, labelled with the build (SetBuildInfo)
//
// plus the Go runtime, the process and the database pool (go_sql_*).
type Metrics struct {
	reg            *prometheus.Registry
	httpDuration   *prometheus.HistogramVec
	notifyReceived prometheus.Counter
	notifyAcked    prometheus.Counter
	notifyDeferred prometheus.Counter
	bankDuration   *prometheus.HistogramVec
	bankRequests   *prometheus.CounterVec
	authHeld       *prometheus.CounterVec
	log            *slog.Logger
}

// JobCounter counts the jobs of the queue by state; jobqueue.Counter is
// one.
type JobCounter interface {
	Counts(ctx context.Context) (map[shop.JobState]int, error)
}

// NewMetrics builds the instrumentation of a shop on db, whose queue jobs
// counts. log receives the errors of scrapes (a database that cannot
// count); nil discards them.
func NewMetrics(db *storage.DB, jobs JobCounter, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sinopay_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "code"}),
		notifyReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sinopay_notifications_received_total",
			Help: "Bank notifications (POST /funbiz/notify) received.",
		}),
		notifyAcked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sinopay_notifications_acknowledged_total",
			Help: "Bank notifications recorded durably and acknowledged with Status S.",
		}),
		notifyDeferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sinopay_notifications_deferred_total",
			Help: "Notifications from senders not known as the bank's answered 503 because too many of theirs were waiting.",
		}),
		bankDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sinopay_bank_request_duration_seconds",
			Help:    "Time of one HTTP request to the bank's API, by APIService (Nonce for the nonce call).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service"}),
		bankRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sinopay_bank_requests_total",
			Help: "HTTP requests to the bank's API by APIService and outcome (ok, http_error, transport_error). Refusals travel encrypted inside ok answers.",
		}, []string{"service", "outcome"}),
		authHeld: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sinopay_auth_held_total",
			Help: "Log-ins and sign-ups answered 429 before their password was checked, by form and the limit that held them (address, account).",
		}, []string{"form", "limit"}),
		log: log,
	}
	m.reg.MustRegister(m.httpDuration, m.notifyReceived, m.notifyAcked, m.notifyDeferred, m.bankDuration, m.bankRequests, m.authHeld,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, string(db.Dialect)),
		&countsCollector{db: db, jobs: jobs},
	)
	if db.Dialect == storage.SQLite {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sinopay_database_file_ok",
			Help: "1 while the SQLite file at the configured path is the one the shop has open; 0 when it is gone or replaced, and payments are refused.",
		}, func() float64 {
			if db.CheckFile() != nil {
				return 0
			}
			return 1
		}))
	}
	// Every known series exists from the start at zero, so rate() and
	// alerts work before the first notification or bank call.
	for _, f := range []string{"login", "signup"} {
		m.authHeld.WithLabelValues(f, heldByAddress)
	}
	m.authHeld.WithLabelValues("login", heldByAccount)
	for _, s := range bankServices {
		m.bankDuration.WithLabelValues(s)
		for _, o := range []string{"ok", "http_error", "transport_error"} {
			m.bankRequests.WithLabelValues(s, o)
		}
	}
	return m
}

// SetBuildInfo adds sinopay_build_info, always 1, labelled with the
// version, the source revision and the Go version of the binary, so
// that a dashboard tells which build each instance runs. Call it once.
func (m *Metrics) SetBuildInfo(version, revision, goVersion string) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "sinopay_build_info",
		Help:        "Always 1; its labels are the version, the source revision and the Go version of the binary.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	}, func() float64 { return 1 }))
}

// Handler serves the metrics in the Prometheus text format. A collector
// that fails (the database is down) leaves its series out and the rest
// is still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slogPrintln{m.log},
		Registry:      m.reg, // promhttp_metric_handler_* about the scrapes themselves
		Timeout:       10 * time.Second,
	})
}

type slogPrintln struct{ log *slog.Logger }

func (l slogPrintln) Println(v ...any) {
	parts := make([]string, len(v))
	for i, x := range v {
		if err, ok := x.(error); ok {
			parts[i] = err.Error()
		} else if s, ok := x.(string); ok {
			parts[i] = s
		}
	}
	l.log.Warn("metrics scrape", "error", strings.Join(parts, " "))
}

// NotificationReceived counts a notification that reached the handler.
func (m *Metrics) NotificationReceived() { m.notifyReceived.Inc() }

// NotificationAcknowledged counts a notification answered with Status S.
func (m *Metrics) NotificationAcknowledged() { m.notifyAcked.Inc() }

// NotificationDeferred counts a notification of an unknown sender
// answered 503 because the queue of theirs was full.
func (m *Metrics) NotificationDeferred() { m.notifyDeferred.Inc() }

// AuthHeld counts a log-in or sign-up (form) that limit held.
func (m *Metrics) AuthHeld(form, limit string) { m.authHeld.WithLabelValues(form, limit).Inc() }

// instrumentHTTP observes every request's latency by its route pattern,
// which the ServeMux sets on the request as it routes it.
func (m *Metrics) instrumentHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "-" // refused before routing (a cross-origin post)
		}
		m.httpDuration.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	})
}

// bankServices are the label values of the bank's series; anything else
// is "other", so a strange request cannot make new series.
var bankServices = []string{"Nonce", funbiz.ServiceOrderCreate, funbiz.ServiceOrderQuery, funbiz.ServiceOrderPayQuery,
	funbiz.ServiceOrderMaintain, funbiz.ServiceOrderUnCapturedQuery, funbiz.ServiceBillQuery, funbiz.ServiceAllotQuery}

// BankTransport wraps the HTTP transport of the funbiz client so that
// every request to the bank is timed and counted by its APIService. The
// service is read from the request itself: the /Nonce path, or the
// envelope's APIService member, which is in clear beside the encrypted
// Message. Reading it from a copy of the body (GetBody) leaves the
// request untouched, so the funbiz package needs no hook and every user
// of the client (payments, the back office, readiness) is measured the
// same way. next nil means http.DefaultTransport.
func (m *Metrics) BankTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return bankTransport{m: m, next: next}
}

type bankTransport struct {
	m    *Metrics
	next http.RoundTripper
}

func (t bankTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	service := bankService(req)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.m.bankDuration.WithLabelValues(service).Observe(time.Since(start).Seconds())
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "transport_error"
	case resp.StatusCode != http.StatusOK:
		outcome = "http_error"
	}
	t.m.bankRequests.WithLabelValues(service, outcome).Inc()
	return resp, err
}

// bankService names the APIService of a request to the bank.
func bankService(req *http.Request) string {
	if strings.HasSuffix(req.URL.Path, "/Nonce") {
		return "Nonce"
	}
	if req.GetBody == nil {
		return "other"
	}
	body, err := req.GetBody()
	if err != nil {
		return "other"
	}
	defer body.Close()
	var env struct{ APIService string }
	if json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&env) != nil {
		return "other"
	}
	for _, s := range bankServices {
		if env.APIService == s {
			return s
		}
	}
	return "other"
}

// countsCollector counts jobs by state and orders by status when
// Prometheus scrapes: two GROUP BY queries on indexed columns, cheap at a
// scrape every few seconds, and never stale.
type countsCollector struct {
	db   *storage.DB
	jobs JobCounter
}

var (
	jobsDesc      = prometheus.NewDesc("sinopay_jobs", "Jobs in the queue by River state.", []string{"state"}, nil)
	ordersDesc    = prometheus.NewDesc("sinopay_orders", "Orders by payment status (W, S, F, E, R, V).", []string{"status"}, nil)
	uncapturedDsc = prometheus.NewDesc("sinopay_orders_awaiting_capture", "Paid manual-capture card orders not captured yet.", nil, nil)
	mailDesc      = prometheus.NewDesc("sinopay_mail", "The outbox's messages by status: queued (to send), sent, kept (no SMTP server), failed.", []string{"status"}, nil)
	waitingDesc   = prometheus.NewDesc("sinopay_callbacks_waiting",
		"Callbacks recorded and not confirmed yet, by lane: known (the bank's addresses and the card returns) and other.", []string{"lane"}, nil)
)

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- waitingDesc
	ch <- ordersDesc
	ch <- uncapturedDsc
	ch <- mailDesc
}

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if jobs, err := c.jobs.Counts(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
	} else {
		for _, st := range shop.JobStates {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(jobs[st]), string(st))
		}
	}
	if waiting, err := c.db.WaitingCallbacks(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(waitingDesc, err)
	} else {
		for _, l := range []shop.Lane{shop.LaneKnown, shop.LaneOther} {
			ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(waiting[l]), l.String())
		}
	}
	if mails, err := c.db.MailCounts(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(mailDesc, err)
	} else {
		for _, st := range shop.MailStatuses {
			ch <- prometheus.MustNewConstMetric(mailDesc, prometheus.GaugeValue, float64(mails[st]), string(st))
		}
	}
	orders, err := c.db.OrderCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(ordersDesc, err)
		return
	}
	for _, st := range []string{"W", "S", "F", "E", "R", "V"} {
		ch <- prometheus.MustNewConstMetric(ordersDesc, prometheus.GaugeValue, float64(orders[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(uncapturedDsc, prometheus.GaugeValue, float64(orders[storage.FilterAwaitingCapture]))
}
