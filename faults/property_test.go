package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// lifecycle is the order's life as the README states it, written out
// apart from shop.Next: an event not listed for a status changes nothing.
var lifecycle = map[shop.Status]map[shop.Event]shop.Status{
	shop.StatusWaiting: {shop.EventPaid: shop.StatusPaid, shop.EventFailed: shop.StatusFailed, shop.EventExpired: shop.StatusExpired, shop.EventMismatch: shop.StatusReview},
	shop.StatusFailed:  {shop.EventPaid: shop.StatusPaid, shop.EventExpired: shop.StatusExpired, shop.EventMismatch: shop.StatusReview},
	shop.StatusExpired: {shop.EventPaid: shop.StatusPaid, shop.EventMismatch: shop.StatusReview},
	// A cancelled authorisation ends like a whole refund.
	shop.StatusPaid: {shop.EventRefunded: shop.StatusRefunded, shop.EventCancelled: shop.StatusRefunded},
}

// progress orders the statuses: nothing moves to a lower one.
var progress = map[shop.Status]int{
	shop.StatusWaiting: 0, shop.StatusFailed: 1, shop.StatusExpired: 1,
	shop.StatusPaid: 2, shop.StatusReview: 2, shop.StatusRefunded: 3,
}

var events = rapid.SampledFrom(shop.Events)

// checkWalk checks one walk through the life cycle: every step as the
// README says, never backwards, paid left only by a refund, and one
// transition into paid at most.
func checkWalk(t *rapid.T, steps []shop.PaymentEvent, final shop.Status) {
	at := shop.StatusWaiting
	paid := 0
	for i, e := range steps {
		if e.From != at {
			t.Fatalf("step %d starts at %s, the order was %s", i, e.From, at)
		}
		if want, ok := lifecycle[e.From][e.Event]; !ok || want != e.To {
			t.Fatalf("step %d: %s on %s went to %s, want %s (listed: %v)", i, e.Event, e.From, e.To, want, ok)
		}
		if progress[e.To] < progress[e.From] {
			t.Fatalf("step %d: %s → %s goes backwards", i, e.From, e.To)
		}
		if e.From == shop.StatusPaid && e.To != shop.StatusRefunded {
			t.Fatalf("step %d: a paid order became %s", i, e.To)
		}
		if e.From.Final() {
			t.Fatalf("step %d: %s is final, yet became %s", i, e.From, e.To)
		}
		if e.To == shop.StatusPaid {
			paid++
		}
		at = e.To
	}
	if paid > 1 {
		t.Fatalf("paid %d times", paid)
	}
	if at != final {
		t.Fatalf("steps end at %s, the order is %s", at, final)
	}
}

// The transition table against the README's life cycle: every status and
// event once, then random event sequences.
func TestStateMachineProperty(t *testing.T) {
	for _, from := range shop.Statuses {
		for _, ev := range shop.Events {
			to, moved, err := shop.Next(from, ev)
			want, listed := lifecycle[from][ev]
			if err != nil || moved != listed || (listed && to != want) || (!listed && to != from) {
				t.Errorf("Next(%s, %s) = %s, %v, %v; the life cycle says %s, %v", from, ev, to, moved, err, want, listed)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		seq := rapid.SliceOfN(events, 0, 40).Draw(t, "events")
		at := shop.StatusWaiting
		var steps []shop.PaymentEvent
		for _, ev := range seq {
			to, moved, err := shop.Next(at, ev)
			if err != nil {
				t.Fatal(err)
			}
			want, listed := lifecycle[at][ev]
			if moved != listed || (moved && to != want) || (!moved && to != at) {
				t.Fatalf("Next(%s, %s) = %s, %v; the life cycle says %s, %v", at, ev, to, moved, want, listed)
			}
			if moved {
				steps = append(steps, shop.PaymentEvent{From: at, To: to, Event: ev})
				at = to
			}
			// The same news again changes nothing.
			if again, moved2, _ := shop.Next(at, ev); moved && moved2 && again != at {
				t.Fatalf("%s twice moved the order twice", ev)
			}
		}
		checkWalk(t, steps, at)
	})
}

// The same, through the database: random event sequences applied with
// ApplyEvent, one after another and all at once, on SQLite and
// PostgreSQL. The recorded events must be a walk of the life cycle ending
// at the order's status, with one transition into paid at most; applied
// in order, the result is the model's.
func TestStateMachineStoredProperty(t *testing.T) {
	t.Parallel()
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		mustT(t, db.SeedProducts(ctx, storage.SeedProducts))
		cust, err := db.CreateCustomer(ctx, "property@example.com", "x", time.Now())
		mustT(t, err)
		n := 0
		newOrder := func(t *rapid.T) *shop.Order {
			n++
			o := &shop.Order{No: fmt.Sprintf("P%015d", n), CustomerID: cust, PayType: shop.PayCard, Amount: 750,
				Items: []shop.Item{{ProductID: 1, Name: "x", UnitPrice: 750, Qty: 1}}}
			if err := db.CreateOrder(ctx, o, fmt.Sprintf("key-%d", n), time.Now()); err != nil {
				t.Fatal(err)
			}
			return o
		}
		meta := storage.EventMeta{Source: "property", Amount: 750}
		rapid.Check(t, func(t *rapid.T) {
			seq := rapid.SliceOfN(events, 1, 12).Draw(t, "events")

			// One after another: the model's answer.
			o := newOrder(t)
			want := shop.StatusWaiting
			for _, ev := range seq {
				changed, got, err := db.ApplyEvent(ctx, o.ID, ev, meta, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				next, listed := lifecycle[want][ev]
				if changed != listed {
					t.Fatalf("%s on %s: changed=%v, the life cycle says %v", ev, want, changed, listed)
				}
				if listed {
					want = next
				}
				if got.Status != want {
					t.Fatalf("after %s: %s, want %s", ev, got.Status, want)
				}
			}
			evs, err := db.Events(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkWalk(t, evs, want)

			// All at once: whatever the order they land in, the record is a
			// walk of the life cycle, and each event moves the order once
			// at most.
			o = newOrder(t)
			var wg sync.WaitGroup
			errs := make([]error, len(seq))
			for i, ev := range seq {
				wg.Go(func() { _, _, errs[i] = db.ApplyEvent(ctx, o.ID, ev, meta, time.Now()) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil && !shop.IsCode(err, shop.Conflict) {
					t.Fatal(err)
				}
			}
			got, err := db.OrderByID(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			evs, err = db.Events(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkWalk(t, evs, got.Status)
			if len(evs) > len(seq) {
				t.Fatalf("%d events moved the order %d times", len(seq), len(evs))
			}
		})
	})
}
