package outbox_test

import (
	"context"
	"fmt"
	"mime"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/smtptest"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/mail"
	"github.com/sinopay/sinopay/outbox"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// paidOrder makes a customer who reads English and a card order the bank
// has and that is paid: two messages queued.
func paidOrder(t *testing.T, db *storage.DB) *shop.Order {
	t.Helper()
	ctx := context.Background()
	id, err := db.CreateCustomer(ctx, "buyer@example.com", "hash", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetCustomerLang(ctx, id, "en"); err != nil {
		t.Fatal(err)
	}
	o := &shop.Order{No: shop.NewOrderNo(t0), CustomerID: id, PayType: shop.PayCard, Amount: 4900,
		Items: []shop.Item{{ProductID: 1, Name: "西裝", NameZH: "西裝", NameEN: "Dinner suit", UnitPrice: 4900, Qty: 1}}}
	if err := db.CreateOrder(ctx, o, "k", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.SetBank(ctx, o.ID, shop.BankOrder{State: shop.BankCreated, CardPayURL: "https://bank/pay", CardExpiresAt: t0.Add(time.Hour)}, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify}, t0); err != nil {
		t.Fatal(err)
	}
	return o
}

// sender makes an Outbox on db sending through the SMTP server at url.
func sender(t *testing.T, db *storage.DB, url string, c *clock) *outbox.Outbox {
	t.Helper()
	s, err := mail.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 500 * time.Millisecond
	ob, err := outbox.New(db, outbox.Config{Sender: s, From: "KummyShop <shop@kummy.example>", BaseURL: "https://shop.example", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

func mails(t *testing.T, db *storage.DB) []*shop.Mail {
	t.Helper()
	ms, _, err := db.Mails(context.Background(), storage.MailFilter{}, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// A paid order's two messages reach a real SMTP server once each, in the
// customer's language, and are marked sent; running again sends nothing.
func TestSendThroughSMTP(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		srv := (&smtptest.Server{}).Start(t)
		c := &clock{now: t0}
		o := paidOrder(t, db)
		ob := sender(t, db, srv.URL("smtp"), c)
		if n, err := ob.RunOnce(context.Background()); err != nil || n != 2 {
			t.Fatalf("RunOnce = %d, %v; want 2", n, err)
		}
		if n, err := ob.RunOnce(context.Background()); err != nil || n != 0 {
			t.Fatalf("second RunOnce = %d, %v; want nothing to send", n, err)
		}
		got := srv.Deliveries()
		if len(got) != 2 {
			t.Fatalf("%d messages delivered, want 2", len(got))
		}
		var subjects []string
		for _, d := range got {
			if d.From != "shop@kummy.example" || len(d.To) != 1 || d.To[0] != "buyer@example.com" {
				t.Errorf("envelope %s → %v", d.From, d.To)
			}
			msg, err := netmail.ReadMessage(strings.NewReader(string(d.Data)))
			if err != nil {
				t.Fatal(err)
			}
			subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			subjects = append(subjects, subj)
			if msg.Header.Get("Message-Id") == "" {
				t.Error("no Message-ID")
			}
		}
		if !strings.Contains(subjects[0], "Order "+o.No+" received") || !strings.Contains(subjects[1], "Payment received for order "+o.No) {
			t.Errorf("subjects %q", subjects)
		}
		for _, m := range mails(t, db) {
			if m.Status != shop.MailSent || m.Attempts != 1 || m.DoneAt.IsZero() {
				t.Errorf("message %d: %s after %d attempts", m.ID, m.Status, m.Attempts)
			}
		}
	})
}

// A server that refuses the recipient for good fails the message at
// once; one that says "try later" keeps it, tried again after a minute,
// and it goes when the server takes it.
func TestRefusedAndTryLater(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		srv := (&smtptest.Server{}).Start(t)
		c := &clock{now: t0}
		paidOrder(t, db)
		ob := sender(t, db, srv.URL("smtp"), c)

		srv.SetRcptErr(smtptest.TryLater)
		if _, err := ob.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range mails(t, db) {
			if m.Status != shop.MailQueued || !strings.Contains(m.LastError, "451") || !m.NextAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("after 451: %s, %q, next %v", m.Status, m.LastError, m.NextAt)
			}
		}
		if n, _ := ob.RunOnce(ctx); n != 0 {
			t.Fatalf("%d taken before their backoff ended", n)
		}
		c.add(time.Minute)
		srv.SetRcptErr(nil)
		if n, err := ob.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("after the backoff: %d, %v", n, err)
		}
		if len(srv.Deliveries()) != 2 {
			t.Fatalf("%d delivered", len(srv.Deliveries()))
		}

		// The refund's message meets a server that refuses for good.
		ms := mails(t, db)
		if _, _, err := db.ApplyEvent(ctx, ms[0].OrderID, shop.EventRefunded, storage.EventMeta{Source: shop.SourceAdmin}, c.Now()); err != nil {
			t.Fatal(err)
		}
		srv.SetRcptErr(smtptest.Refuse)
		if n, err := ob.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("refund: %d, %v", n, err)
		}
		m := mails(t, db)[0]
		if m.Kind != shop.MailRefunded || m.Status != shop.MailGaveUp || !strings.Contains(m.LastError, "550") {
			t.Fatalf("refused: %s %s %q", m.Kind, m.Status, m.LastError)
		}
		c.add(24 * time.Hour)
		if n, _ := ob.RunOnce(ctx); n != 0 || len(srv.Deliveries()) != 2 {
			t.Fatalf("a failed message was tried again")
		}
	})
}

// A server that is down, and one that accepts the connection and never
// answers, keep the message for later; an attempt against the silent
// one ends within the sender's timeout. After three days the message is
// given up.
func TestServerDownOrHanging(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := ln.Addr().String()
		ln.Close()
		silent, accepted := smtptest.Silent(t)
		c := &clock{now: t0}
		paidOrder(t, db)

		if _, err := sender(t, db, "smtp://"+down, c).RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range mails(t, db) {
			if m.Status != shop.MailQueued || !strings.Contains(m.LastError, "dial") {
				t.Fatalf("server down: %s %q", m.Status, m.LastError)
			}
		}

		c.add(time.Minute)
		start := time.Now()
		if n, err := sender(t, db, "smtp://"+silent, c).RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("silent server: %d, %v", n, err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("two attempts against a silent server took %v", took)
		}
		select {
		case <-accepted:
		default:
			t.Fatal("the silent server saw no connection")
		}
		for _, m := range mails(t, db) {
			if m.Status != shop.MailQueued || m.Attempts != 2 || !strings.Contains(m.LastError, "greeting") {
				t.Fatalf("silent server: %s, %d attempts, %q", m.Status, m.Attempts, m.LastError)
			}
		}

		c.add(72 * time.Hour)
		if _, err := sender(t, db, "smtp://"+down, c).RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range mails(t, db) {
			if m.Status != shop.MailGaveUp {
				t.Fatalf("after three days: %s", m.Status)
			}
		}
	})
}

// Without an SMTP server every message is kept for the back office, and
// Start/Stop run the sender in the background: a queued message is kept
// soon after Wake, long before the hour's poll.
func TestKeptInOutbox(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		paidOrder(t, db)
		ob, err := outbox.New(db, outbox.Config{BaseURL: "https://shop.example", Poll: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		ob.Start()
		ob.Wake()
		waitfor.Event(t, 30*time.Second, "both messages kept", func(ctx context.Context) error {
			for _, m := range mails(t, db) {
				if m.Status != shop.MailKept {
					return fmt.Errorf("message %d is %s", m.ID, m.Status)
				}
			}
			return nil
		})
		if err := ob.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
