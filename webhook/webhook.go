// Package webhook sends the JSON API's events to the webhook endpoints of
// the API key that made each payment: signed, at least once, in order per
// payment and endpoint, retried with backoff for three days.
//
// Each delivery is a row inserted in the transaction of the order's
// change (storage.queueWebhook), so an event is never lost on a crash;
// the sender leases due rows, posts them, and records each answer.
//
// A request carries Sinopay-Signature: t=UNIX,v1=HEX, where v1 is the
// HMAC-SHA256, keyed by the key's signing secret (whsec_…), of the
// decimal t, a full stop, and the body. Receivers check v1 in constant
// time and refuse a t older than a few minutes (Verify does both).
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Config configures a Sender.
type Config struct {
	DB      *storage.DB
	BaseURL string // the shop's public URL, for the payments' hosted pages
	Log     *slog.Logger
	Now     func() time.Time
	// Timeout bounds one request (10 s when 0).
	Timeout time.Duration
	// Lease is how long a taken delivery is left to its sender before
	// another may take it (2 min when 0).
	Lease time.Duration
	// GiveUpAfter ends a delivery that has not reached its endpoint (3
	// days when 0).
	GiveUpAfter time.Duration
	// Poll is how often the sender looks for due deliveries (1 s when 0).
	Poll time.Duration
	// AllowPrivate lets live keys' events go to private addresses: for
	// tests only.
	AllowPrivate bool
}

// Sender sends due deliveries.
type Sender struct {
	cfg        Config
	testClient *http.Client // test keys: any address
	liveClient *http.Client // live keys: public addresses only
	wake       chan struct{}
}

// New makes a Sender.
func New(cfg Config) *Sender {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Lease == 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.GiveUpAfter == 0 {
		cfg.GiveUpAfter = 72 * time.Hour
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	live := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		live.Control = publicOnly
	}
	return &Sender{
		cfg:        cfg,
		testClient: &http.Client{Timeout: cfg.Timeout, CheckRedirect: noRedirect},
		liveClient: &http.Client{Timeout: cfg.Timeout, CheckRedirect: noRedirect,
			// No proxy: the address checked is the one connected to.
			Transport: &http.Transport{DialContext: live.DialContext, TLSHandshakeTimeout: cfg.Timeout, MaxIdleConnsPerHost: 4}},
		wake: make(chan struct{}, 1),
	}
}

// errPrivate refuses a connection to an address a live key's events
// must not reach.
var errPrivate = errors.New("the endpoint's address is private, loopback or link-local: a live key's events go to public addresses only")

// publicOnly is the live dialer's check of the address it is about to
// connect to, after the name was resolved: so a name that resolves to
// this machine or its network is refused too.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !shop.PublicAddr(ip) {
		return errPrivate
	}
	return nil
}

// Wake makes the sender look for due deliveries now.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("webhook: cannot take deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// RunOnce writes the bodies of new events, then sends every due
// delivery, and returns how many it tried.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	if err := s.writeBodies(ctx); err != nil {
		return 0, err
	}
	n := 0
	for {
		batch, err := s.cfg.DB.TakeDeliveries(ctx, 16, s.cfg.Lease, s.cfg.Now())
		if err != nil || len(batch) == 0 {
			return n, err
		}
		for _, d := range batch {
			s.attempt(ctx, d)
		}
		n += len(batch)
	}
}

// writeBodies writes the body of every event that has none yet, from
// its payment as it is now: within a poll of the change, so that an
// event whose delivery waits behind an earlier one (or whose key has no
// endpoint) still tells of the payment as the change left it.
func (s *Sender) writeBodies(ctx context.Context) error {
	for {
		evs, err := s.cfg.DB.UnwrittenEvents(ctx, 100)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, e := range evs {
			if _, err := Body(ctx, s.cfg.DB, s.cfg.BaseURL, s.cfg.Now(), e.RowID, e.ID, e.Type, e.PaymentID, e.CreatedAt); err != nil {
				return err
			}
		}
	}
}

// maxResponse bounds what is kept of an endpoint's answer.
const maxResponse = 1024

func (s *Sender) attempt(ctx context.Context, d *shop.WebhookDelivery) {
	log := s.cfg.Log.With("delivery", d.ID, "event", d.EventID, "type", d.Type)
	k, err := s.cfg.DB.APIKey(ctx, d.KeyID)
	if err == nil && d.Body == "" {
		d.Body, err = s.render(ctx, d)
	}
	if err != nil {
		s.retry(ctx, d, 0, err.Error(), log)
		return
	}
	client := s.testClient
	if k.Mode == shop.APILive {
		client = s.liveClient
	}
	now := s.cfg.Now()
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, d.URL, strings.NewReader(d.Body))
	if err != nil {
		s.end(ctx, d, shop.DeliveryFailed, 0, "the endpoint's URL: "+err.Error(), log)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sinopay-webhook/1")
	req.Header.Set("Sinopay-Event-Id", d.EventID)
	req.Header.Set("Sinopay-Signature", Sign(k.WebhookSecret, now.Unix(), []byte(d.Body)))
	resp, err := client.Do(req)
	if err != nil {
		s.retry(ctx, d, 0, err.Error(), log)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.Response = strings.ToValidUTF8(string(body), "?")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		s.end(ctx, d, shop.DeliveryDelivered, resp.StatusCode, "", log)
		return
	}
	s.retry(ctx, d, resp.StatusCode, "HTTP "+strconv.Itoa(resp.StatusCode), log)
}

// render writes the event's JSON, once for all its deliveries.
func (s *Sender) render(ctx context.Context, d *shop.WebhookDelivery) (string, error) {
	return Body(ctx, s.cfg.DB, s.cfg.BaseURL, s.cfg.Now(), d.EventRowID, d.EventID, d.Type, d.PaymentID, d.CreatedAt)
}

// Body is an event's JSON: written from its payment as it is now the
// first time it is asked for (by the sender within a poll of the change,
// or by the API's list of events), and kept, so that every endpoint,
// every attempt and the list give the same.
func Body(ctx context.Context, db *storage.DB, baseURL string, now time.Time, rowID int64, id, typ, paymentID string, created time.Time) (string, error) {
	p, err := db.APIPaymentByID(ctx, paymentID)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(Event{ID: id, Object: "event", Type: typ, Created: created.Unix(),
		Data: EventData{Payment: shop.ViewAPIPayment(p, baseURL, now)}})
	if err != nil {
		return "", err
	}
	return db.SetEventBody(ctx, rowID, string(b))
}

// Event is what a webhook request's body holds.
type Event struct {
	ID      string    `json:"id"`
	Object  string    `json:"object"`
	Type    string    `json:"type"`
	Created int64     `json:"created"`
	Data    EventData `json:"data"`
}

// EventData is an event's subject.
type EventData struct {
	Payment shop.APIPaymentView `json:"payment"`
}

func (s *Sender) end(ctx context.Context, d *shop.WebhookDelivery, status string, code int, why string, log *slog.Logger) {
	d.Status, d.LastStatus, d.LastError = status, code, why
	if status == shop.DeliveryDelivered {
		log.Info("webhook: delivered", "status", code, "attempt", d.Attempts)
	} else {
		log.Error("webhook: given up", "why", why, "attempts", d.Attempts)
	}
	s.save(ctx, d)
}

// retry puts d back with a backoff, or gives up once it is older than
// GiveUpAfter.
func (s *Sender) retry(ctx context.Context, d *shop.WebhookDelivery, code int, why string, log *slog.Logger) {
	now := s.cfg.Now()
	if now.Sub(d.CreatedAt) >= s.cfg.GiveUpAfter {
		s.end(ctx, d, shop.DeliveryFailed, code, why, log)
		return
	}
	d.Status, d.LastStatus, d.LastError, d.NextAt = shop.DeliveryQueued, code, why, now.Add(Backoff(d.Attempts))
	log.Warn("webhook: not delivered; trying again", "attempt", d.Attempts, "next", d.NextAt, "why", why)
	s.save(ctx, d)
}

func (s *Sender) save(ctx context.Context, d *shop.WebhookDelivery) {
	if err := s.cfg.DB.SaveDelivery(context.WithoutCancel(ctx), d, s.cfg.Now()); err != nil {
		s.cfg.Log.Error("webhook: cannot save a delivery's attempt; it is taken again when its lease ends", "delivery", d.ID, "err", err)
	}
}

// Backoff is the wait after the attempt-th failed attempt: 30 s,
// doubling, at most an hour.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 8 {
		return time.Hour
	}
	return min(30*time.Second<<(attempt-1), time.Hour)
}

// Sign is the Sinopay-Signature header of body sent at unix time t.
func Sign(secret string, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a Sinopay-Signature header against body: a v1 that is
// the body's HMAC with secret, and a t within tolerance of now.
func Verify(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhook: the signature header has no t or no v1")
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: the signature's time is %s away from now", d.Round(time.Second))
	}
	want := Sign(secret, t, body)
	want = want[strings.Index(want, "v1=")+3:]
	for _, sig := range sigs {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook: no signature matches")
}
