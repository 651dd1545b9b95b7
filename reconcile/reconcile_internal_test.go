package reconcile

import (
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
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
