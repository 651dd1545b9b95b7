package reconcile

import (
	"context"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/jobqueue"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage/storagetest"
)

func TestDailyAt(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, funbiz.Taipei)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	d := dailyAt{hour: 3}
	for _, c := range []struct{ now, next string }{
		{"2026-11-27 02:59", "2026-11-27 03:00"},
		{"2026-11-27 03:00", "2026-11-28 03:00"},
		{"2026-11-27 23:30", "2026-11-28 03:00"},
		{"2026-12-31 04:00", "2027-01-01 03:00"},
	} {
		if got := d.Next(at(c.now).UTC()); !got.Equal(at(c.next)) {
			t.Errorf("after %s: %s, want %s", c.now, got.In(funbiz.Taipei), c.next)
		}
	}
}

// The daily report's job reports the day before once, however many times
// it is enqueued (a second leader, a restart), and stores the report as
// the schedule's.
func TestDailyReportJobOncePerDay(t *testing.T) {
	db := storagetest.SQLite(t)
	bank := funbiztest.New(t)
	now := time.Date(2026, 11, 27, 19, 30, 0, 0, time.UTC) // 03:30 on the 28th in Taipei
	s := New(db, bank.Client(), Config{Now: func() time.Time { return now }}, nil)
	q, err := jobqueue.New(db, jobqueue.Config{PollInterval: 20 * time.Millisecond}, s.Jobs())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		args := s.dailyReport()
		if args.Day != "20261127" {
			t.Fatalf("the job reports %s, want the day before, 20261127", args.Day)
		}
		inserted, err := q.Insert(ctx, args)
		if err != nil {
			t.Fatal(err)
		}
		if inserted != (i == 0) {
			t.Fatalf("insert %d: inserted %v", i, inserted)
		}
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		q.Stop(sctx)
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := s.Reports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Day == "20261127" && list[0].Source == shop.ReportBySchedule {
			break
		}
		if len(list) > 1 || time.Now().After(deadline) {
			t.Fatalf("reports: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
