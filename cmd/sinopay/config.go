package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/mail"
	"github.com/sinopay/sinopay/shop"
)

// Settings come from flags, then the environment, then a .env file in the
// working folder, then defaults. Secrets may also come from files named by
// the variable with _FILE appended (SINOPAY_HASH_FILE…), for secret
// stores that mount files.

// env reads configuration variables: the process environment first, then
// the .env file.
type env struct {
	dotenv map[string]string
	lookup func(string) (string, bool)
}

func loadEnv(path string) (*env, error) {
	e := &env{dotenv: map[string]string{}, lookup: os.LookupEnv}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	if err := parseDotenv(f, e.dotenv); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// parseDotenv reads KEY=VALUE lines; blank lines and # comments are
// skipped, and a value may be wrapped in single or double quotes.
func parseDotenv(r io.Reader, into map[string]string) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		into[k] = v
	}
	return sc.Err()
}

// get returns a variable's value: environment, then .env, then the file
// named by NAME_FILE.
func (e *env) get(name string) (string, error) {
	if v, ok := e.lookup(name); ok {
		return v, nil
	}
	if v, ok := e.dotenv[name]; ok {
		return v, nil
	}
	file, ok := e.lookup(name + "_FILE")
	if !ok {
		file, ok = e.dotenv[name+"_FILE"]
	}
	if ok && file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// flagOrEnv returns the flag's value when it was set on the command line,
// otherwise the variable's, otherwise def.
func flagOrEnv(fs *flag.FlagSet, flagName string, e *env, envName, def string) (string, error) {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == flagName {
			set = true
		}
	})
	if set {
		return fs.Lookup(flagName).Value.String(), nil
	}
	v, err := e.get(envName)
	if err != nil || v != "" {
		return v, err
	}
	return def, nil
}

// given reports whether a setting was made on the command line or in the
// environment, rather than left to its default.
func given(fs *flag.FlagSet, flagName string, e *env, envName string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == flagName })
	if set {
		return true
	}
	v, err := e.get(envName)
	return err == nil && v != ""
}

// serveConfig is everything `sinopay serve` needs, validated.
type serveConfig struct {
	Addr        string
	SandboxAddr string // "" when the embedded sandbox is off
	SandboxDB   string // the embedded sandbox's state file; "" in memory
	DB          string
	BaseURL     string
	Migrate     bool
	LogLevel    string
	// LogFormat is text, json, or "" for text on a terminal and JSON
	// otherwise.
	LogFormat string
	// TrustedProxies are the peers whose X-Forwarded-For, X-Request-ID
	// and traceparent are believed (SINOPAY_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// OTLPEndpoint turns tracing on (OTEL_EXPORTER_OTLP_ENDPOINT).
	OTLPEndpoint string

	// DBGiven tells that DB was set (--db or SINOPAY_DATABASE_URL), not
	// left to the default.
	DBGiven bool

	// The bank: the embedded sandbox when BankURL is empty.
	BankURL string
	// BankIsSandbox tells that the bank is the embedded sandbox: the API
	// then takes test keys' payments, otherwise live keys'.
	BankIsSandbox bool
	ShopNo        string
	Hash          funbiz.Hash
	KeyID         funbiz.Secret

	SweepEvery  time.Duration
	CheckAfter  time.Duration
	RescueAfter time.Duration
	// ConfirmRate is OrderPayQuery calls per second for confirmations (0:
	// the default, negative: no limit); ConfirmBurst how many at once.
	ConfirmRate  float64
	ConfirmBurst int
	// APIRate is the JSON API's requests per second per key (0: the
	// default, negative: no limit).
	APIRate float64
	// NotifyFrom are the bank's addresses (SINOPAY_NOTIFY_FROM), whose
	// notifications are confirmed first; NotifyFromSet tells that it was
	// set, so the embedded sandbox's address is not added to it.
	NotifyFrom    []netip.Prefix
	NotifyFromSet bool
	// NotifyBacklog bounds how many notifications of other senders wait.
	NotifyBacklog int

	// ATMMax is the shop's own limit on an ATM order; 0 is none.
	ATMMax shop.Money

	// CardCapture is how card orders are charged (payment.Config).
	CardCapture shop.CaptureMode
	// PrimaryLang is the shop's primary language: products are named in
	// it to the bank (payment.Config.NameLang).
	PrimaryLang string
	// Contact is how customers reach the shop, shown in every page's
	// footer; "" shows none.
	Contact string
	// SMTP is the server the shop's e-mail goes through
	// (SINOPAY_SMTP_URL); nil keeps it in the back office's outbox.
	SMTP *mail.SMTP
	// MailFrom is the sender of the shop's e-mail (SINOPAY_MAIL_FROM).
	MailFrom string
	// MetricsAddr is where GET /metrics is served: "" on the shop's own
	// address, "off" nowhere, else an address of its own.
	MetricsAddr string

	// CrashAt is SINOPAY_CRASH_AT, a crash point for fault tests (see
	// internal/crash), read from the process's environment only.
	CrashAt string
}

func checkAddr(name, v string) error {
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return fmt.Errorf("%s: want host:port, got %q", name, v)
	}
	return nil
}

func checkBaseURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("%s: want the shop's public root URL like https://shop.example.com, got %q", name, v)
	}
	return nil
}

// parseRate reads a rate per second: "" for the default (0), "off" for no
// limit (-1), or a positive number.
func parseRate(name, v string) (float64, error) {
	switch v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("%s: want a positive number per second, or off, got %q", name, v)
	}
	return r, nil
}

// parseCount reads a positive whole number; "" is the default (0).
func parseCount(name, v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: want a positive whole number, got %q", name, v)
	}
	return n, nil
}

func parseDuration(name, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: want a positive duration like 5m, got %q", name, v)
	}
	return d, nil
}

// defaultSandboxDB is where the embedded sandbox keeps its state by
// default: sandbox.db beside the shop's SQLite file, or in ./data when
// the shop is on PostgreSQL.
func defaultSandboxDB(db string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return filepath.Join("data", "sandbox.db")
	}
	return filepath.Join(filepath.Dir(strings.TrimPrefix(db, "file:")), "sandbox.db")
}

// parseATMMax reads SINOPAY_ATM_MAX: the shop's own limit on an ATM
// order in whole NT$, or empty or "none" for no limit (the default: the
// bank has none that is known).
func parseATMMax(v string) (shop.Money, error) {
	if v == "" || v == "none" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > 99_999_999 {
		return 0, fmt.Errorf("SINOPAY_ATM_MAX: want a whole NT$ amount from 1 to 99999999, or none; got %q", v)
	}
	return shop.Money(n), nil
}

// checkContact checks SINOPAY_SHOP_CONTACT: one line of text for the
// pages' footer (an e-mail address, a telephone number, opening hours),
// at most 200 characters.
func checkContact(v string) error {
	if utf8.RuneCountInString(v) > 200 {
		return errors.New("SINOPAY_SHOP_CONTACT: at most 200 characters")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return errors.New("SINOPAY_SHOP_CONTACT: one line of text, without control characters")
		}
	}
	return nil
}
