package storage_test

import (
	"context"
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// record inserts a delivery of token.
func record(t *testing.T, db *storage.DB, token string, source shop.Source, at time.Time) *shop.Delivery {
	t.Helper()
	var d *shop.Delivery
	err := db.Tx(context.Background(), func(tx *sql.Tx) (err error) {
		d, err = storage.InsertPayToken(context.Background(), tx, token, "NA0249_001", source, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Every outcome comes back as it was marked, whatever its detail holds,
// and a repeat comes back naming the delivery it repeats: its source,
// when it came and its ref.
func TestOutcomesRoundTrip(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		first := record(t, db, "tok", shop.SourceReturn, t0)
		ref := first.AsRef()
		for _, o := range []shop.Outcome{
			{Kind: shop.OutcomePaid},
			{Kind: shop.OutcomePaid, Unchanged: true},
			{Kind: shop.OutcomeFailed},
			{Kind: shop.OutcomeMismatch, Unchanged: true, Detail: "amount 1950; want 1000"},
			{Kind: shop.OutcomeRefused, Detail: "E0302 – 查無資料 (no change) (as 3f2a9c)"},
			{Kind: shop.OutcomeNotOurs, Detail: "detail=;repeats=7;unchanged"},
			{Kind: shop.OutcomeNotOurs},
			{Kind: shop.OutcomePaid, Repeats: &ref},
			{Kind: shop.OutcomeRefused, Detail: "E0302: 查無資料", Repeats: &ref},
		} {
			d := record(t, db, "tok", shop.SourceNotify, t0.Add(time.Minute))
			if err := db.MarkPayToken(ctx, d.ID, "K1", o, t0.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			got, err := db.PayTokenByID(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Outcome, o) {
				t.Errorf("marked %+v, read %+v", o, got.Outcome)
			}
			if o.Repeats != nil && (got.Outcome.Repeats.Source != shop.SourceReturn || !got.Outcome.Repeats.ReceivedAt.Equal(t0) || got.Outcome.Repeats.Ref != first.Ref) {
				t.Errorf("the repeated delivery: %+v", got.Outcome.Repeats)
			}
		}
		if got, _ := db.PayTokenByID(ctx, first.ID); got.Processed() || got.Outcome != (shop.Outcome{}) {
			t.Errorf("unprocessed delivery: %+v", got)
		}
	})
}

// Rows written in the old form of the outcome column ("kind: detail",
// " (no change)", " (as <ref>)") read as the same outcomes, and a repeat
// names its earlier delivery by the ref it kept.
func TestOldOutcomeRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		first := record(t, db, "tok", shop.SourceNotify, t0)
		firstRef := first.AsRef()
		missing := "00112233445566778899aabbccddeeff"
		for _, c := range []struct {
			column string
			want   shop.Outcome
		}{
			{"paid", shop.Outcome{Kind: shop.OutcomePaid}},
			{"paid (no change)", shop.Outcome{Kind: shop.OutcomePaid, Unchanged: true}},
			{"failed", shop.Outcome{Kind: shop.OutcomeFailed}},
			{"refused: E0302 – 查無資料", shop.Outcome{Kind: shop.OutcomeRefused, Detail: "E0302 – 查無資料"}},
			{"mismatch: amount 1950: want 1000 (no change)", shop.Outcome{Kind: shop.OutcomeMismatch, Detail: "amount 1950: want 1000", Unchanged: true}},
			{"not-ours", shop.Outcome{Kind: shop.OutcomeNotOurs}},
			{"not-ours: ShopNo NA0000_001", shop.Outcome{Kind: shop.OutcomeNotOurs, Detail: "ShopNo NA0000_001"}},
			{"paid (as " + first.Ref + ")", shop.Outcome{Kind: shop.OutcomePaid, Repeats: &firstRef}},
			{"paid (no change) (as " + first.Ref + ")", shop.Outcome{Kind: shop.OutcomePaid, Repeats: &firstRef}},
			{"refused: E0302 (as " + first.Ref + ")", shop.Outcome{Kind: shop.OutcomeRefused, Detail: "E0302", Repeats: &firstRef}},
			{"paid (as " + missing + ")", shop.Outcome{Kind: shop.OutcomePaid, Repeats: &shop.DeliveryRef{Ref: missing}}},
			{"weird", shop.Outcome{Kind: "weird"}},
		} {
			d := record(t, db, "tok", shop.SourceReturn, t0.Add(time.Minute))
			if _, err := db.SQL.ExecContext(ctx, `UPDATE pay_tokens SET order_no = 'K1', outcome = $1, processed_at = $2 WHERE id = $3`,
				c.column, t0.Add(2*time.Minute).UnixMilli(), d.ID); err != nil {
				t.Fatal(err)
			}
			got, err := db.PayTokenByID(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Outcome, c.want) {
				t.Errorf("%q read as %+v, want %+v", c.column, got.Outcome, c.want)
			}
		}
		// The lists name the repeated deliveries too.
		list, _, err := db.PayTokenLog(ctx, "", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		repeats := 0
		for _, d := range list {
			if r := d.Outcome.Repeats; r != nil && r.Ref == first.Ref {
				repeats++
				if r.ID != first.ID || r.Source != shop.SourceNotify || !r.ReceivedAt.Equal(t0) {
					t.Errorf("log: the repeated delivery %+v", r)
				}
			}
		}
		if repeats != 3 {
			t.Errorf("log: %d repeats of the first delivery, want 3", repeats)
		}
	})
}
