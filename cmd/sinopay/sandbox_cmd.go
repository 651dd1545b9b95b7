package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/funbiz/sandbox/sqlitestore"
)

// merchantFlags collects repeated --merchant SHOPNO:A1:A2:B1:B2 values.
// A bad value is kept as err instead of being returned from Set, because
// the flag package would print the whole value, hash values and all.
type merchantFlags struct {
	list []sandbox.Merchant
	err  error
}

func (m *merchantFlags) String() string {
	var shops []string
	for _, x := range m.list {
		shops = append(shops, x.ShopNo)
	}
	return strings.Join(shops, ",")
}

func (m *merchantFlags) Set(v string) error {
	if m.err != nil {
		return nil
	}
	shop, hash, _ := strings.Cut(v, ":")
	parts := strings.Split(hash, ":")
	if len(parts) != 4 {
		m.err = fmt.Errorf("--merchant %s: want SHOPNO:A1:A2:B1:B2 (a shop number and four 16-hex-digit hash values)", shop)
		return nil
	}
	h, err := funbiz.ParseHash(strings.Join(parts, ","))
	if err != nil {
		// The error names the field, never its value.
		m.err = fmt.Errorf("--merchant %s: %v", shop, err)
		return nil
	}
	m.list = append(m.list, sandbox.Merchant{ShopNo: shop, Hash: h})
	return nil
}

const sandboxUsage = `usage: sinopay sandbox [flags]

Runs the offline simulator of Bank SinoPac's 豐收款 API: the API under
/QPay.WebAPI/api, the card and ATM pages, a dashboard and a control API
under /_sandbox/. The demo merchant NA0249_001 always exists.

flags:
`

func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen `address` (port 0 picks a free port)")
	var merchants merchantFlags
	fs.Var(&merchants, "merchant", "add a merchant, `SHOPNO:A1:A2:B1:B2` (repeatable)")
	keyID := fs.String("key-id", "", "require this X-KeyID header on /Nonce and /Order")
	db := fs.String("db", "", "keep the state in this SQLite `file` (default: in memory)")
	notifyInterval := fs.Duration("notify-interval", sandbox.DefaultNotifyInterval, "wait between notification attempts")
	notifyAttempts := fs.Int("notify-attempts", sandbox.DefaultNotifyAttempts, "failed notification attempts before giving up")
	atmAutoPay := fs.Duration("atm-autopay", 0, "pay ATM orders this long after creation, except OrderNo ending in 9 (0: off)")
	baseURL := fs.String("base-url", "", "public `URL` of the sandbox for the links it hands out (default http://ADDR)")
	notifyFrom := fs.String("notify-from", "", "send notifications to loopback shops from this local `address` (e.g. 127.0.0.2, for a shop's SINOPAY_NOTIFY_FROM)")
	logFormat := fs.String("log-format", "", "text or json (SINOPAY_LOG_FORMAT; default text on a terminal, json otherwise)")
	metricsAddr := fs.String("metrics-addr", "", "`address` of its own for GET /metrics and the profiler (/debug/pprof/); empty serves /metrics on --addr, without the profiler")
	if code, ok := parseFlags(ctx, fs, args, sandboxUsage, stdout, stderr); !ok {
		return code
	}
	if merchants.err != nil {
		return usageError(stderr, "sinopay sandbox", merchants.err.Error())
	}
	if !isFlagSet(fs, "log-format") {
		*logFormat = os.Getenv("SINOPAY_LOG_FORMAT")
	}
	if err := checkLogFormat(*logFormat); err != nil {
		fmt.Fprintf(stderr, "sinopay sandbox: %v\n", err)
		return 2
	}
	if *notifyInterval <= 0 || *notifyAttempts <= 0 || *atmAutoPay < 0 {
		return usageError(stderr, "sinopay sandbox", "--notify-interval and --notify-attempts must be positive, --atm-autopay not negative")
	}

	// Listen first: the port is taken (or the error shown) before any
	// other work, and connections queue while the sandbox gets ready.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "sinopay sandbox: %v\n", err)
		return 1
	}
	var metricsLn net.Listener
	if *metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", *metricsAddr); err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "sinopay sandbox: metrics address: %v\n", err)
			return 1
		}
		defer metricsLn.Close()
	}
	root := "http://" + ln.Addr().String()
	public := strings.TrimRight(*baseURL, "/")
	if public == "" {
		public = root
	}
	log := newLogger(stderr, *logFormat, slog.LevelInfo)
	var store sandbox.Store
	if *db != "" {
		if store, err = sqlitestore.Open(*db); err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "sinopay sandbox: %v\n", err)
			return 1
		}
	}
	opts := sandbox.Options{
		Merchants: merchants.list, KeyID: *keyID, NotifyInterval: *notifyInterval, NotifyAttempts: *notifyAttempts,
		ATMAutoPay: *atmAutoPay, Store: store, BaseURL: public, Logger: log,
	}
	if *notifyFrom != "" {
		from, err := netip.ParseAddr(*notifyFrom)
		if err != nil || !canSendFrom(from) {
			ln.Close()
			fmt.Fprintf(stderr, "sinopay sandbox: --notify-from %s: not an address of this machine\n", *notifyFrom)
			return 2
		}
		opts.HTTPClient = notifyClientFrom(from)
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "sinopay sandbox: %v\n", err)
		return 1
	}
	var handler http.Handler = sb
	metrics := sandboxMetrics(false)
	if metricsLn == nil {
		handler = withMetrics(sb, metrics)
	} else {
		msrv := &http.Server{Handler: privateMux(metrics), ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(metricsLn)
		defer msrv.Close()
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	printBanner(stdout, root, public, &merchants, *keyID != "", *db, *notifyInterval, *notifyAttempts, *atmAutoPay)
	if metricsLn != nil {
		fmt.Fprintf(stdout, "  Metrics:       http://%s/metrics (profiler at /debug/pprof/)\n", metricsLn.Addr())
	} else {
		fmt.Fprintf(stdout, "  Metrics:       %s/metrics\n", root)
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "sinopay sandbox: %v\n", err)
		sb.Close()
		return 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Close the sandbox first: it releases requests held by the "hang"
	// chaos, which Shutdown would otherwise wait for.
	closeErr := sb.Close()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if closeErr != nil {
		fmt.Fprintf(stderr, "sinopay sandbox: %v\n", closeErr)
		return 1
	}
	fmt.Fprintln(stdout, "sinopay sandbox: stopped")
	return 0
}

func printBanner(w io.Writer, root, public string, merchants *merchantFlags, keyID bool, db string, interval time.Duration, attempts int, autoPay time.Duration) {
	h := sandbox.DemoHash()
	fmt.Fprintf(w, "sinopay sandbox: SANDBOX / 測試環境, listening on %s\n", root)
	fmt.Fprintf(w, "  API base URL:  %s%s\n", root, sandbox.APIPrefix)
	fmt.Fprintf(w, "  Dashboard:     %s/_sandbox/\n", root)
	if public != root {
		fmt.Fprintf(w, "  Public URL:    %s (used in card and ATM links)\n", public)
	}
	// The demo values are the bank's published sandbox credentials.
	fmt.Fprintf(w, "  Demo merchant (public demo credentials):\n")
	fmt.Fprintf(w, "    ShopNo %s\n    A1 %s\n    A2 %s\n    B1 %s\n    B2 %s\n", sandbox.DemoShopNo, string(h.A1), string(h.A2), string(h.B1), string(h.B2))
	if len(merchants.list) > 0 {
		fmt.Fprintf(w, "  Other merchants: %s (hash values as given, not shown)\n", merchants.String())
	}
	if keyID {
		fmt.Fprintf(w, "  X-KeyID:       required (the --key-id value)\n")
	}
	state := "in memory"
	if db != "" {
		state = "SQLite " + db
	}
	ap := "off"
	if autoPay > 0 {
		ap = autoPay.String()
	}
	fmt.Fprintf(w, "  State: %s; notifications every %s, %d attempts; ATM auto-pay: %s\n", state, interval, attempts, ap)
}
