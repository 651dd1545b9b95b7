package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/funbiz/sandbox/sqlitestore"
	"github.com/sinopay/sinopay/internal/crash"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/mail"
	"github.com/sinopay/sinopay/outbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/web"
	"github.com/sinopay/sinopay/webhook"
)

const serveUsage = `usage: sinopay serve [flags]

Runs the shop. By default it also runs the bank sandbox, keeps its data in
SQLite at ./data/sinopay.db, and applies migrations at start.

Every flag can also be set in the environment or in a .env file (see
.env.example). To use the real bank, set SINOPAY_FUNBIZ_URL, SINOPAY_SHOP_NO,
SINOPAY_HASH and SINOPAY_KEY_ID (or their _FILE forms) and --sandbox-addr off.

flags:
`

func serveFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("addr", "127.0.0.1:8080", "shop listen address (SINOPAY_ADDR)")
	fs.String("sandbox-addr", "127.0.0.1:8081", `embedded bank sandbox address, or "off" (SINOPAY_SANDBOX_ADDR)`)
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	fs.String("sandbox-db", "", `the embedded sandbox's state file, or "memory" (SINOPAY_SANDBOX_DB; default sandbox.db beside a SQLite --db, ./data/sandbox.db with PostgreSQL)`)
	fs.String("base-url", "", "public URL the bank calls back (SINOPAY_BASE_URL; default http://ADDR)")
	fs.Bool("migrate", true, "apply migrations at start; with false, refuse to start when the schema is behind")
	fs.String("log-level", "info", "debug, info, warn or error (SINOPAY_LOG_LEVEL)")
	fs.String("log-format", "", "text or json (SINOPAY_LOG_FORMAT; default text on a terminal, json otherwise)")
	fs.String("card-capture", "auto", `card orders: "auto" charges at once, "manual" authorises and waits for a capture in the back office (SINOPAY_CARD_CAPTURE)`)
	fs.String("metrics-addr", "", `address of its own for GET /metrics and the profiler (/debug/pprof/), or "off"; empty serves metrics on the shop's address, without the profiler (SINOPAY_METRICS_ADDR)`)
	return fs
}

// readServeConfig parses flags and the environment and checks every value,
// naming the setting at fault.
func readServeConfig(args []string, stderr io.Writer) (*serveConfig, error) {
	fs := serveFlags()
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %d", fs.NArg())
	}
	return serveConfigFrom(fs)
}

// serveConfigFrom reads the configuration from the parsed flags fs, the
// environment and .env, and checks every value, naming the setting at
// fault.
func serveConfigFrom(fs *flag.FlagSet) (*serveConfig, error) {
	e, err := loadEnv(".env")
	if err != nil {
		return nil, err
	}
	var c serveConfig
	var errs []error
	get := func(flagName, envName, def string) string {
		v, err := flagOrEnv(fs, flagName, e, envName, def)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	c.Addr = get("addr", "SINOPAY_ADDR", "127.0.0.1:8080")
	if err := checkAddr("--addr (SINOPAY_ADDR)", c.Addr); err != nil {
		errs = append(errs, err)
	}
	c.BankURL = get("", "SINOPAY_FUNBIZ_URL", "")
	sandboxDefault := "127.0.0.1:8081"
	if c.BankURL != "" {
		sandboxDefault = "off"
	}
	c.SandboxAddr = get("sandbox-addr", "SINOPAY_SANDBOX_ADDR", sandboxDefault)
	if c.SandboxAddr == "off" {
		c.SandboxAddr = ""
	} else if err := checkAddr("--sandbox-addr (SINOPAY_SANDBOX_ADDR)", c.SandboxAddr); err != nil {
		errs = append(errs, err)
	}
	c.DB = get("db", "SINOPAY_DATABASE_URL", "./data/sinopay.db")
	c.DBGiven = given(fs, "db", e, "SINOPAY_DATABASE_URL")
	if c.SandboxAddr != "" {
		// The embedded bank keeps its state beside the shop's, so that a
		// restarted development shop and its bank still agree on orders.
		c.SandboxDB = get("sandbox-db", "SINOPAY_SANDBOX_DB", defaultSandboxDB(c.DB))
		if c.SandboxDB == "memory" {
			c.SandboxDB = ""
		}
	}
	c.BaseURL = strings.TrimRight(get("base-url", "SINOPAY_BASE_URL", "http://"+c.Addr), "/")
	if err := checkBaseURL("--base-url (SINOPAY_BASE_URL)", c.BaseURL); err != nil {
		errs = append(errs, err)
	}
	c.Migrate = fs.Lookup("migrate").Value.String() == "true"
	c.LogLevel = get("log-level", "SINOPAY_LOG_LEVEL", "info")
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	c.LogFormat = get("log-format", "SINOPAY_LOG_FORMAT", "")
	if err := checkLogFormat(c.LogFormat); err != nil {
		errs = append(errs, err)
	}
	if c.TrustedProxies, err = web.ParseTrustedProxies(get("", "SINOPAY_TRUSTED_PROXIES", "")); err != nil {
		errs = append(errs, fmt.Errorf("SINOPAY_TRUSTED_PROXIES: want IP addresses or CIDR prefixes separated by commas: %w", err))
	}
	// OpenTelemetry's exporter reads its variables from the process's
	// environment only, so they are not looked for in .env.
	c.OTLPEndpoint, _ = e.lookup("OTEL_EXPORTER_OTLP_ENDPOINT")
	if c.OTLPEndpoint == "" {
		c.OTLPEndpoint, _ = e.lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	}
	if c.SweepEvery, err = parseDuration("SINOPAY_SWEEP_EVERY", get("", "SINOPAY_SWEEP_EVERY", ""), 5*time.Minute); err != nil {
		errs = append(errs, err)
	} else if c.SweepEvery < time.Second {
		// The sweep is unique per period, and the job queue refuses periods
		// under a second: a shorter one would silently never sweep.
		errs = append(errs, fmt.Errorf("SINOPAY_SWEEP_EVERY: want at least 1s, got %s", c.SweepEvery))
	}
	if c.CheckAfter, err = parseDuration("SINOPAY_CHECK_AFTER", get("", "SINOPAY_CHECK_AFTER", ""), 10*time.Minute); err != nil {
		errs = append(errs, err)
	}
	if c.RescueAfter, err = parseDuration("SINOPAY_RESCUE_AFTER", get("", "SINOPAY_RESCUE_AFTER", ""), 2*time.Minute); err != nil {
		errs = append(errs, err)
	}
	if c.ConfirmRate, err = parseRate("SINOPAY_CONFIRM_RATE", get("", "SINOPAY_CONFIRM_RATE", "")); err != nil {
		errs = append(errs, err)
	}
	if c.APIRate, err = parseRate("SINOPAY_API_RATE", get("", "SINOPAY_API_RATE", "")); err != nil {
		errs = append(errs, err)
	}
	if c.ConfirmBurst, err = parseCount("SINOPAY_CONFIRM_BURST", get("", "SINOPAY_CONFIRM_BURST", "")); err != nil {
		errs = append(errs, err)
	}
	if v := get("", "SINOPAY_NOTIFY_FROM", ""); v != "" {
		c.NotifyFromSet = true
		if c.NotifyFrom, err = parseNotifyFrom("SINOPAY_NOTIFY_FROM", v); err != nil {
			errs = append(errs, err)
		}
	}
	if c.NotifyBacklog, err = parseCount("SINOPAY_NOTIFY_BACKLOG", get("", "SINOPAY_NOTIFY_BACKLOG", "")); err != nil {
		errs = append(errs, err)
	}

	if c.BankURL == "" {
		if c.SandboxAddr == "" {
			errs = append(errs, errors.New("SINOPAY_FUNBIZ_URL: required when the embedded sandbox is off (--sandbox-addr off)"))
		}
		c.BankURL = "http://" + c.SandboxAddr + "/QPay.WebAPI/api"
		c.ShopNo, c.Hash = sandbox.DemoShopNo, sandbox.DemoHash()
		c.BankIsSandbox = true
	} else {
		c.ShopNo = get("", "SINOPAY_SHOP_NO", "")
		if c.ShopNo == "" {
			errs = append(errs, errors.New("SINOPAY_SHOP_NO: required with SINOPAY_FUNBIZ_URL"))
		}
		h := get("", "SINOPAY_HASH", "")
		if h == "" {
			errs = append(errs, errors.New("SINOPAY_HASH: required with SINOPAY_FUNBIZ_URL (A1,A2,B1,B2)"))
		} else if c.Hash, err = funbiz.ParseHash(h); err != nil {
			errs = append(errs, fmt.Errorf("SINOPAY_HASH: %w", err))
		}
		c.KeyID = funbiz.Secret(get("", "SINOPAY_KEY_ID", ""))
	}
	if c.ATMMax, err = parseATMMax(get("", "SINOPAY_ATM_MAX", "")); err != nil {
		errs = append(errs, err)
	}
	c.CardCapture = shop.CaptureMode(get("card-capture", "SINOPAY_CARD_CAPTURE", "auto"))
	if !c.CardCapture.Valid() {
		errs = append(errs, fmt.Errorf("--card-capture (SINOPAY_CARD_CAPTURE): want auto or manual, got %q", c.CardCapture))
	}
	c.PrimaryLang = get("", "SINOPAY_PRIMARY_LANG", locale.Default)
	if !locale.Supported(c.PrimaryLang) {
		errs = append(errs, fmt.Errorf("SINOPAY_PRIMARY_LANG: want %s, got %q", strings.Join(locale.Langs, " or "), c.PrimaryLang))
	}
	c.Contact = strings.TrimSpace(get("", "SINOPAY_SHOP_CONTACT", ""))
	if err := checkContact(c.Contact); err != nil {
		errs = append(errs, err)
	}
	if v := get("", "SINOPAY_SMTP_URL", ""); v != "" {
		smtp, err := mail.ParseURL(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SINOPAY_SMTP_URL: %w", err))
		}
		c.SMTP = smtp
	}
	c.MailFrom = get("", "SINOPAY_MAIL_FROM", "")
	if c.SMTP != nil && c.MailFrom == "" {
		errs = append(errs, errors.New("SINOPAY_MAIL_FROM: required with SINOPAY_SMTP_URL, such as 'KummyShop <shop@example.com>'"))
	} else if c.MailFrom != "" {
		if err := mail.CheckAddress(c.MailFrom); err != nil {
			errs = append(errs, fmt.Errorf("SINOPAY_MAIL_FROM: want an address such as 'KummyShop <shop@example.com>': %v", err))
		}
	}
	c.MetricsAddr = get("metrics-addr", "SINOPAY_METRICS_ADDR", "")
	if c.MetricsAddr != "" && c.MetricsAddr != "off" {
		if err := checkAddr("--metrics-addr (SINOPAY_METRICS_ADDR)", c.MetricsAddr); err != nil {
			errs = append(errs, err)
		}
	}
	c.CrashAt, _ = e.lookup(crash.EnvVar)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level (SINOPAY_LOG_LEVEL): want debug, info, warn or error, got %q", s)
	}
	return l, nil
}

// runServe runs the shop until ctx ends, then shuts down gracefully.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := serveFlags()
	if code, ok := parseFlags(ctx, fs, args, serveUsage, stdout, stderr); !ok {
		return code
	}
	c, err := serveConfigFrom(fs)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay serve: configuration:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 2
	}
	level, _ := parseLevel(c.LogLevel)
	log := newLogger(stderr, c.LogFormat, level)
	stopTracing, err := startTracing(ctx, c.OTLPEndpoint)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay serve: %v\n", err)
		return 1
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("sending the last spans", "error", err)
		}
	}()
	if err := serve(ctx, c, log, stdout); err != nil {
		fmt.Fprintf(stderr, "sinopay serve: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, c *serveConfig, log *slog.Logger, stdout io.Writer) error {
	build := readBuildInfo()
	log.Info("starting sinopay serve", "version", build.Version, "revision", build.RevisionLabel(), "time", build.Time, "go", build.Go)
	// Listen first, so a taken port is reported before anything else starts.
	shopLn, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("shop address %s: %w", c.Addr, err)
	}
	defer shopLn.Close()
	var metricsLn net.Listener
	if c.MetricsAddr != "" && c.MetricsAddr != "off" {
		if metricsLn, err = net.Listen("tcp", c.MetricsAddr); err != nil {
			return fmt.Errorf("metrics address %s: %w", c.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}

	var sb *sandbox.Sandbox
	var sbSrv *http.Server
	if c.SandboxAddr != "" {
		sbLn, err := net.Listen("tcp", c.SandboxAddr)
		if err != nil {
			return fmt.Errorf("sandbox address %s: %w", c.SandboxAddr, err)
		}
		var store sandbox.Store
		if c.SandboxDB != "" {
			if err := os.MkdirAll(filepath.Dir(c.SandboxDB), 0o755); err != nil {
				sbLn.Close()
				return fmt.Errorf("sandbox state %s: %w", c.SandboxDB, err)
			}
			if store, err = sqlitestore.Open(c.SandboxDB); err != nil {
				sbLn.Close()
				return fmt.Errorf("sandbox: %w", err)
			}
		}
		// The embedded bank notifies from an address of its own, which
		// the shop knows as the bank's unless told the bank's addresses.
		sbOpts := sandbox.Options{BaseURL: "http://" + c.SandboxAddr, Store: store, Logger: log.With("component", "sandbox")}
		if canSendFrom(embeddedNotifyFrom) {
			sbOpts.HTTPClient = notifyClientFrom(embeddedNotifyFrom)
			if !c.NotifyFromSet {
				c.NotifyFrom = []netip.Prefix{netip.PrefixFrom(embeddedNotifyFrom, 32)}
			}
		} else if !c.NotifyFromSet {
			log.Info("the embedded sandbox cannot notify from an address of its own; its notifications wait with any other sender's",
				"address", embeddedNotifyFrom)
		}
		sb, err = sandbox.New(sbOpts)
		if err != nil {
			sbLn.Close()
			return fmt.Errorf("sandbox: %w", err)
		}
		defer sb.Close()
		sbSrv = &http.Server{Handler: withMetrics(sb, sandboxMetrics(true)), ReadHeaderTimeout: 10 * time.Second}
		go sbSrv.Serve(sbLn)
	}

	db, err := storage.Open(ctx, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	db.Log = log.With("component", "storage")
	if db.Created && c.DBGiven {
		// A database named on purpose that is not there is most likely a
		// wrong path, or a file that was lost: say so before the shop
		// takes payments into an empty one. The default path is created
		// silently, for a first run.
		fmt.Fprintf(stdout, "creating a new database at %s: there was no file there\n", db.Where)
	}
	if c.Migrate {
		if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
			return err
		}
	} else if pending, err := db.Pending(ctx, jobqueue.Schema); err != nil {
		return err
	} else if pending {
		return fmt.Errorf("the schema of %s is behind and --migrate=false: run `sinopay migrate --db …` first", db.Where)
	}
	if err := db.SeedProducts(ctx, storage.SeedProducts); err != nil {
		return err
	}

	metrics := web.NewMetrics(db, jobqueue.Counter{DB: db}, log.With("component", "metrics"))
	metrics.SetBuildInfo(build.Version, build.RevisionLabel(), build.Go)
	// Every request to the bank is timed and counted by its APIService,
	// and is a span when tracing is on.
	bankHTTP := funbiz.DefaultHTTPClient()
	bankHTTP.Transport = web.BankTracing(metrics.BankTransport(bankHTTP.Transport))
	bank, err := funbiz.NewClient(funbiz.Config{BaseURL: c.BankURL, ShopNo: c.ShopNo, Hash: c.Hash, KeyID: c.KeyID,
		HTTPClient: bankHTTP, Logger: log.With("component", "funbiz")})
	if err != nil {
		return fmt.Errorf("bank client: %w", err)
	}
	// A malformed crash point arms nothing: a typo in a test setting must
	// not stop, or later kill, a shop.
	hooks, err := crash.Parse(c.CrashAt)
	if err != nil {
		log.Warn("no crash point armed", "error", err)
	} else if hooks.Armed() {
		log.Warn("crash point armed: the shop kills itself there (fault tests only)", "at", hooks.String())
	}
	// Beside a real bank, the embedded sandbox (when it runs) is the test
	// bank: test API keys' payments are made there, so a merchant tries
	// the API on the production instance without moving money. A callback
	// names its bank by ShopNo alone, so it needs a ShopNo of its own.
	var testBank *funbiz.Client
	if !c.BankIsSandbox && c.SandboxAddr != "" {
		if c.ShopNo == sandbox.DemoShopNo {
			log.Warn("the embedded sandbox is not a test bank for test API keys: the shop's bank has its ShopNo", "shop_no", c.ShopNo)
		} else if testBank, err = funbiz.NewClient(funbiz.Config{BaseURL: "http://" + c.SandboxAddr + "/QPay.WebAPI/api",
			ShopNo: sandbox.DemoShopNo, Hash: sandbox.DemoHash(), HTTPClient: bankHTTP, Logger: log.With("component", "funbiz", "bank", "test")}); err != nil {
			return fmt.Errorf("test bank client: %w", err)
		}
	}
	rec := reconcile.New(db, bank, reconcile.Config{}, log.With("component", "reconcile"))
	pay, err := payment.New(db, bank, payment.Config{BaseURL: c.BaseURL, SweepEvery: c.SweepEvery, CheckAfter: c.CheckAfter,
		RescueAfter: c.RescueAfter, ConfirmRate: c.ConfirmRate, ConfirmBurst: c.ConfirmBurst, CardCapture: c.CardCapture,
		OtherBacklog: c.NotifyBacklog,
		ATMMax:       c.ATMMax, NameLang: c.PrimaryLang,
		Hooks: hooks, OtherJobs: rec.Jobs(), TestBank: testBank}, log.With("component", "payment"))
	if err != nil {
		return err
	}
	obCfg := outbox.Config{From: c.MailFrom, BaseURL: c.BaseURL, Log: log.With("component", "mail")}
	if c.SMTP != nil {
		obCfg.Sender = c.SMTP
	}
	mailer, err := outbox.New(db, obCfg)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{DB: db, Pay: pay, Jobs: pay.Queue(), Recon: rec, Log: log.With("component", "web"), BaseURL: c.BaseURL,
		Metrics: metrics, ServeMetrics: c.MetricsAddr == "", Hooks: hooks, NotifyFrom: c.NotifyFrom,
		TrustedProxies: c.TrustedProxies, Contact: c.Contact, Outbox: mailer, APIMode: apiMode(c.BankIsSandbox),
		APIRate: c.APIRate})
	if err != nil {
		return err
	}
	// Jobs run on their own context: on shutdown they are stopped after the
	// web server, so a request that recorded a callback still has its job.
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	if err := pay.Start(jobsCtx); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
	// The banner comes before the first request is answered, so whoever
	// waits for /healthz finds it printed.
	fmt.Fprintf(stdout, "shop:    %s  (database %s)\n", c.BaseURL, db.Where)
	state := "state in memory"
	if c.SandboxDB != "" {
		state = "state in " + c.SandboxDB
	}
	switch {
	case c.BankIsSandbox:
		fmt.Fprintf(stdout, "sandbox: http://%s/_sandbox/  (bank API %s, demo shop %s, %s)\n", c.SandboxAddr, c.BankURL, c.ShopNo, state)
	case testBank != nil:
		fmt.Fprintf(stdout, "bank:    %s  (shop %s)\n", c.BankURL, c.ShopNo)
		fmt.Fprintf(stdout, "sandbox: http://%s/_sandbox/  (the test bank of test API keys, demo shop %s, %s)\n", c.SandboxAddr, testBank.ShopNo(), state)
	case c.SandboxAddr != "":
		fmt.Fprintf(stdout, "bank:    %s  (shop %s)\n", c.BankURL, c.ShopNo)
		fmt.Fprintf(stdout, "sandbox: http://%s/_sandbox/  (%s)\n", c.SandboxAddr, state)
	default:
		fmt.Fprintf(stdout, "bank:    %s  (shop %s)\n", c.BankURL, c.ShopNo)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(shopLn) }()
	var metricsSrv *http.Server
	if metricsLn != nil {
		metricsSrv = &http.Server{Handler: privateMux(metrics.Handler()), ReadHeaderTimeout: 10 * time.Second}
		go metricsSrv.Serve(metricsLn)
	}
	go cleanSessions(jobsCtx, db, log)
	mailer.Start()
	// The API's events to merchants' webhook endpoints: stopped with the
	// jobs; a delivery cut short is taken again when its lease ends.
	hooksCtx, stopHooks := context.WithCancel(jobsCtx)
	defer stopHooks()
	hooksDone := make(chan struct{})
	go func() {
		defer close(hooksDone)
		webhook.New(webhook.Config{DB: db, BaseURL: c.BaseURL, Log: log.With("component", "webhook")}).Run(hooksCtx)
	}()
	if c.SMTP != nil {
		log.Info("e-mail goes out through SMTP", "server", c.SMTP.String(), "from", c.MailFrom)
	} else {
		log.Info("no SMTP server (SINOPAY_SMTP_URL): e-mail is kept in the back office's outbox, /admin/mail")
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("shop server: %w", err)
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutCtx); err != nil {
		log.Warn("shop server shutdown", "error", err)
	}
	if err := mailer.Stop(shutCtx); err != nil {
		log.Warn("mail sender shutdown", "error", err)
	}
	stopHooks()
	select {
	case <-hooksDone:
	case <-shutCtx.Done():
	}
	if err := pay.Stop(shutCtx); err != nil {
		log.Warn("job queue shutdown", "error", err)
	}
	if sbSrv != nil {
		sbSrv.Shutdown(shutCtx)
	}
	if metricsSrv != nil {
		metricsSrv.Shutdown(shutCtx)
	}
	return nil
}

const migrateUsage = `usage: sinopay migrate [flags]

Applies the database migrations of the shop and its job queue, and exits.
Run it as a release step, before new instances start; serve also applies
them at start unless --migrate=false. The database is --db or
SINOPAY_DATABASE_URL (or .env).

flags:
`

// runMigrate applies migrations as a deploy step.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.String("db", "./data/sinopay.db", "SQLite file or postgres:// URL (SINOPAY_DATABASE_URL)")
	// Accepted, and unused, so that migrate takes the flags serve is
	// given.
	fs.String("sandbox-db", "", `the embedded sandbox's state file, or "memory" (SINOPAY_SANDBOX_DB; default sandbox.db beside a SQLite --db, ./data/sandbox.db with PostgreSQL)`)
	if code, ok := parseFlags(ctx, fs, args, migrateUsage, stdout, stderr); !ok {
		return code
	}
	e, err := loadEnv(".env")
	if err != nil {
		fmt.Fprintf(stderr, "sinopay migrate: %v\n", err)
		return 2
	}
	target, err := flagOrEnv(fs, "db", e, "SINOPAY_DATABASE_URL", "./data/sinopay.db")
	if err != nil {
		fmt.Fprintf(stderr, "sinopay migrate: %v\n", err)
		return 2
	}
	db, err := storage.Open(ctx, target)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay migrate: %v\n", err)
		return 1
	}
	defer db.Close()
	if err := db.Migrate(ctx, jobqueue.Schema); err != nil {
		fmt.Fprintf(stderr, "sinopay migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "migrations applied to %s\n", db.Where)
	return 0
}

// cleanSessions deletes expired sessions hourly. Every instance may run it;
// the delete is idempotent.
func cleanSessions(ctx context.Context, db *storage.DB, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := db.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("deleting expired sessions", "error", err)
		} else if n > 0 {
			log.Info("deleted expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// apiMode is the mode of the API keys an instance's own bank takes
// payments for: test keys' when it is the embedded sandbox, live keys'
// when it is a bank of SINOPAY_FUNBIZ_URL. Beside a real bank, a running
// embedded sandbox takes test keys' payments too (payment.Config.TestBank).
func apiMode(sandboxBank bool) shop.APIMode {
	if sandboxBank {
		return shop.APITest
	}
	return shop.APILive
}
