package storage_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/telemetry"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// The other lane's rows are work items: taken oldest first under a
// lease, never by two takers while it runs, taken again once it runs
// out or is given back, gone from the backlog once processed, and the
// refused ones pruned after their time.
func TestOtherLane(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		known := record(t, db, "known", shop.SourceNotify, t0)
		var ids []int64
		for i := range 5 {
			d, err := db.InsertOtherPayToken(ctx, fmt.Sprintf("other-%d", i), "NA0249_001", t0)
			must(err)
			if d.Lane != shop.LaneOther {
				t.Fatalf("lane %v", d.Lane)
			}
			ids = append(ids, d.ID)
		}
		if n, err := db.OtherBacklog(ctx); err != nil || n != 5 {
			t.Fatalf("backlog %d %v, want 5", n, err)
		}
		for _, tok := range []string{"known", "other-3"} {
			if seen, err := db.PayTokenSeen(ctx, tok); err != nil || !seen {
				t.Errorf("%s not seen: %v", tok, err)
			}
		}
		if seen, err := db.PayTokenSeen(ctx, "never"); err != nil || seen {
			t.Errorf("never seen: %v %v", seen, err)
		}
		d, err := db.PayTokenByID(ctx, known.ID)
		must(err)
		if d.Lane != shop.LaneKnown {
			t.Errorf("known lane %v", d.Lane)
		}

		// Oldest first; the second taker gets the rest, not the same.
		got, attempts, err := takeOther(ctx, db, 3, t0)
		must(err)
		if !slices.Equal(got, ids[:3]) || !slices.Equal(attempts, []int{1, 1, 1}) {
			t.Fatalf("took %v %v, want %v once each", got, attempts, ids[:3])
		}
		got, _, err = takeOther(ctx, db, 10, t0)
		must(err)
		if !slices.Equal(got, ids[3:]) {
			t.Fatalf("took %v, want %v", got, ids[3:])
		}
		if got, _, err = takeOther(ctx, db, 10, t0.Add(time.Second)); err != nil || len(got) != 0 {
			t.Fatalf("took %v %v under running leases", got, err)
		}
		// Processed: out of the backlog. Given back: taken again from then.
		must(db.MarkPayToken(ctx, ids[0], "", shop.Outcome{Kind: shop.OutcomeRefused, Detail: "E0302"}, t0))
		must(db.MarkPayToken(ctx, ids[1], "K1", shop.Outcome{Kind: shop.OutcomePaid}, t0))
		must(db.ReleasePayToken(ctx, ids[2], t0.Add(10*time.Second)))
		if n, err := db.OtherBacklog(ctx); err != nil || n != 3 {
			t.Fatalf("backlog %d %v, want 3", n, err)
		}
		if got, _, err = takeOther(ctx, db, 10, t0.Add(5*time.Second)); err != nil || len(got) != 0 {
			t.Fatalf("took %v %v before the given-back one's time", got, err)
		}
		got, attempts, err = takeOther(ctx, db, 10, t0.Add(11*time.Second))
		must(err)
		if !slices.Equal(got, ids[2:3]) || attempts[0] != 2 {
			t.Fatalf("took %v %v, want %d a second time", got, attempts, ids[2])
		}
		// The leases of the others run out (at t0+1m; the one taken
		// again holds until t0+1m11s).
		got, _, err = takeOther(ctx, db, 10, t0.Add(65*time.Second))
		must(err)
		if !slices.Equal(got, ids[3:]) {
			t.Fatalf("took %v, want %v after their leases ran out", got, ids[3:])
		}

		// Only the refused, processed before the cutoff, are pruned.
		n, err := db.PruneOtherPayTokens(ctx, t0)
		must(err)
		if n != 0 {
			t.Errorf("pruned %d at the cutoff", n)
		}
		n, err = db.PruneOtherPayTokens(ctx, t0.Add(time.Millisecond))
		must(err)
		if n != 1 {
			t.Errorf("pruned %d, want the refused one", n)
		}
		for _, id := range []int64{known.ID, ids[1], ids[2]} {
			if _, err := db.PayTokenByID(ctx, id); err != nil {
				t.Errorf("%d: %v", id, err)
			}
		}
	})
}

// Takers at once never share a row.
func TestOtherLaneTakersApart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		for i := range 40 {
			if _, err := db.InsertOtherPayToken(ctx, fmt.Sprintf("t%d", i), "NA0249_001", t0); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					got, _, err := takeOther(ctx, db, 3, t0)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, id := range got {
						if seen[id] {
							t.Errorf("%d taken twice", id)
						}
						seen[id] = true
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 40 {
			t.Errorf("%d taken, want 40", len(seen))
		}
	})
}

// takeOther takes from shop.LaneOther with a lease of a minute, and
// returns the ids and attempts taken.
func takeOther(ctx context.Context, db *storage.DB, n int, at time.Time) (ids []int64, attempts []int, err error) {
	taken, err := db.TakePayTokens(ctx, shop.LaneOther, n, time.Minute, at)
	for _, t := range taken {
		ids, attempts = append(ids, t.ID), append(attempts, t.Attempts)
	}
	return ids, attempts, err
}

// Each lane is taken apart; a delivery keeps the request id of the
// request that recorded it; a delivery held is not taken before its time.
func TestLanesApart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		other, err := db.InsertOtherPayToken(ctx, "ab01", "NA0249_001", t0)
		must(err)
		rctx := telemetry.WithRequestID(ctx, telemetry.NewRequestID())
		known, err := db.RecordPayToken(rctx, storage.NewDelivery{Token: "ab02", ShopNo: "NA0249_001", Source: shop.SourceNotify, At: t0})
		must(err)
		held, err := db.RecordPayToken(ctx, storage.NewDelivery{Token: "ab03", ShopNo: "NA0249_001", Source: shop.SourceReturn,
			HeldUntil: t0.Add(10 * time.Second), At: t0})
		must(err)
		if known.Lane != shop.LaneKnown || other.Lane != shop.LaneOther || known.ID == 0 || held.ID == 0 {
			t.Fatalf("recorded %+v %+v %+v", known, other, held)
		}
		got, err := db.TakePayTokens(ctx, shop.LaneKnown, 10, time.Minute, t0.Add(time.Second))
		must(err)
		if len(got) != 1 || got[0].ID != known.ID || got[0].Attempts != 1 {
			t.Fatalf("took %+v from the known lane, want %d alone", got, known.ID)
		}
		if !strings.Contains(string(got[0].Origin), telemetry.RequestID(rctx)) {
			t.Fatalf("origin %q lacks the request id %s", got[0].Origin, telemetry.RequestID(rctx))
		}
		got, err = db.TakePayTokens(ctx, shop.LaneKnown, 10, time.Minute, t0.Add(11*time.Second))
		must(err)
		if len(got) != 1 || got[0].ID != held.ID || got[0].Origin != nil {
			t.Fatalf("took %+v once the held one's time came, want %d", got, held.ID)
		}
		ids, _, err := takeOther(ctx, db, 10, t0.Add(time.Second))
		must(err)
		if !slices.Equal(ids, []int64{other.ID}) {
			t.Fatalf("took %v from the other lane, want %d", ids, other.ID)
		}
	})
}
