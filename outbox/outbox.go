// Package outbox sends the shop's e-mail. A message is queued as a row
// in the transaction of the event that causes it (storage: an order's
// payment event, the bank's acceptance of an order, a password reset), so
// a crash never loses one and an event never queues two. The Outbox takes
// due rows with a lease, writes each in its customer's language, and
// hands it to an SMTP server; with none configured it keeps the message
// for the back office's outbox (/admin/mail), so a developer sees every
// message the shop would send.
//
// A message the SMTP server took is marked sent; one it refused for good
// (a 5xx reply) is marked failed at once; any other failure is tried again
// with a growing backoff (1 minute, doubling, at most an hour between
// tries) for up to three days. One message can reach a mailbox twice only
// if the process dies between the server's "250 OK" and the row being
// marked: it is sent again when its lease ends, with the same Message-ID,
// by which mail clients drop the copy.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	sinomail "github.com/sinopay/sinopay/mail"

	"github.com/sinopay/sinopay/locale"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
)

// Config sets up an Outbox. Zero values take the defaults in brackets.
type Config struct {
	// Sender delivers messages; nil keeps them in the outbox unsent.
	Sender sinomail.Sender
	// From is the sender's address, as "Name <addr>" or addr; required
	// with a Sender.
	From string
	// BaseURL is the shop's public URL, for the links in messages.
	BaseURL string
	// Poll is how often an idle Outbox looks for due messages [1s].
	Poll time.Duration
	// Lease is how long a taken message is its sender's before another
	// may take it [2m]; it bounds one attempt.
	Lease time.Duration
	// GiveUpAfter is how long after it was queued a message is tried
	// [72h].
	GiveUpAfter time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Log receives a line per message sent or failed [none].
	Log *slog.Logger
}

// Outbox sends queued messages until Stop. It is safe for concurrent
// use; several instances of the shop may run one each on one database.
type Outbox struct {
	db   *storage.DB
	cfg  Config
	wake chan struct{}
	host string // the From address's domain, for Message-IDs

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New makes an Outbox on db.
func New(db *storage.DB, cfg Config) (*Outbox, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 72 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.BaseURL == "" {
		return nil, errors.New("outbox: BaseURL is required")
	}
	host := "localhost"
	if cfg.Sender != nil {
		if err := sinomail.CheckAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("outbox: the sender's address: %v", err)
		}
		a, err := mail.ParseAddress(cfg.From)
		if err != nil {
			return nil, fmt.Errorf("outbox: the sender's address %q: %v", cfg.From, err)
		}
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			host = a.Address[at+1:]
		}
	}
	return &Outbox{db: db, cfg: cfg, wake: make(chan struct{}, 1), host: host}, nil
}

// Sending reports whether messages go to an SMTP server, rather than
// staying in the outbox.
func (o *Outbox) Sending() bool { return o.cfg.Sender != nil }

// Start runs the sender in the background until Stop.
func (o *Outbox) Start() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel, o.done = cancel, make(chan struct{})
	go o.run(ctx, o.done)
}

// Stop stops the sender and waits for it, until ctx ends. A message being
// sent is taken again by the next sender when its lease ends.
func (o *Outbox) Stop(ctx context.Context) error {
	o.mu.Lock()
	cancel, done := o.cancel, o.done
	o.cancel = nil
	o.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wake makes the sender look for due messages now rather than at its
// next poll.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(o.cfg.Poll)
	defer tick.Stop()
	failing := false
	for {
		_, err := o.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			o.cfg.Log.Error("outbox: cannot take messages to send; trying again", "err", err)
			failing = true
		case err == nil && failing:
			o.cfg.Log.Info("outbox: taking messages again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-o.wake:
		}
	}
}

// RunOnce takes the messages due now and tries each once; it returns how
// many it took.
func (o *Outbox) RunOnce(ctx context.Context) (int, error) {
	n := 0
	for {
		batch, err := o.db.TakeMails(ctx, 16, o.cfg.Lease, o.cfg.Now())
		if err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, m := range batch {
			o.attempt(ctx, m)
		}
		n += len(batch)
	}
}

// attempt renders m when it has not been, sends or keeps it, and saves
// the outcome with what it says, in one write.
func (o *Outbox) attempt(ctx context.Context, m *shop.Mail) {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Lease)
	defer cancel()
	log := o.cfg.Log.With("mail", m.ID, "kind", string(m.Kind))
	if m.Subject == "" {
		if err := o.render(ctx, m); err != nil {
			if shop.IsCode(err, shop.NotFound) || errors.Is(err, errCannotWrite) {
				// The customer or the order is gone, or the message
				// cannot be written: nothing will change that.
				log.Error("outbox: message cannot be written", "err", err)
				o.save(ctx, m, shop.MailGaveUp, err)
				return
			}
			o.retry(ctx, m, err, log)
			return
		}
	}
	if o.cfg.Sender == nil {
		o.save(ctx, m, shop.MailKept, nil)
		return
	}
	err := o.cfg.Sender.Send(ctx, sinomail.Message{
		ID:   fmt.Sprintf("mail-%d.%d@%s", m.ID, m.CreatedAt.UnixMilli(), o.host),
		From: o.cfg.From, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Date: o.cfg.Now(),
	})
	switch {
	case err == nil:
		log.Info("outbox: sent", "attempt", m.Attempts)
		o.save(ctx, m, shop.MailSent, nil)
	case sinomail.Permanent(err):
		log.Error("outbox: the mail server refused the message for good", "err", err)
		o.save(ctx, m, shop.MailGaveUp, err)
	default:
		o.retry(ctx, m, err, log)
	}
}

var errCannotWrite = errors.New("cannot write the message")

// render writes m in its customer's language.
func (o *Outbox) render(ctx context.Context, m *shop.Mail) error {
	c, err := o.db.CustomerByID(ctx, m.CustomerID)
	if err != nil {
		return err
	}
	var ord *shop.Order
	if m.OrderID != 0 {
		if ord, err = o.db.OrderByID(ctx, m.OrderID); err != nil {
			return err
		}
	}
	lang := c.Lang
	if !locale.Supported(lang) {
		lang = locale.Default
	}
	content, err := Compose(m, lang, c, ord, o.cfg.BaseURL)
	if err != nil {
		return fmt.Errorf("%w: %v", errCannotWrite, err)
	}
	html, err := content.HTML(lang)
	if err != nil {
		return fmt.Errorf("%w: %v", errCannotWrite, err)
	}
	m.To, m.Lang, m.Subject, m.Text, m.HTML = c.Email, lang, content.Subject, content.Text(lang), html
	return nil
}

// save stores the attempt's outcome; a message it cannot store is taken
// again when its lease ends.
func (o *Outbox) save(ctx context.Context, m *shop.Mail, status shop.MailStatus, why error) {
	m.Status, m.LastError = status, ""
	if why != nil {
		m.LastError = why.Error()
	}
	if err := o.db.SaveMail(context.WithoutCancel(ctx), m, o.cfg.Now()); err != nil {
		o.cfg.Log.Error("outbox: cannot save a message's attempt; it is taken again when its lease ends", "mail", m.ID, "status", string(status), "err", err)
	}
}

// retry puts m back with a backoff, or gives up once it is older than
// GiveUpAfter.
func (o *Outbox) retry(ctx context.Context, m *shop.Mail, err error, log *slog.Logger) {
	now := o.cfg.Now()
	if now.Sub(m.CreatedAt) >= o.cfg.GiveUpAfter {
		log.Error("outbox: giving up on a message", "attempts", m.Attempts, "err", err)
		o.save(ctx, m, shop.MailGaveUp, err)
		return
	}
	m.NextAt = now.Add(Backoff(m.Attempts))
	log.Warn("outbox: could not send; trying again", "attempt", m.Attempts, "next", m.NextAt, "err", err)
	o.save(ctx, m, shop.MailQueued, err)
}

// Backoff is the wait after the attempt-th failed attempt: a minute,
// doubling, at most an hour.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 7 {
		return time.Hour
	}
	return min(time.Minute<<(attempt-1), time.Hour)
}
