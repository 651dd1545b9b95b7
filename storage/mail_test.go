package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// kinds lists the kinds of the queued messages, oldest first.
func kinds(t *testing.T, db *storage.DB) []shop.MailKind {
	t.Helper()
	ms, _, err := db.Mails(context.Background(), storage.MailFilter{}, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []shop.MailKind
	for i := len(ms) - 1; i >= 0; i-- {
		out = append(out, ms[i].Kind)
	}
	return out
}

// An order's life queues one message per event its customer hears of, in
// the event's transaction: the bank having the order (once, however often
// the bank's answer is stored), the payment, a refund; an event that
// changes nothing queues nothing.
func TestMailQueuedWithEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		c := newCustomer(t, db, "m@example.com")
		o := newOrder(t, db, c, "k")
		created := shop.BankOrder{State: shop.BankCreated, CardPayURL: "https://bank/pay", CardExpiresAt: t0.Add(time.Hour)}
		for range 2 {
			if err := db.SetBank(ctx, o.ID, created, t0); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 { // the second is a duplicate notification: no change
			if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventPaid, storage.EventMeta{Source: shop.SourceNotify}, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := db.ApplyEvent(ctx, o.ID, shop.EventRefunded, storage.EventMeta{Source: shop.SourceAdmin}, t0); err != nil {
			t.Fatal(err)
		}
		want := []shop.MailKind{shop.MailOrderReceived, shop.MailPaid, shop.MailRefunded}
		if got := kinds(t, db); !equalKinds(got, want) {
			t.Fatalf("mail kinds = %v, want %v", got, want)
		}
	})
}

func equalKinds(a, b []shop.MailKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Senders on one database never take one message twice while its lease
// runs; a message not marked done is taken again when the lease ends,
// with its attempts counted; a done message is never taken again.
func TestTakeMailsLease(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		c := newCustomer(t, db, "lease@example.com")
		for i := range 20 {
			o := newOrder(t, db, c, "k"+string(rune('a'+i)))
			if err := db.SetBank(ctx, o.ID, shop.BankOrder{State: shop.BankCreated}, t0); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ms, err := db.TakeMails(ctx, 3, time.Minute, t0)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ms) == 0 {
						return
					}
					mu.Lock()
					for _, m := range ms {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Fatalf("%d messages taken, want 20", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("message %d taken %d times within its lease", id, n)
			}
		}
		again, err := db.TakeMails(ctx, 100, time.Minute, t0.Add(time.Minute))
		if err != nil || len(again) != 20 || again[0].Attempts != 2 {
			t.Fatalf("after the lease: %d taken (attempts %v), %v; want 20 at attempt 2", len(again), again, err)
		}
		for _, m := range again[:10] {
			m.Status = shop.MailKept
			if err := db.SaveMail(ctx, m, t0); err != nil {
				t.Fatal(err)
			}
		}
		back := again[10]
		back.NextAt, back.LastError = t0.Add(10*time.Minute), "451 try later"
		if err := db.SaveMail(ctx, back, t0); err != nil {
			t.Fatal(err)
		}
		last, err := db.TakeMails(ctx, 100, time.Minute, t0.Add(5*time.Minute))
		if err != nil || len(last) != 9 {
			t.Fatalf("later: %d taken, %v; want the 9 neither done nor put back", len(last), err)
		}
		m, err := db.Mail(ctx, again[10].ID)
		if err != nil || m.LastError != "451 try later" || m.Status != shop.MailQueued {
			t.Fatalf("put back: %+v, %v", m, err)
		}
	})
}

// A reset link works once, within its time, and ends every session of
// the account; a second use, an expired or an unknown link is refused.
func TestPasswordReset(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		c := newCustomer(t, db, "r@example.com")
		for _, tok := range []string{"s1", "s2"} {
			if err := db.CreateSession(ctx, tok, c, t0, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreatePasswordReset(ctx, c, "old", t0, t0.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.CreatePasswordReset(ctx, c, "tok", t0, t0.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ResetPassword(ctx, "tok", "h2", t0.Add(31*time.Minute)); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("expired link: %v, want NotFound", err)
		}
		if id, err := db.PasswordResetCustomer(ctx, "tok", t0.Add(time.Minute)); err != nil || id != c {
			t.Fatalf("link's customer = %d, %v", id, err)
		}
		id, err := db.ResetPassword(ctx, "tok", "h2", t0.Add(time.Minute))
		if err != nil || id != c {
			t.Fatalf("reset: %d, %v", id, err)
		}
		if got, _ := db.CustomerByID(ctx, c); got.PasswordHash != "h2" {
			t.Fatalf("hash = %q", got.PasswordHash)
		}
		for _, tok := range []string{"s1", "s2"} {
			if _, err := db.SessionCustomer(ctx, tok, t0); !shop.IsCode(err, shop.NotFound) {
				t.Fatalf("session %s after reset: %v, want ended", tok, err)
			}
		}
		for _, tok := range []string{"tok", "old", "never"} {
			if _, err := db.ResetPassword(ctx, tok, "h3", t0.Add(2*time.Minute)); !shop.IsCode(err, shop.NotFound) {
				t.Fatalf("link %s after reset: %v, want NotFound", tok, err)
			}
		}
		if got := kinds(t, db); !equalKinds(got, []shop.MailKind{shop.MailPasswordReset, shop.MailPasswordReset}) {
			t.Fatalf("mail kinds = %v", got)
		}
		// A sent reset message forgets its token and its text.
		ms, err := db.TakeMails(ctx, 10, time.Minute, t0)
		if err != nil || len(ms) != 2 || ms[0].Secret != "old" {
			t.Fatalf("taken %+v, %v", ms, err)
		}
		ms[0].To, ms[0].Subject, ms[0].Text, ms[0].Status = "r@example.com", "Reset", "link /password/reset/old", shop.MailSent
		if err := db.SaveMail(ctx, ms[0], t0); err != nil {
			t.Fatal(err)
		}
		m, err := db.Mail(ctx, ms[0].ID)
		if err != nil || m.Secret != "" || m.Text != "" || m.Subject != "Reset" || m.Status != shop.MailSent {
			t.Fatalf("sent reset message kept %+v, %v", m, err)
		}
		if err := db.ResendMail(ctx, m.ID, t0); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("resend of a forgotten text: %v, want NotFound", err)
		}
	})
}

// A product's photo is kept in both sizes, replaced whole, and found by
// its tag on either database (BLOB on SQLite, BYTEA on PostgreSQL).
func TestProductPictureStored(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.SeedProducts(ctx, storage.SeedProducts); err != nil {
			t.Fatal(err)
		}
		ps, err := db.Products(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := ps[0].ID
		if _, _, err := db.ProductPicture(ctx, id, "thumb"); !shop.IsCode(err, shop.NotFound) {
			t.Fatalf("no photo yet: %v", err)
		}
		bin := []byte{0xff, 0xd8, 0x00, 0x01, 0xfe, 0xff}
		for _, tag := range []string{"aaaa", "bbbb"} {
			if err := db.SetProductPicture(ctx, id, tag, append(bin, tag[0]), append(bin, tag[0], tag[0]), t0); err != nil {
				t.Fatal(err)
			}
		}
		b, tag, err := db.ProductPicture(ctx, id, "page")
		if err != nil || tag != "bbbb" || string(b) != string(append(bin, 'b', 'b')) {
			t.Fatalf("page %x %q %v", b, tag, err)
		}
		tags, err := db.PictureTags(ctx)
		if err != nil || len(tags) != 1 || tags[id] != "bbbb" {
			t.Fatalf("tags %v %v", tags, err)
		}
	})
}
